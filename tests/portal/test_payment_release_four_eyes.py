"""The portal's Release button on a held payment above the four-eyes threshold proposes a PAYMENT_RELEASE approval
instead of releasing; a second officer approves it and only then is the payment released. Below it: released at once.
"""

from __future__ import annotations

import pytest

from apps.approvals.models import ApprovalKind, ApprovalRequest, ApprovalStatus
from apps.payments.states import PaymentStatus
from tests.portal.test_actions import _held_payment, flash, signed_in

pytestmark = pytest.mark.django_db


def test_release_above_the_threshold_proposes_an_approval_that_a_second_officer_approves(settings):
    settings.QENEX_APPROVAL_THRESHOLD = "100"  # the held payment is 150.00 EUR
    payment = _held_payment()
    maker = signed_in("ops1", "operations")
    queue = maker.get("/payments/held/").content.decode()
    assert "Release (four-eyes)" in queue
    response = maker.post(f"/payments/{payment.public_id}/release/", {"next": "held"}, follow=True)
    assert response.redirect_chain[-1][0] == "/payments/held/"
    assert "needs a second officer's approval" in flash(response)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.HELD and payment.hold_id  # its funds reserved while held, nothing queued
    reserved = payment.hold_id
    approval = ApprovalRequest.objects.get(kind=ApprovalKind.PAYMENT_RELEASE)
    assert approval.payload == {"payment": payment.public_id} and approval.maker.username == "ops1"
    maker.post(f"/payments/{payment.public_id}/release/")  # a double click: the same request, not a second one
    assert ApprovalRequest.objects.filter(kind=ApprovalKind.PAYMENT_RELEASE).count() == 1
    # The maker cannot approve it (the operations role decides no approvals; four-eyes refuses the maker anyway).
    assert maker.post(f"/approvals/{approval.public_id}/approve/").status_code == 403
    checker = signed_in("co1", "compliance_officer")
    assert approval.public_id in checker.get("/approvals/").content.decode()
    checker.post(f"/approvals/{approval.public_id}/approve/", {"reason": "checked"})
    approval.refresh_from_db()
    payment.refresh_from_db()
    assert approval.status == ApprovalStatus.EXECUTED, (approval.error_code, approval.error_message)
    assert payment.status == PaymentStatus.QUEUED and payment.hold_id == reserved  # the same hold goes on
    assert approval.public_id in payment.events.filter(to_status=PaymentStatus.CHECKED).get().reason


def test_the_checker_cannot_be_the_maker(settings):
    settings.QENEX_APPROVAL_THRESHOLD = "100"
    payment = _held_payment()
    officer = signed_in("co1", "compliance_officer")
    officer.post(f"/payments/{payment.public_id}/release/")
    approval = ApprovalRequest.objects.get(kind=ApprovalKind.PAYMENT_RELEASE)
    response = officer.post(f"/approvals/{approval.public_id}/approve/", follow=True)
    assert "four-eyes" in flash(response)
    approval.refresh_from_db()
    payment.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING and payment.status == PaymentStatus.HELD


def test_release_below_the_threshold_releases_at_once(settings):
    settings.QENEX_APPROVAL_THRESHOLD = "1000"
    payment = _held_payment()
    officer = signed_in("ops1", "operations")
    assert "Release (four-eyes)" not in officer.get("/payments/held/").content.decode()
    response = officer.post(f"/payments/{payment.public_id}/release/", follow=True)
    assert f"Payment {payment.public_id} released" in flash(response)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.QUEUED
    assert not ApprovalRequest.objects.exists()


def test_a_teller_and_an_auditor_cannot_release(settings):
    payment = _held_payment()
    for username, role in (("teller1", "teller"), ("aud1", "auditor")):
        assert signed_in(username, role).post(f"/payments/{payment.public_id}/release/").status_code == 403
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.HELD and not ApprovalRequest.objects.exists()


def test_releasing_a_missing_payment_is_a_message_not_a_500():
    officer = signed_in("ops1", "operations")
    response = officer.post("/payments/pay_missing/release/")
    assert response.status_code == 302  # back to the payment's page (a 404 page there), with the reason
    page = officer.get(response["Location"])
    assert page.status_code == 404
    assert not ApprovalRequest.objects.exists()
