"""The screening alerts queue in the portal: list, one alert with its list entry and explanation, the officer's
decision through the compliance service; a teller sees none of it, an auditor cannot decide; bad input is a form
error, never a 500.
"""

from __future__ import annotations

import pytest

from apps.audit.models import AuditRecord
from apps.compliance.alert_models import AlertStatus, ScreeningAlert
from apps.payments.states import PaymentStatus
from tests.compliance.conftest import un_list  # noqa: F401  (the fixture: the real UN list, loaded)
from tests.compliance.test_screening_alerts import _held_payment
from tests.portal.test_actions import flash, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(un_list, django_capture_on_commit_callbacks):  # noqa: F811
    _, payment = _held_payment(django_capture_on_commit_callbacks)
    return payment, ScreeningAlert.objects.get(subject_id=payment.public_id)


def test_the_queue_and_the_alert_show_the_matched_entry_and_why(held):
    payment, alert = held
    officer = signed_in("co1", "compliance_officer")
    queue = officer.get("/compliance/screening/").content.decode()
    assert alert.public_id in queue and payment.public_id in queue and "CDi.001" in queue
    assert 'href="/compliance/screening/"' in queue  # the menu entry
    page = officer.get(f"/compliance/screening/{alert.public_id}/").content.decode()
    assert "Matched list entry" in page and "CDi.001" in page and alert.matched_name in page
    assert alert.explanation[0]["kind"] in page and "Record decision" in page
    assert officer.get("/compliance/screening/sal_missing/").status_code == 404
    assert alert.public_id not in officer.get("/compliance/screening/?status=cleared").content.decode()


def test_clearing_a_false_positive_releases_the_payment(held, django_capture_on_commit_callbacks):
    payment, alert = held
    officer = signed_in("co1", "compliance_officer")
    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post(f"/compliance/screening/{alert.public_id}/decide/",
                                {"decision": "clear", "reason": "born 1990, Lyon: another person"}, follow=True)
    assert "Cleared (false positive)" in flash(response)
    alert.refresh_from_db()
    payment.refresh_from_db()
    assert (alert.status, alert.decided_by) == (AlertStatus.CLEARED, "co1")
    assert payment.status == PaymentStatus.QUEUED
    assert AuditRecord.objects.filter(action="screening.alert_cleared", object_id=payment.public_id).exists()
    again = officer.post(f"/compliance/screening/{alert.public_id}/decide/",
                         {"decision": "confirm", "reason": "x"}, follow=True)
    assert "Refused (alert_not_open)" in flash(again)


def test_confirming_a_true_match_rejects_the_payment(held, django_capture_on_commit_callbacks):
    payment, alert = held
    officer = signed_in("co1", "compliance_officer")
    with django_capture_on_commit_callbacks(execute=True):
        officer.post(f"/compliance/screening/{alert.public_id}/decide/", {"decision": "confirm", "reason": "same DOB"})
    alert.refresh_from_db()
    payment.refresh_from_db()
    assert alert.status == AlertStatus.CONFIRMED
    assert payment.status == PaymentStatus.REJECTED


def test_bad_input_is_a_form_error_and_changes_nothing(held):
    _, alert = held
    officer = signed_in("co1", "compliance_officer")
    for body in ({"decision": "clear", "reason": ""}, {"decision": "maybe", "reason": "x"}, {}):
        response = officer.post(f"/compliance/screening/{alert.public_id}/decide/", body)
        assert response.status_code == 400 and 'class="error"' in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_a_teller_sees_no_compliance_page_and_an_auditor_cannot_decide(held):
    _, alert = held
    teller = signed_in("teller1", "teller")
    assert teller.get("/compliance/screening/").status_code == 403
    assert teller.get(f"/compliance/screening/{alert.public_id}/").status_code == 403
    assert "/compliance/screening/" not in teller.get("/").content.decode()
    ops = signed_in("ops1", "operations")
    assert ops.get("/compliance/screening/").status_code == 403
    auditor = signed_in("aud1", "auditor")
    assert auditor.post(f"/compliance/screening/{alert.public_id}/decide/",
                        {"decision": "clear", "reason": "x"}).status_code == 403
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
