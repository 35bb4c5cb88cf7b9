"""Reads of reconciliation data and of what the other apps recorded (through their selectors). Never write."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.accounts.models import Account
from apps.ledger.selectors import balance_as_of, entry_ids_of_owner, statement_lines
from apps.payments.selectors import payment_list, payments_of_subject

from .errors import BreakNotFound, RunNotFound, StatementNotFound
from .models import (
    BankStatement,
    BreakStatus,
    MatchingRule,
    ReconciliationBreak,
    ReconciliationRun,
    StatementLine,
)

#: ageing buckets (days since the value date): label -> (from, to inclusive; None = open-ended)
AGEING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-1", 0, 1),
    ("2-5", 2, 5),
    ("6-30", 6, 30),
    ("31+", 31, None),
)


def statement_get(*, public_id: str) -> BankStatement:
    try:
        return BankStatement.objects.select_related("account").get(public_id=public_id)
    except BankStatement.DoesNotExist:
        raise StatementNotFound(f"no statement {public_id}", field="statement") from None


def statement_by_fingerprint(*, fingerprint: str) -> BankStatement | None:
    return BankStatement.objects.filter(fingerprint=fingerprint).first()


def statements_for_day(*, day: date) -> QuerySet[BankStatement]:
    return BankStatement.objects.filter(statement_date=day).order_by("id")


def statements_never_reconciled() -> QuerySet[BankStatement]:
    return BankStatement.objects.filter(runs__isnull=True).order_by("id")


def run_get(*, public_id: str) -> ReconciliationRun:
    try:
        return ReconciliationRun.objects.select_related("statement", "statement__account").get(public_id=public_id)
    except ReconciliationRun.DoesNotExist:
        raise RunNotFound(f"no reconciliation run {public_id}", field="run") from None


def run_list(*, account: str | None = None) -> QuerySet[ReconciliationRun]:
    qs = ReconciliationRun.objects.select_related("statement", "statement__account")
    if account:
        qs = qs.filter(statement__account__public_id=account)
    return qs


def break_get(*, public_id: str) -> ReconciliationBreak:
    try:
        return ReconciliationBreak.objects.select_related("statement", "line", "run").get(public_id=public_id)
    except ReconciliationBreak.DoesNotExist:
        raise BreakNotFound(f"no break {public_id}", field="break") from None


def break_list(*, status: str | None = None, run: str | None = None, kind: str | None = None):
    qs = ReconciliationBreak.objects.select_related("statement", "line", "run")
    if status:
        qs = qs.filter(status=status)
    if run:
        qs = qs.filter(run__public_id=run)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def break_write_off_pending(*, item: ReconciliationBreak):
    """The four-eyes request of the break's write-off while it waits for a decision (apps.approvals), else None."""
    if not item.approval or item.status != BreakStatus.OPEN:
        return None
    from apps.approvals.models import ApprovalRequest, ApprovalStatus

    return ApprovalRequest.objects.filter(
        public_id=item.approval, status__in=(ApprovalStatus.PENDING, ApprovalStatus.APPROVED)
    ).first()


def open_breaks_of_statement(*, statement: BankStatement) -> QuerySet[ReconciliationBreak]:
    return ReconciliationBreak.objects.filter(statement=statement, status=BreakStatus.OPEN)


#: The rules of a fresh installation (migration 0002 stores the same rows); used while the table is empty.
DEFAULT_RULES: tuple[MatchingRule, ...] = (
    MatchingRule(name="uetr", priority=10, match_on="uetr"),
    MatchingRule(name="end-to-end id", priority=20, match_on="end_to_end_id"),
    MatchingRule(name="any reference", priority=30, match_on="reference"),
    MatchingRule(name="amount and value date", priority=40, match_on="amount_date", date_tolerance_days=1),
)


def rules_active() -> list[MatchingRule]:
    """The active matching rules in priority order; the defaults when no rule was ever stored."""
    if not MatchingRule.objects.exists():
        return list(DEFAULT_RULES)
    return list(MatchingRule.objects.filter(active=True).order_by("priority", "name"))


def ageing(breaks, today: date | None = None) -> dict[str, int]:
    """How many breaks fall in each ageing bucket (days since their value date)."""
    today = today or timezone.localdate()
    counts: Counter[str] = Counter({label: 0 for label, _, _ in AGEING_BUCKETS})
    for item in breaks:
        age = item.age_days(today)
        for label, low, high in AGEING_BUCKETS:
            if age >= low and (high is None or age <= high):
                counts[label] += 1
                break
    return dict(counts)


@dataclass(frozen=True)
class LedgerSide:
    """What QENEX recorded on the nostro in the statement's window, and the payments those postings settled."""

    postings: list  # apps.ledger Posting rows, oldest first
    payments_by_entry: dict[str, object]  # journal entry public id -> PaymentOrder
    payments_by_reference: dict[str, object]  # uetr / reference -> PaymentOrder (any time), for reference rules
    balance_minor: int


def ledger_side(*, account: Account, start: datetime, cut_off: datetime, uetrs: list[str], references: list[str]):
    """The nostro's postings in (start, cut_off], the payments they settled, and its ledger balance at cut_off."""
    postings = list(statement_lines(account=account, start=start, end=cut_off + timedelta(microseconds=1)))
    entry_ids = [posting.entry.public_id for posting in postings]
    payments = payment_list().filter(currency=account.currency)
    by_entry = {p.capture_transaction_id: p for p in payments.filter(capture_transaction_id__in=entry_ids)}
    by_reference: dict[str, object] = {}
    valid_uetrs = [value for value in uetrs if _is_uuid(value)]
    for payment in payments.filter(uetr__in=valid_uetrs):
        by_reference[str(payment.uetr)] = payment
    for payment in payments.filter(reference__in=[value for value in references if value]):
        by_reference.setdefault(payment.reference, payment)
    return LedgerSide(postings, by_entry, by_reference, balance_as_of(account=account, at=cut_off))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


# --- data-subject rights (apps.privacy calls these through reconciliation's services) ---------------------------
def lines_of_subject(*, subject_id: str) -> QuerySet[StatementLine]:
    """Statement lines matched to the customer's payments or to ledger entries on their accounts."""
    return StatementLine.objects.filter(
        Q(matched_payment__in=payments_of_subject(subject_id=subject_id).values("public_id"))
        | Q(matched_entry__in=entry_ids_of_owner(owner_id=subject_id))
    )
