"""Closing a break: resolved (with what it was, optionally the payment or posting) or written off, four-eyes above
the approval threshold through apps.approvals; every change audited, bad input refused with a code and no change.
"""

from __future__ import annotations

import pytest

from apps.approvals import services as approvals
from apps.approvals.errors import SelfApprovalRefused
from apps.approvals.models import ApprovalKind, ApprovalRequest, ApprovalStatus
from apps.audit.models import AuditRecord
from apps.core.errors import DomainError
from apps.reconciliation import services
from apps.reconciliation.errors import BreakAlreadyResolved, BreakPendingApproval
from apps.reconciliation.models import BreakKind, BreakStatus, ReconciliationBreak
from tests.payments.formats.statement_samples import Line
from tests.staff import make_staff

from .helpers import settled_payment, statement_for
from .test_services import import_and_run

pytestmark = pytest.mark.django_db


def _fee_break(amount: str = "5.00") -> ReconciliationBreak:
    payment = settled_payment("E2E-BRK")
    _, run = import_and_run(statement_for([payment], extra=[Line(amount, "DBIT", remittance="charges")]))
    (item,) = ReconciliationBreak.objects.filter(run=run)
    assert item.kind == BreakKind.UNMATCHED_STATEMENT_LINE
    return item


def test_resolve_links_the_payment_and_the_posting_and_is_audited():
    item = _fee_break()
    other = settled_payment("E2E-LATE")
    done = services.break_resolve(
        break_id=item.public_id,
        note="the bank booked it a day early",
        payment=other.public_id,
        entry=other.capture_transaction_id,
        actor="ops1",
    )
    assert (done.status, done.linked_payment, done.linked_entry, done.resolved_by) == (
        BreakStatus.RESOLVED,
        other.public_id,
        other.capture_transaction_id,
        "ops1",
    )
    record = AuditRecord.objects.get(action="reconciliation.break_resolved", object_id=item.public_id)
    assert record.after["linked_payment"] == other.public_id and record.before == {"status": "OPEN"}
    with pytest.raises(BreakAlreadyResolved):
        services.break_resolve(break_id=item.public_id, note="again", actor="ops1")
    with pytest.raises(BreakAlreadyResolved):
        services.break_write_off(break_id=item.public_id, reason="too late", actor="ops1")


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"note": "  "}, "missing_field"),
        ({"note": "x", "payment": "pay_nope"}, "payment_not_found"),
        ({"note": "x", "entry": "txn_nope"}, "transaction_not_found"),
    ],
)
def test_a_bad_resolution_is_refused_with_a_code_and_changes_nothing(kwargs, code):
    item = _fee_break()
    with pytest.raises(DomainError) as refused:
        services.break_resolve(break_id=item.public_id, actor="ops1", **kwargs)
    assert refused.value.code == code
    item.refresh_from_db()
    assert (item.status, item.linked_payment, item.linked_entry) == (BreakStatus.OPEN, "", "")
    assert not AuditRecord.objects.filter(object_id=item.public_id).exists()


def test_a_write_off_below_the_threshold_writes_it_off_at_once(settings):
    settings.QENEX_APPROVAL_THRESHOLD = "100"
    item = _fee_break("5.00")
    outcome = services.break_write_off(break_id=item.public_id, reason="bank charges, immaterial", actor="ops1")
    assert outcome.approval is None
    item.refresh_from_db()
    assert (item.status, item.resolution, item.approval) == (BreakStatus.WRITTEN_OFF, "bank charges, immaterial", "")
    record = AuditRecord.objects.get(action="reconciliation.break_written_off", object_id=item.public_id)
    assert (record.after["written_off_minor"], record.after["currency"]) == (500, "EUR")
    assert not ApprovalRequest.objects.exists()


def test_a_write_off_above_the_threshold_waits_for_a_second_officer(settings):
    settings.QENEX_APPROVAL_THRESHOLD = "100"
    item = _fee_break("250.00")
    maker, checker = make_staff("ops1", "operations"), make_staff("admin1", "administrator")
    outcome = services.break_write_off(break_id=item.public_id, reason="unrecoverable", actor="ops1", maker=maker)
    approval = outcome.approval
    assert (approval.kind, approval.status, approval.payload) == (
        ApprovalKind.RECON_WRITE_OFF,
        ApprovalStatus.PENDING,
        {"break": item.public_id, "reason": "unrecoverable"},
    )
    item.refresh_from_db()
    assert (item.status, item.approval) == (BreakStatus.OPEN, approval.public_id)
    # A double click makes no second request; nothing else is done to the break while it waits.
    again = services.break_write_off(break_id=item.public_id, reason="unrecoverable", actor="ops1", maker=maker)
    assert again.approval.public_id == approval.public_id and ApprovalRequest.objects.count() == 1
    with pytest.raises(BreakPendingApproval):
        services.break_resolve(break_id=item.public_id, note="found it", actor="ops1")
    with pytest.raises(SelfApprovalRefused):
        approvals.approval_approve(public_id=approval.public_id, checker=maker)
    assert not AuditRecord.objects.filter(action="reconciliation.break_written_off").exists()
    done = approvals.approval_approve(public_id=approval.public_id, checker=checker, reason="agreed")
    assert (done.status, done.result_ref) == (ApprovalStatus.EXECUTED, item.public_id), done.error_code
    item.refresh_from_db()
    assert (item.status, item.resolution, item.approval) == (
        BreakStatus.WRITTEN_OFF,
        "unrecoverable",
        approval.public_id,
    )
    assert item.resolved_by == "ops1 approved-by admin1"
    record = AuditRecord.objects.get(action="reconciliation.break_written_off", object_id=item.public_id)
    assert record.after["approval"] == approval.public_id and record.after["written_off_minor"] == 25000


def test_a_rejected_write_off_leaves_the_break_open_for_another_decision(settings):
    settings.QENEX_APPROVAL_THRESHOLD = "100"
    item = _fee_break("250.00")
    maker, checker = make_staff("ops1", "operations"), make_staff("admin1", "administrator")
    approval = services.break_write_off(break_id=item.public_id, reason="lost", actor="ops1", maker=maker).approval
    approvals.approval_reject(public_id=approval.public_id, checker=checker, reason="chase the bank first")
    done = services.break_resolve(break_id=item.public_id, note="the bank refunded it", actor="ops1")
    assert done.status == BreakStatus.RESOLVED


def test_an_approval_for_a_break_a_later_run_superseded_fails_with_a_code(settings):
    settings.QENEX_APPROVAL_THRESHOLD = "100"
    item = _fee_break("250.00")
    maker, checker = make_staff("ops1", "operations"), make_staff("admin1", "administrator")
    approval = services.break_write_off(break_id=item.public_id, reason="lost", actor="ops1", maker=maker).approval
    services.reconciliation_run(statement_id=item.statement.public_id, actor="ops1")
    done = approvals.approval_approve(public_id=approval.public_id, checker=checker)
    assert (done.status, done.error_code) == (ApprovalStatus.FAILED, "break_already_resolved")
    item.refresh_from_db()
    assert item.status == BreakStatus.RESOLVED and item.resolution.startswith("superseded by")
