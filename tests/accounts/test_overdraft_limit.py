"""An overdraft limit may not be lowered below what is already used (ledger balance below zero plus open holds).

Otherwise available balance (ledger − open holds + limit) turns negative and holds authorised against the old
limit can no longer be captured. The rule is checked by the service (after locking the account), by the API,
and for staff four times over: when the four-eyes request is made and again when the approved change runs.
"""

from __future__ import annotations

import pytest
from django.test import Client

from apps.accounts.errors import OverdraftInUse
from apps.accounts.services import account_set_overdraft_limit
from apps.approvals.models import ApprovalKind, ApprovalStatus
from apps.approvals.services import approval_approve, approval_request
from apps.audit.models import AuditRecord
from apps.ledger import selectors, services
from apps.ledger.services import account_open
from tests.staff import make_staff, otp_login

pytestmark = pytest.mark.django_db


def account_with_limit(limit: str = "500.00"):
    acc = account_open(owner_id="olga", account_type="CHECKING", currency="USD", overdraft_limit=limit)
    merchant = account_open(owner_id="merchant", account_type="CHECKING", currency="USD")
    return acc, merchant


def test_lowering_the_limit_below_open_holds_is_refused_and_changes_nothing():
    acc, merchant = account_with_limit("500.00")
    hold = services.hold_place(account=acc.public_id, amount="300.00", currency="USD").hold
    audits = AuditRecord.objects.count()
    with pytest.raises(OverdraftInUse) as refused:
        account_set_overdraft_limit(public_id=acc.public_id, limit="299.99")
    assert (refused.value.code, refused.value.http_status, refused.value.field) == (
        "overdraft_in_use",
        409,
        "overdraft_limit",
    )
    acc.refresh_from_db()
    assert acc.overdraft_limit_minor == 50_000 and AuditRecord.objects.count() == audits
    # The hold authorised against the limit can still be captured.
    services.hold_capture(hold_id=hold.public_id, to_account=merchant.public_id)
    assert selectors.balance_get(account=acc).ledger_minor == -30_000


def test_lowering_the_limit_below_a_negative_balance_is_refused():
    acc, merchant = account_with_limit("500.00")
    services.post_transfer(from_account=acc.public_id, to_account=merchant.public_id, amount="400", currency="USD")
    with pytest.raises(OverdraftInUse):
        account_set_overdraft_limit(public_id=acc.public_id, limit="399.99")
    acc = account_set_overdraft_limit(public_id=acc.public_id, limit="400.00")
    assert acc.overdraft_limit_minor == 40_000 and selectors.balance_get(account=acc).available_minor == 0


def test_lowering_to_exactly_what_is_used_and_raising_are_allowed():
    acc, _ = account_with_limit("500.00")
    services.hold_place(account=acc.public_id, amount="300.00", currency="USD")
    assert account_set_overdraft_limit(public_id=acc.public_id, limit="300.00").overdraft_limit_minor == 30_000
    assert account_set_overdraft_limit(public_id=acc.public_id, limit="1000.00").overdraft_limit_minor == 100_000


def test_positive_balance_covers_holds_so_the_limit_can_go_to_zero():
    acc = account_open(
        owner_id="p", account_type="CHECKING", currency="USD", overdraft_limit="100", initial_balance="50"
    )
    services.hold_place(account=acc.public_id, amount="50", currency="USD")
    assert account_set_overdraft_limit(public_id=acc.public_id, limit="0").overdraft_limit_minor == 0


def test_api_refuses_lowering_a_limit_in_use_with_409(api):
    acc, _ = account_with_limit("500.00")
    services.hold_place(account=acc.public_id, amount="300.00", currency="USD")
    response = api.post(f"/api/v1/accounts/{acc.public_id}/overdraft", {"overdraft_limit": "100.00"}, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "overdraft_in_use"
    assert response.json()["error"]["field"] == "overdraft_limit"
    acc.refresh_from_db()
    assert acc.overdraft_limit_minor == 50_000


@pytest.fixture
def people():
    return {"ops": make_staff("ops", "operations"), "admin": make_staff("boss", "administrator")}


def test_four_eyes_request_to_lower_a_limit_in_use_is_refused_at_once(people):
    acc, _ = account_with_limit("500.00")
    services.hold_place(account=acc.public_id, amount="300.00", currency="USD")
    with pytest.raises(OverdraftInUse):
        approval_request(
            kind=ApprovalKind.OVERDRAFT_LIMIT,
            payload={"account": acc.public_id, "overdraft_limit": "100.00"},
            maker=people["ops"],
        )


def test_staff_api_request_to_lower_a_limit_in_use_is_409_not_202(people):
    acc, _ = account_with_limit("500.00")
    services.hold_place(account=acc.public_id, amount="300.00", currency="USD")
    ops = otp_login(Client(), people["ops"])
    response = ops.post(
        f"/api/v1/accounts/{acc.public_id}/overdraft", {"overdraft_limit": "100.00"}, content_type="application/json"
    )
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "overdraft_in_use"


def test_approved_lowering_fails_when_the_limit_got_used_after_the_request(people):
    acc, _ = account_with_limit("500.00")
    approval = approval_request(
        kind=ApprovalKind.OVERDRAFT_LIMIT,
        payload={"account": acc.public_id, "overdraft_limit": "100.00"},
        maker=people["ops"],
    )
    services.hold_place(account=acc.public_id, amount="300.00", currency="USD")  # between request and decision
    approval = approval_approve(public_id=approval.public_id, checker=people["admin"])
    assert (approval.status, approval.error_code) == (ApprovalStatus.FAILED, "overdraft_in_use")
    acc.refresh_from_db()
    assert acc.overdraft_limit_minor == 50_000
