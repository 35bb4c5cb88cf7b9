"""A list reload reports its changes and rescreens customers and held payments against the changed entries only."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from apps.compliance.alert_models import RescreenRun, ScreeningAlert
from apps.compliance.alerts import rescreen_run
from apps.compliance.screening import invalidate_index
from apps.customers.models import Customer, SanctionsStatus
from tests.customers.conftest import person

from .conftest import un_subset

pytestmark = pytest.mark.django_db
NEWLY_LISTED = "Michel Rukunda"  # UN CDi.041: the 41st individual of the real file, not in the first 40


@pytest.fixture(autouse=True)
def _fresh_index():
    yield
    invalidate_index()


def test_a_reload_that_lists_a_customer_raises_an_alert_through_the_rescreen(
    tmp_path, django_capture_on_commit_callbacks
):
    call_command(
        "load_sanctions",
        "--list",
        "un",
        str(un_subset(tmp_path / "a.xml", individuals=40, entities=5)),
        "--no-progress",
        stdout=StringIO(),
    )
    customer = person(name=NEWLY_LISTED, nationality="CD", date_of_birth="1974-09-12")
    bystander = person(name="Anna Schmidt")
    assert customer.sanctions_status == SanctionsStatus.CLEAR

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "load_sanctions",
            "--list",
            "un",
            str(un_subset(tmp_path / "b.xml", individuals=60, entities=5)),
            "--no-progress",
            stdout=out,
        )
    text = out.getvalue()
    assert "added 20, removed 0, changed 0" in text
    assert "rescreen rsc_" in text and "20 entries" in text
    run = RescreenRun.objects.latest("id")  # the first load's run screened nobody (no customer yet)
    assert (run.status, run.done, run.alerts_raised) == ("done", 2, 1)
    assert "CDi.041" in run.entry_ids and "CDi.001" not in run.entry_ids  # the changes only
    alert = ScreeningAlert.objects.get(subject_type="customer")
    assert (alert.subject_id, alert.entry_id, alert.source) == (customer.public_id, "CDi.041", "rescreen")
    assert Customer.objects.get(pk=customer.pk).sanctions_status == SanctionsStatus.POTENTIAL_MATCH
    assert Customer.objects.get(pk=bystander.pk).sanctions_status == SanctionsStatus.CLEAR
    assert f"{run.public_id}: 2 subjects screened, 1 new alerts" in text

    # Run again (a retried task): no second alert for the same entry.
    rescreen_run(run_id=run.public_id)
    assert ScreeningAlert.objects.filter(subject_type="customer").count() == 1


def test_a_reload_that_changes_nothing_rescreens_nothing(tmp_path):
    path = str(un_subset(tmp_path / "a.xml", individuals=10, entities=2))
    call_command("load_sanctions", "--list", "un", path, "--no-progress", "--no-rescreen", stdout=StringIO())
    out = StringIO()
    call_command("load_sanctions", "--list", "un", path, "--no-progress", stdout=out)
    assert "nothing changed" in out.getvalue()
    assert not RescreenRun.objects.exists()
