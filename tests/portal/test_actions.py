"""Actions from the portal: postings and holds through the four-eyes policy, freeze at once, unfreeze through
approvals, held payments released or rejected, dead letters retried. Each is one service call; each form
carries an idempotency key, so a resubmit does the work once.
"""

from __future__ import annotations

import pytest
from django.test import Client

from apps.accounts.models import BANK_OWNER_ID, Account, AccountStatus
from apps.approvals.models import ApprovalKind, ApprovalRequest, ApprovalStatus
from apps.approvals.services import approval_approve
from apps.ledger.models import Hold, HoldStatus, JournalEntry
from apps.ledger.selectors import balance_get
from apps.payments import checks
from apps.payments.services import orders, submission
from apps.payments.states import PaymentStatus
from apps.portal.selectors import dashboard_summary
from tests.factories import funded_account
from tests.payments.gateway.payments import request_from, sct_body
from tests.staff import make_staff, otp_login

pytestmark = pytest.mark.django_db


def signed_in(username: str, role: str | None = None, *, superuser: bool = False) -> Client:
    return otp_login(Client(), make_staff(username, role, superuser=superuser))


def flash(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_a_transfer_below_the_threshold_posts_and_a_resubmit_posts_once():
    source, target = funded_account("5000.00"), funded_account("0.00")
    teller = signed_in("teller1", "teller")
    form = {"to_account": target.public_id, "amount": "1234.56", "description": "rent", "idempotency_key": "k-1"}
    first = teller.post(f"/accounts/{source.public_id}/transfer/", form, follow=True)
    assert "Transfer posted: txn_" in flash(first)
    teller.post(f"/accounts/{source.public_id}/transfer/", form)  # the browser's resubmit
    assert balance_get(account=target).ledger_minor == 123456
    assert balance_get(account=source).ledger_minor == 500000 - 123456
    entry = JournalEntry.objects.get(entry_type="TRANSFER")
    assert entry.actor == "teller1" and entry.metadata == {"channel": "portal"}


def test_a_transfer_above_the_threshold_waits_for_a_second_person(settings):
    settings.QENEX_APPROVAL_THRESHOLD = "1000"
    source, target = funded_account("9000.00"), funded_account("0.00")
    teller = signed_in("teller1", "teller")
    form = {"to_account": target.public_id, "amount": "5000.00", "description": "invoice", "idempotency_key": "t-1"}
    response = teller.post(f"/accounts/{source.public_id}/transfer/", form, follow=True)
    assert "needs a second person's approval" in flash(response)
    approval = ApprovalRequest.objects.get(kind=ApprovalKind.POSTING)
    assert approval.status == ApprovalStatus.PENDING and approval.payload["amount"] == "5000.00"
    assert dashboard_summary()["waiting"]["approvals"] == 1
    assert balance_get(account=target).ledger_minor == 0  # nothing posted yet
    teller.post(f"/accounts/{source.public_id}/transfer/", form)  # a resubmit: the same request
    assert ApprovalRequest.objects.count() == 1
    checker = make_staff("admin1", "administrator")
    assert approval_approve(public_id=approval.public_id, checker=checker).status == ApprovalStatus.EXECUTED
    assert balance_get(account=target).ledger_minor == 500000


def test_a_deposit_above_the_threshold_waits_too(settings):
    settings.QENEX_APPROVAL_THRESHOLD = "1000"
    account = funded_account("0.00")
    teller = signed_in("teller1", "teller")
    response = teller.post(f"/accounts/{account.public_id}/deposit/", {"amount": "5000.00", "idempotency_key": "d"},
                           follow=True)
    assert "needs a second person's approval" in flash(response)
    assert balance_get(account=account).ledger_minor == 0


def test_small_transfers_that_add_up_above_the_threshold_are_caught_by_velocity(settings):
    settings.QENEX_APPROVAL_THRESHOLD = "1000"
    source, target = funded_account("900.00"), funded_account("0.00")
    teller = signed_in("teller1", "teller")
    for i, amount in enumerate(["600.00", "600.00"]):
        teller.post(f"/accounts/{source.public_id}/transfer/",
                    {"to_account": target.public_id, "amount": amount, "idempotency_key": f"v-{i}"})
    assert balance_get(account=target).ledger_minor == 60000
    assert ApprovalRequest.objects.filter(kind=ApprovalKind.POSTING).count() == 1


def test_a_refused_transfer_says_why_and_changes_nothing():
    source, target = funded_account("10.00"), funded_account("0.00")
    teller = signed_in("teller1", "teller")
    response = teller.post(f"/accounts/{source.public_id}/transfer/",
                           {"to_account": target.public_id, "amount": "50.00", "idempotency_key": "x"}, follow=True)
    assert "Refused (insufficient_funds)" in flash(response)
    bad = teller.post(f"/accounts/{source.public_id}/transfer/", {"to_account": "", "amount": "-1",
                                                                  "idempotency_key": "y"}, follow=True)
    assert "Not sent" in flash(bad)
    assert balance_get(account=target).ledger_minor == 0


def test_the_banks_own_accounts_take_no_postings_or_holds_from_the_portal():
    customer = funded_account("100.00")
    cash = Account.objects.get(owner_id=BANK_OWNER_ID, account_type="CASH", currency="USD")
    ops = signed_in("ops1", "operations")
    assert "Post transfer" not in ops.get(f"/accounts/{cash.public_id}/").content.decode()
    form = {"to_account": customer.public_id, "amount": "5.00", "idempotency_key": "gl"}
    assert ops.post(f"/accounts/{cash.public_id}/transfer/", form).status_code == 404
    assert ops.post(f"/accounts/{cash.public_id}/deposit/", form).status_code == 404
    assert ops.post(f"/accounts/{cash.public_id}/hold/", form).status_code == 404
    assert balance_get(account=customer).ledger_minor == 10000


def test_place_and_release_a_hold():
    account = funded_account("100.00")
    ops = signed_in("ops1", "operations")
    ops.post(f"/accounts/{account.public_id}/hold/", {"amount": "30.00", "description": "dispute",
                                                       "idempotency_key": "h-1"})
    hold = Hold.objects.get(account=account)
    assert hold.status == HoldStatus.AUTHORIZED and balance_get(account=account).available_minor == 7000
    page = ops.get(f"/accounts/{account.public_id}/").content.decode()
    assert f"Release hold {hold.public_id}" in page
    other = funded_account("1.00")
    assert ops.post(f"/accounts/{other.public_id}/holds/{hold.public_id}/release/").status_code == 404
    ops.post(f"/accounts/{account.public_id}/holds/{hold.public_id}/release/")
    hold.refresh_from_db()
    assert hold.status == HoldStatus.VOIDED and balance_get(account=account).available_minor == 10000


def test_freeze_is_immediate_and_unfreeze_goes_through_approvals():
    account = funded_account("100.00")
    ops = signed_in("ops1", "operations")
    ops.post(f"/accounts/{account.public_id}/freeze/")
    account.refresh_from_db()
    assert account.status == AccountStatus.FROZEN
    page = ops.get(f"/accounts/{account.public_id}/").content.decode()
    assert "Request unfreeze" in page and "Freeze account" not in page
    response = ops.post(f"/accounts/{account.public_id}/unfreeze/", follow=True)
    assert "needs a second person's approval" in flash(response)
    account.refresh_from_db()
    assert account.status == AccountStatus.FROZEN
    approval = ApprovalRequest.objects.get(kind=ApprovalKind.ACCOUNT_UNFREEZE)
    approval_approve(public_id=approval.public_id, checker=make_staff("co1", "compliance_officer"))
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE


def test_roles_see_only_the_actions_they_may_take_and_the_rest_is_refused():
    account, target = funded_account("100.00"), funded_account("0.00")
    auditor = signed_in("aud1", "auditor")
    page = auditor.get(f"/accounts/{account.public_id}/").content.decode()
    assert "Post transfer" not in page and "Place hold" not in page and "Freeze account" not in page
    form = {"to_account": target.public_id, "amount": "1.00", "idempotency_key": "a"}
    assert auditor.post(f"/accounts/{account.public_id}/transfer/", form).status_code == 403
    assert auditor.post(f"/accounts/{account.public_id}/freeze/").status_code == 403
    teller = signed_in("teller1", "teller")
    page = teller.get(f"/accounts/{account.public_id}/").content.decode()
    assert "Post transfer" in page and "Place hold" not in page and "Freeze account" not in page
    assert teller.get(f"/accounts/{account.public_id}/transfer/").status_code == 405
    assert balance_get(account=target).ledger_minor == 0


def _held_payment():
    checks.register("test.review", lambda p: checks.CheckResult.hold("review"))
    try:
        account = funded_account("500.00", "EUR")
        return orders.payment_send(request=request_from(sct_body(account.public_id)),
                                   debtor_account=account.public_id).payment
    finally:
        checks.unregister("test.review")


def test_held_payments_are_released_or_rejected_from_the_queue():
    officer = signed_in("root", superuser=True)
    first, second = _held_payment(), _held_payment()
    assert dashboard_summary()["waiting"]["payments_held"] == 2  # the dashboard's tile
    queue = officer.get("/payments/held/").content.decode()
    assert first.public_id in queue and second.public_id in queue and "150.00 EUR" in queue
    response = officer.post(f"/payments/{first.public_id}/release/", {"next": "held"}, follow=True)
    assert response.redirect_chain[-1][0] == "/payments/held/"
    assert f"Payment {first.public_id} released" in flash(response)
    officer.post(f"/payments/{second.public_id}/reject/", {"reason": "sanctions match", "next": "held"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == PaymentStatus.QUEUED and first.hold_id
    assert second.status == PaymentStatus.REJECTED and second.reason == "sanctions match"
    again = officer.post(f"/payments/{second.public_id}/release/", follow=True)
    assert "Refused (payment_not_held)" in flash(again)
    detail = officer.get(f"/payments/{second.public_id}/").content.decode()
    assert "HELD" in detail and "REJECTED" in detail and "sanctions match" in detail  # the state history
    assert officer.get("/payments/pay_missing/").status_code == 404


def test_payments_list_filters_by_status_and_rail():
    officer = signed_in("root", superuser=True)
    held = _held_payment()
    everything = officer.get("/payments/").content.decode()
    assert held.public_id in everything
    assert held.public_id in officer.get("/payments/?status=HELD&rail=sepa").content.decode()
    assert held.public_id not in officer.get("/payments/?status=SETTLED").content.decode()
    assert held.public_id not in officer.get("/payments/?rail=swift").content.decode()


def test_a_dead_letter_is_retried_from_the_portal(settings):
    settings.QENEX_PAYMENTS_NETWORK_URLS = "*=http://127.0.0.1:9"  # nothing listens on the discard port
    settings.QENEX_PAYMENTS_SUBMIT_ATTEMPTS = 1
    account = funded_account("500.00", "EUR")
    payment = orders.payment_send(request=request_from(sct_body(account.public_id)),
                                  debtor_account=account.public_id).payment
    submission.payment_submit(payment_id=payment.public_id)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert dashboard_summary()["waiting"]["payments_failed"] == 1
    officer = signed_in("root", superuser=True)
    assert payment.public_id in officer.get("/payments/failed/").content.decode()
    officer.post(f"/payments/{payment.public_id}/retry/", {"next": "failed"})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.QUEUED
    assert "retried by root" in payment.events.last().reason
