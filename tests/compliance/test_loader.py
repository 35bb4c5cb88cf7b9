"""load_sanctions on the real files: counts, idempotent reloads, the change report, the audit record."""

from __future__ import annotations

import copy
import shutil

import pytest
from lxml import etree

from apps.audit.models import AuditRecord
from apps.compliance.models import SanctionsEntry, SanctionsListLoad, SanctionsName
from apps.compliance.screening import screen_name
from apps.compliance.services import ListFileInvalid, sanctions_list_load

from .conftest import OFAC_2022, OFAC_2024, UN

pytestmark = pytest.mark.django_db


def test_un_list_loads_every_entry_and_alias():
    report = sanctions_list_load(list_code="un", path=UN)
    assert (report.entries, report.names, len(report.added)) == (1000, 4132, 1000)
    assert SanctionsEntry.objects.filter(sanctions_list__code="un", listed=True).count() == 1000
    badege = SanctionsEntry.objects.get(entry_id="CDi.001")
    assert (badege.primary_name, badege.entity_type, badege.programs) == ("ERIC BADEGE", "individual", ["DRC"])
    assert badege.dates_of_birth == ["1971"] and badege.nationalities == ["Democratic Republic of the Congo"]
    load = SanctionsListLoad.objects.get()
    assert load.published.startswith("2025-11-18")
    record = AuditRecord.objects.filter(action="sanctions.list_loaded").get()
    assert record.after["added"] == 1000 and record.object_id == "un"


def test_reloading_the_same_file_changes_nothing_and_writes_nothing():
    sanctions_list_load(list_code="un", path=UN)
    before = (SanctionsListLoad.objects.count(), AuditRecord.objects.count(), SanctionsName.objects.count())
    report = sanctions_list_load(list_code="un", path=UN)
    assert report.is_noop and (report.added, report.removed, report.changed) == ([], [], [])
    assert (SanctionsListLoad.objects.count(), AuditRecord.objects.count(), SanctionsName.objects.count()) == before


def test_a_modified_copy_reports_added_removed_and_changed(tmp_path):
    sanctions_list_load(list_code="un", path=UN)
    tree = etree.parse(str(UN))
    root = tree.getroot()
    individuals = root.find("INDIVIDUALS")
    first, second = individuals[0], individuals[1]
    assert first.findtext("REFERENCE_NUMBER") == "CDi.001"
    first.find("FIRST_NAME").text = "ERICK"  # changed
    dropped = second.findtext("REFERENCE_NUMBER")
    individuals.remove(second)  # removed
    added = copy.deepcopy(root.find("ENTITIES")[-1])
    added.find("REFERENCE_NUMBER").text = "XXe.999"  # added
    root.find("ENTITIES").append(added)
    modified = tmp_path / "un.xml"
    tree.write(str(modified), xml_declaration=True, encoding="UTF-8")

    report = sanctions_list_load(list_code="un", path=modified)
    assert (report.added, report.removed, report.changed) == (["XXe.999"], [dropped], ["CDi.001"])
    assert report.unchanged == 998
    assert not SanctionsEntry.objects.get(entry_id=dropped).listed
    assert SanctionsName.objects.filter(entry__entry_id="CDi.001", kind="primary").get().name == "ERICK BADEGE"
    # the process's index follows the load at once
    assert "CDi.001" in {h.entry_id for h in screen_name(name="Erick Badege").hits}
    dropped_name = SanctionsEntry.objects.get(entry_id=dropped).primary_name
    assert dropped not in {h.entry_id for h in screen_name(name=dropped_name).hits}


def test_ofac_with_alt_and_add_beside_it(tmp_path):
    report = sanctions_list_load(list_code="ofac_sdn", path=OFAC_2022, progress=lambda done, total: None)
    assert report.sources == ["sdn.csv", "alt.csv", "add.csv"]
    assert report.entries == 9043  # 9044 rows, ent_num 2677 twice: the first is kept and reported
    assert report.warnings == [
        "sdn.csv: ent_num 2677 appears again ('HAMER AND NAIL CONSTRUCTION LIMITED'); the first row was kept"
    ]
    bank = SanctionsEntry.objects.get(entry_id="306")
    assert set(bank.names.values_list("name", flat=True)) >= {"BANCO NACIONAL DE CUBA", "NATIONAL BANK OF CUBA"}
    assert "Switzerland" in bank.countries and bank.programs == ["CUBA"]
    # only sdn.csv (no alt.csv beside it): the a.k.a. names go, so those entries are reported as changed
    alone = tmp_path / "sdn.csv"
    shutil.copy(OFAC_2022, alone)
    second = sanctions_list_load(list_code="ofac_sdn", path=alone)
    assert second.sources == ["sdn.csv"] and second.added == [] and second.removed == []
    assert "306" in second.changed


@pytest.mark.slow
def test_a_new_ofac_version_reports_the_real_differences():
    sanctions_list_load(list_code="ofac_sdn", path=OFAC_2022)
    report = sanctions_list_load(list_code="ofac_sdn", path=OFAC_2024)
    assert report.entries == 15443
    assert len(report.added) + len(report.changed) + report.unchanged == 15443
    assert SanctionsEntry.objects.filter(sanctions_list__code="ofac_sdn", listed=True).count() == 15443
    assert len(report.removed) == 9043 - len(report.changed) - report.unchanged


def test_a_file_of_another_format_is_refused_and_nothing_is_written(tmp_path):
    with pytest.raises(ListFileInvalid):
        sanctions_list_load(list_code="ofac_sdn", path=UN)
    with pytest.raises(ListFileInvalid):
        sanctions_list_load(list_code="un", path=OFAC_2022)
    with pytest.raises(ListFileInvalid):
        sanctions_list_load(list_code="un", path=tmp_path / "missing.xml")
    assert SanctionsListLoad.objects.count() == 0 and SanctionsEntry.objects.count() == 0
