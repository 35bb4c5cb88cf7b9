from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from apps.compliance.lists.ofac import parse_ofac
from apps.compliance.lists.un import parse_un
from apps.compliance.screening import index_from_parsed, invalidate_index, screen_name_in
from apps.compliance.services import sanctions_list_load

ROOT = Path(__file__).resolve().parents[2]
# The real list files, copied into the repository (tests/data/sanctions, from ../shared/data/sanctions) so a
# clone anywhere runs these tests.
SANCTIONS = ROOT / "tests" / "data" / "sanctions"
OFAC_2022 = SANCTIONS / "ofac" / "2022-01-31" / "sdn.csv"
OFAC_2024 = SANCTIONS / "ofac" / "sdn_2024-07-02.csv"
UN = SANCTIONS / "un" / "un_consolidated_2025-11-18.xml"


@pytest.fixture(scope="session")
def real_index():
    """The screening index of the real OFAC (2022, with alt.csv and add.csv) and UN files, without a database."""
    return index_from_parsed({"ofac_sdn": parse_ofac(OFAC_2022), "un": parse_un(UN)})


@pytest.fixture
def screen(real_index, settings):
    def run(name: str, **kwargs):
        return screen_name_in(real_index, name=name, **kwargs)

    return run


def un_subset(path: Path, *, individuals: int, entities: int) -> Path:
    """A copy of the real UN file with only its first entries (fast loads for API tests)."""
    tree = etree.parse(str(UN))
    for group, keep in (("INDIVIDUALS", individuals), ("ENTITIES", entities)):
        parent = tree.getroot().find(group)
        for node in list(parent)[keep:]:
            parent.remove(node)
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    return path


def hit_ids(result) -> set[tuple[str, str]]:
    return {(h.list, h.entry_id) for h in result.hits}


@pytest.fixture
def un_list(tmp_path):
    """The first 40 individuals and 10 entities of the real UN list, loaded (rolled back with the test)."""
    sanctions_list_load(list_code="un", path=un_subset(tmp_path / "un.xml", individuals=40, entities=10))
    yield
    invalidate_index()  # the load is rolled back with the test; so must this process's index be
