"""Every change of an approval request reaches the audit trail; the operation runs in its own transactions."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from apps.accounts.models import AccountStatus
from apps.approvals.errors import ApprovalNotPending, ApprovalPermissionDenied, SelfApprovalRefused
from apps.approvals.models import ApprovalKind, ApprovalStatus
from apps.approvals.services import approval_approve, approval_execute, approval_reject, approval_request
from apps.audit.verification import audit_chain_verify
from apps.ledger.services import account_change_status
from tests.audit.trail import last_sequence, records_since, sql_log
from tests.factories import funded_account
from tests.staff import make_staff, otp_login

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def people():
    return {
        "teller": make_staff("tel", "teller"),
        "ops": make_staff("ops", "operations"),
        "admin": make_staff("boss", "administrator"),
    }


@pytest.fixture
def accounts():
    return funded_account("30000.00"), funded_account("0.00", owner_id="other")


def request_transfer(people, source, target, amount="20000.00", **extra):
    payload = {
        "type": "TRANSFER",
        "from_account": source.public_id,
        "to_account": target.public_id,
        "amount": amount,
        "currency": "USD",
        "description": "invoice for Ada Lovelace",
        "metadata": {"note": "customer called"},
        **extra,
    }
    return approval_request(kind=ApprovalKind.POSTING, payload=payload, maker=people["teller"])


def summary(source, target, amount="20000.00"):
    return {
        "type": "TRANSFER",
        "from_account": source.public_id,
        "to_account": target.public_id,
        "amount": amount,
        "currency": "USD",
    }


def test_a_request_is_recorded_with_kind_maker_and_a_payload_summary(people, accounts):
    source, target = accounts
    mark = last_sequence()
    with sql_log() as sql:
        approval = request_transfer(people, source, target)
    (record,) = records_since(mark)
    assert (record.action, record.object_type, record.object_id, record.actor, record.actor_user_id) == (
        "approval.requested",
        "approval",
        approval.public_id,
        "tel",
        people["teller"].pk,
    )
    assert record.before is None
    assert record.after == {
        "status": "PENDING",
        "kind": "POSTING",
        "maker": "tel",
        "checker": None,
        "payload": summary(source, target),
    }
    assert "Ada" not in str(record.after) and "customer called" not in str(record.after)  # free text stays out
    assert sql.violations() == []
    assert audit_chain_verify().ok


def test_an_idempotent_retry_of_a_request_writes_no_second_record(people, accounts):
    source, target = accounts
    payload = summary(source, target)
    approval_request(kind=ApprovalKind.POSTING, payload=payload, maker=people["teller"], idempotency_key="r-1")
    mark = last_sequence()
    approval_request(kind=ApprovalKind.POSTING, payload=payload, maker=people["teller"], idempotency_key="r-1")
    assert records_since(mark) == []


def test_approval_records_the_decision_then_the_posting_then_the_execution(people, accounts):
    source, target = accounts
    approval = request_transfer(people, source, target)
    mark = last_sequence()
    with sql_log() as sql:
        approval = approval_approve(public_id=approval.public_id, checker=people["admin"], reason="checked")
    approved, posted, executed = records_since(mark)
    assert [r.action for r in (approved, posted, executed)] == [
        "approval.approved",
        "ledger.transfer_posted",
        "approval.executed",
    ]
    assert (approved.object_id, approved.actor, approved.actor_user_id) == (
        approval.public_id,
        "boss",
        people["admin"].pk,
    )
    assert approved.before == {"status": "PENDING"}
    assert approved.after == {
        "status": "APPROVED",
        "kind": "POSTING",
        "maker": "tel",
        "checker": "boss",
        "payload": summary(source, target),
        "reason": "checked",
    }
    assert posted.object_id == approval.result_ref
    assert (executed.object_id, executed.actor, executed.actor_user_id) == (
        approval.public_id,
        "tel approved-by boss",
        people["admin"].pk,
    )
    assert executed.before == {"status": "APPROVED"}
    assert executed.after == {**approved.after, "status": "EXECUTED", "result_ref": approval.result_ref}
    assert sql.violations() == []  # no account lock after an audit write, in any of the three transactions
    assert audit_chain_verify().ok


def test_an_approved_operation_refused_when_it_runs_is_recorded_as_failed(people, accounts):
    source, target = accounts
    approval = request_transfer(people, source, target, amount="50000.00")  # more than the balance
    mark = last_sequence()
    approval = approval_approve(public_id=approval.public_id, checker=people["admin"])
    assert approval.status == ApprovalStatus.FAILED
    approved, failed = records_since(mark)  # the refused posting wrote nothing
    assert (approved.action, failed.action) == ("approval.approved", "approval.failed")
    assert failed.before == {"status": "APPROVED"}
    assert failed.after["status"] == "FAILED"
    assert failed.after["error_code"] == approval.error_code == "insufficient_funds"
    assert failed.after["error_message"] == approval.error_message
    assert audit_chain_verify().ok


def test_a_rejection_is_recorded_with_its_reason(people, accounts):
    source, target = accounts
    approval = request_transfer(people, source, target)
    mark = last_sequence()
    with sql_log() as sql:
        approval_reject(public_id=approval.public_id, checker=people["admin"], reason="not documented")
    (record,) = records_since(mark)
    assert (record.action, record.object_id, record.actor, record.actor_user_id) == (
        "approval.rejected",
        approval.public_id,
        "boss",
        people["admin"].pk,
    )
    assert (record.before, record.after["status"], record.after["checker"], record.after["reason"]) == (
        {"status": "PENDING"},
        "REJECTED",
        "boss",
        "not documented",
    )
    assert sql.violations() == []
    assert audit_chain_verify().ok


def test_refused_decisions_write_no_approval_record():
    root = make_staff("root", superuser=True)
    ops = make_staff("ops", "operations")
    acc = funded_account("10.00")
    account_change_status(public_id=acc.public_id, status=AccountStatus.FROZEN)
    approval = approval_request(kind=ApprovalKind.ACCOUNT_UNFREEZE, payload={"account": acc.public_id}, maker=root)
    mark = last_sequence()
    with pytest.raises(SelfApprovalRefused):
        approval_approve(public_id=approval.public_id, checker=root)
    with pytest.raises(SelfApprovalRefused):
        approval_reject(public_id=approval.public_id, checker=root, reason="no")
    with pytest.raises(ApprovalPermissionDenied):
        approval_approve(public_id=approval.public_id, checker=ops)
    assert records_since(mark) == []
    approval_reject(public_id=approval.public_id, checker=make_staff("boss", "administrator"), reason="no")
    mark = last_sequence()
    with pytest.raises(ApprovalNotPending):
        approval_approve(public_id=approval.public_id, checker=make_staff("boss2", "administrator"))
    assert records_since(mark, "approval.") == []


def test_an_unfreeze_approved_by_compliance_is_recorded_around_the_status_change():
    ops, compliance = make_staff("ops", "operations"), make_staff("comp", "compliance_officer")
    acc = funded_account("10.00")
    account_change_status(public_id=acc.public_id, status=AccountStatus.FROZEN)
    approval = approval_request(kind=ApprovalKind.ACCOUNT_UNFREEZE, payload={"account": acc.public_id}, maker=ops)
    mark = last_sequence()
    approval_approve(public_id=approval.public_id, checker=compliance, reason="KYC cleared")
    assert [(r.action, r.object_id) for r in records_since(mark)] == [
        ("approval.approved", approval.public_id),
        ("account.status_changed", acc.public_id),
        ("approval.executed", approval.public_id),
    ]
    assert records_since(mark)[-1].after["payload"] == {"account": acc.public_id}


def test_a_retried_execution_records_its_outcome_once(people, accounts):
    source, target = accounts
    approval = approval_approve(public_id=request_transfer(people, source, target).public_id, checker=people["admin"])
    type(approval).objects.filter(pk=approval.pk).update(status=ApprovalStatus.APPROVED)  # crash before the outcome
    mark = last_sequence()
    approval_execute(public_id=approval.public_id)  # the posting answers from its idempotency key
    assert [r.action for r in records_since(mark)] == ["approval.executed"]


def test_deciding_inside_a_callers_transaction_is_refused(people, accounts):
    # The operation's services lock accounts: they must never run after an audit write of the same transaction.
    source, target = accounts
    approval = request_transfer(people, source, target)
    mark = last_sequence()
    with pytest.raises(RuntimeError), transaction.atomic():
        approval_approve(public_id=approval.public_id, checker=people["admin"])
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING
    assert records_since(mark) == []


def test_decisions_over_the_api_carry_the_request_id(accounts):
    source, target = accounts
    teller = otp_login(Client(), make_staff("tel", "teller"))
    body = {"type": "TRANSFER", "from_account": source.public_id, "to_account": target.public_id}
    created = teller.post(
        "/api/v1/transactions",
        {**body, "amount": "12000.00", "currency": "USD"},
        content_type=JSON,
        HTTP_IDEMPOTENCY_KEY="k-1",
        HTTP_X_REQUEST_ID="req-make",
    ).json()
    boss_user = make_staff("boss", "administrator")
    boss = otp_login(Client(), boss_user)
    mark = last_sequence()
    done = boss.post(
        f"/api/v1/approvals/{created['id']}/approve", {"reason": "ok"}, content_type=JSON, HTTP_X_REQUEST_ID="req-ok"
    )
    assert done.status_code == 200, done.content
    records = records_since(mark, "approval.")
    assert [(r.action, r.request_id, r.actor_user_id) for r in records] == [
        ("approval.approved", "req-ok", boss_user.pk),
        ("approval.executed", "req-ok", boss_user.pk),
    ]
    requested = records_since(0, "approval.requested")[-1]
    assert (requested.object_id, requested.request_id, requested.actor) == (created["id"], "req-make", "tel")
    assert audit_chain_verify().ok
