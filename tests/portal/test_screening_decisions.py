"""The auditor's read-only screening decisions: who cleared or confirmed which alert, when, with the reason; filtered
by decision, officer and day; the auditor opens an alert but gets no decision form, and deciding is 403."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.compliance.alert_models import AlertStatus
from tests.compliance.conftest import un_list  # noqa: F401  (the fixture: the real UN list, loaded)
from tests.portal.test_actions import signed_in
from tests.portal.test_compliance_pages import held  # noqa: F401  (a payment held by a screening alert)

pytestmark = pytest.mark.django_db


def test_an_auditor_sees_who_decided_what_when_and_why_and_cannot_decide(held, django_capture_on_commit_callbacks):  # noqa: F811
    _, alert = held
    officer = signed_in("co1", "compliance_officer")
    auditor = signed_in("aud1", "auditor")
    assert alert.public_id not in auditor.get("/compliance/screening-decisions/").content.decode()  # still open
    with django_capture_on_commit_callbacks(execute=True):
        officer.post(f"/compliance/screening/{alert.public_id}/decide/",
                     {"decision": "clear", "reason": "born 1990, Lyon: another person"})
    alert.refresh_from_db()
    page = auditor.get("/compliance/screening-decisions/").content.decode()
    assert alert.public_id in page and "co1" in page and "born 1990, Lyon: another person" in page
    assert "Cleared (false positive)" in page and 'href="/compliance/screening-decisions/"' in page  # the menu
    today = timezone.localdate().isoformat()
    for query, shown in (
        ("decision=cleared", True), ("decision=confirmed", False), ("officer=co1", True), ("officer=co2", False),
        (f"start={today}&end={today}", True), ("start=2020-01-01&end=2020-01-31", False),
    ):
        found = auditor.get(f"/compliance/screening-decisions/?{query}").content.decode()
        assert (alert.public_id in found) is shown, query
    detail = auditor.get(f"/compliance/screening/{alert.public_id}/")
    assert detail.status_code == 200 and "Record decision" not in detail.content.decode()
    assert auditor.post(f"/compliance/screening/{alert.public_id}/decide/",
                        {"decision": "confirm", "reason": "x"}).status_code == 403
    alert.refresh_from_db()
    assert (alert.status, alert.decided_by) == (AlertStatus.CLEARED, "co1")
    assert signed_in("teller1", "teller").get("/compliance/screening-decisions/").status_code == 403
