"""Four-eyes approvals: the maker never decides, the checker needs the permission, execution is idempotent."""

from __future__ import annotations

import pytest

from apps.accounts.models import AccountStatus
from apps.approvals.errors import ApprovalNotPending, ApprovalPermissionDenied, ReasonRequired, SelfApprovalRefused
from apps.approvals.models import ApprovalKind, ApprovalStatus
from apps.approvals.policy import approval_threshold, posting_needs_approval
from apps.approvals.services import approval_approve, approval_execute, approval_reject, approval_request
from apps.ledger.models import JournalEntry
from apps.ledger.selectors import balance_get
from apps.ledger.services import account_change_status
from tests.factories import funded_account
from tests.staff import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {
        "teller": make_staff("tel", "teller"),
        "ops": make_staff("ops", "operations"),
        "ops2": make_staff("ops2", "operations"),
        "compliance": make_staff("comp", "compliance_officer"),
        "admin": make_staff("boss", "administrator"),
    }


def big_transfer(people, source, target, amount="20000.00"):
    payload = {
        "type": "TRANSFER",
        "from_account": source.public_id,
        "to_account": target.public_id,
        "amount": amount,
        "currency": "USD",
    }
    return approval_request(kind=ApprovalKind.POSTING, payload=payload, maker=people["teller"])


def test_threshold_is_configurable_per_currency(settings):
    settings.QENEX_APPROVAL_THRESHOLD = "USD=10000,JPY=1500000,*=5000"
    assert approval_threshold(currency="USD") == 10000 and approval_threshold(currency="EUR") == 5000
    assert posting_needs_approval(amount="10000.01", currency="USD")
    assert not posting_needs_approval(amount="10000.00", currency="USD")
    assert not posting_needs_approval(amount="1000000", currency="JPY")


def test_approved_posting_is_executed_once_with_a_derived_key(people):
    source, target = funded_account("30000.00"), funded_account("0.00", owner_id="other")
    approval = big_transfer(people, source, target)
    assert approval.status == ApprovalStatus.PENDING and not JournalEntry.objects.filter(entry_type="TRANSFER").exists()
    approval = approval_approve(public_id=approval.public_id, checker=people["admin"])
    assert approval.status == ApprovalStatus.EXECUTED
    entry = JournalEntry.objects.get(public_id=approval.result_ref)
    assert (
        entry.idempotency_key == f"approval:{approval.public_id}" and entry.metadata["approval"] == approval.public_id
    )
    assert balance_get(account=target).ledger_minor == 2_000_000


def test_double_approve_cannot_post_twice(people):
    source, target = funded_account("30000.00"), funded_account("0.00", owner_id="other")
    approval = big_transfer(people, source, target)
    approval_approve(public_id=approval.public_id, checker=people["admin"])
    with pytest.raises(ApprovalNotPending):
        approval_approve(public_id=approval.public_id, checker=people["admin"])
    with pytest.raises(ApprovalNotPending):
        approval_execute(public_id=approval.public_id)
    assert JournalEntry.objects.filter(entry_type="TRANSFER").count() == 1
    assert balance_get(account=target).ledger_minor == 2_000_000


def test_execution_retry_after_a_crash_answers_from_the_first_posting(people):
    source, target = funded_account("30000.00"), funded_account("0.00", owner_id="other")
    approval = big_transfer(people, source, target)
    approval = approval_approve(public_id=approval.public_id, checker=people["admin"])
    # Simulate a crash after posting but before the outcome was recorded.
    type(approval).objects.filter(pk=approval.pk).update(status=ApprovalStatus.APPROVED)
    again = approval_execute(public_id=approval.public_id)
    assert again.status == ApprovalStatus.EXECUTED and again.result_ref == approval.result_ref
    assert JournalEntry.objects.filter(entry_type="TRANSFER").count() == 1


def test_maker_can_never_approve_their_own_request(people):
    root = make_staff("root", superuser=True)  # holds every permission, still only one pair of eyes
    acc = funded_account("10.00")
    account_change_status(public_id=acc.public_id, status=AccountStatus.FROZEN)
    approval = approval_request(kind=ApprovalKind.ACCOUNT_UNFREEZE, payload={"account": acc.public_id}, maker=root)
    with pytest.raises(SelfApprovalRefused):
        approval_approve(public_id=approval.public_id, checker=root)
    with pytest.raises(SelfApprovalRefused):
        approval_reject(public_id=approval.public_id, checker=root, reason="no")
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING


def test_checker_needs_the_approve_permission(people):
    source, target = funded_account("30000.00"), funded_account("0.00", owner_id="other")
    approval = big_transfer(people, source, target)
    for who in ("ops", "compliance"):  # compliance officers decide only compliance kinds
        with pytest.raises(ApprovalPermissionDenied):
            approval_approve(public_id=approval.public_id, checker=people[who])
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING


def test_compliance_officer_approves_an_unfreeze_requested_by_operations(people):
    acc = funded_account("10.00")
    account_change_status(public_id=acc.public_id, status=AccountStatus.FROZEN)
    approval = approval_request(
        kind=ApprovalKind.ACCOUNT_UNFREEZE, payload={"account": acc.public_id}, maker=people["ops"]
    )
    approval = approval_approve(public_id=approval.public_id, checker=people["compliance"], reason="KYC cleared")
    assert approval.status == ApprovalStatus.EXECUTED and approval.reason == "KYC cleared"
    acc.refresh_from_db()
    assert acc.status == AccountStatus.ACTIVE


def test_overdraft_limit_change_is_executed_on_approval(people):
    acc = funded_account("10.00")
    approval = approval_request(
        kind=ApprovalKind.OVERDRAFT_LIMIT,
        payload={"account": acc.public_id, "overdraft_limit": "250.00"},
        maker=people["ops"],
    )
    approval_approve(public_id=approval.public_id, checker=people["admin"])
    acc.refresh_from_db()
    assert acc.overdraft_limit_minor == 25_000


def test_teller_cannot_request_an_overdraft_change(people):
    acc = funded_account("10.00")
    with pytest.raises(ApprovalPermissionDenied):
        approval_request(
            kind=ApprovalKind.OVERDRAFT_LIMIT,
            payload={"account": acc.public_id, "overdraft_limit": "250.00"},
            maker=people["teller"],
        )


def test_manual_adjustment_moves_money_against_suspense(people):
    acc = funded_account("10.00")
    approval = approval_request(
        kind=ApprovalKind.MANUAL_ADJUSTMENT,
        payload={
            "account": acc.public_id,
            "direction": "CREDIT",
            "amount": "5.00",
            "currency": "USD",
            "description": "fix",
        },
        maker=people["ops"],
    )
    approval = approval_approve(public_id=approval.public_id, checker=people["admin"])
    assert approval.status == ApprovalStatus.EXECUTED
    assert balance_get(account=acc).ledger_minor == 1_500


def test_execution_failure_marks_the_request_failed_with_the_code(people):
    source, target = funded_account("30000.00"), funded_account("0.00", owner_id="other")
    approval = big_transfer(people, source, target, amount="29000.00")
    account_change_status(public_id=source.public_id, status=AccountStatus.FROZEN)
    approval = approval_approve(public_id=approval.public_id, checker=people["admin"])
    assert approval.status == ApprovalStatus.FAILED and approval.error_code == "account_not_active"
    approval2 = big_transfer(people, target, source, amount="15000.00")
    approval2 = approval_approve(public_id=approval2.public_id, checker=people["admin"])
    assert approval2.status == ApprovalStatus.FAILED and approval2.error_code in {
        "insufficient_funds",
        "account_not_active",
    }
    assert not JournalEntry.objects.filter(entry_type="TRANSFER").exists()


def test_rejection_needs_a_reason_and_executes_nothing(people):
    source, target = funded_account("30000.00"), funded_account("0.00", owner_id="other")
    approval = big_transfer(people, source, target)
    with pytest.raises(ReasonRequired):
        approval_reject(public_id=approval.public_id, checker=people["admin"], reason=" ")
    approval = approval_reject(public_id=approval.public_id, checker=people["admin"], reason="looks wrong")
    assert approval.status == ApprovalStatus.REJECTED and approval.checker == people["admin"]
    with pytest.raises(ApprovalNotPending):
        approval_approve(public_id=approval.public_id, checker=people["admin"])
    assert not JournalEntry.objects.filter(entry_type="TRANSFER").exists()


def test_the_database_refuses_a_maker_as_checker(people):
    from django.db import IntegrityError, transaction

    source, target = funded_account("30000.00"), funded_account("0.00", owner_id="other")
    approval = big_transfer(people, source, target)
    with pytest.raises(IntegrityError), transaction.atomic():
        type(approval).objects.filter(pk=approval.pk).update(checker=people["teller"], status=ApprovalStatus.REJECTED)
