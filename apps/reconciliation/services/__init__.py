"""Writes of reconciliation: import a statement, run a reconciliation; resolving or writing off a break is in
:mod:`.breaks` (re-exported here).

Order of work in a run: every read (statement lines, the nostro's postings and balance through
``apps.ledger.selectors``, the payments through ``apps.payments.selectors``) happens first, the matching
is a pure function (:mod:`.matching`), and one short durable transaction then records the run, marks the
lines, opens the breaks, closes the previous run's open breaks of the same statement (superseded) and writes
the audit record. Re-running a statement is therefore safe: its newest run is the truth.

Signs: a statement shows our account as the bank sees it (credit = money we have there). QENEX's ledger
keeps the nostro with the opposite sign (a payment out credits the NOSTRO posting), so a statement amount
is ``QENEX_RECONCILIATION_LEDGER_SIGN`` (default -1) times the ledger amount. The balance check compares
the closing balance, in the ledger's sign, with ``balance_as_of(nostro, cut_off)``; the difference the open
breaks explain (lines the ledger lacks, postings the bank lacks, amount differences) is shown separately,
and the balance agrees when nothing is left unexplained.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Account, AccountType
from apps.accounts.selectors import account_get, internal_account_find
from apps.audit.services import audit_record
from apps.core.errors import InvalidInput
from apps.payments.formats.statement import BOOKED_STATUSES, Statement, read_statements
from apps.security.fields import erase_values

from .. import matching, selectors
from ..errors import NostroNotFound, StatementUnreadable
from ..models import (
    BankStatement,
    BreakKind,
    BreakStatus,
    LineStatus,
    ReconciliationBreak,
    ReconciliationRun,
    StatementLine,
)


def ledger_sign() -> int:
    sign = int(getattr(settings, "QENEX_RECONCILIATION_LEDGER_SIGN", -1))
    if sign not in (-1, 1):
        raise InvalidInput("QENEX_RECONCILIATION_LEDGER_SIGN must be -1 or 1", field="settings")
    return sign


@dataclass(frozen=True)
class ImportResult:
    message_type: str
    statements: list[BankStatement]
    created: list[BankStatement]


# --------------------------------------------------------------------------- import


def statement_import(*, raw: bytes, actor: str, account: str | None = None) -> ImportResult:
    """Read a statement file (camt.052/053/054 any version, MT940/MT942/MT950) and store each statement in it.

    The same file imported again changes nothing and returns the statements already stored.
    """
    message_type, statements, errors = read_statements(raw)
    if errors:
        shown = "; ".join(str(error) for error in errors[:5])
        more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        raise StatementUnreadable(f"{message_type}: {len(errors)} problem(s): {shown}{more}", errors=errors)
    if not statements:
        raise StatementUnreadable(f"{message_type}: the file holds no statement")
    digest = hashlib.sha256(raw).hexdigest()
    targets = [_target_account(statement, account) for statement in statements]
    stored: list[BankStatement] = []
    created: list[BankStatement] = []
    with transaction.atomic(durable=True):
        for index, (statement, target) in enumerate(zip(statements, targets, strict=True)):
            fingerprint = hashlib.sha256(f"{digest}:{index}".encode()).hexdigest()
            existing = selectors.statement_by_fingerprint(fingerprint=fingerprint)
            if existing is not None:
                stored.append(existing)
                continue
            row = _store(statement, target, fingerprint, actor)
            stored.append(row)
            created.append(row)
        if created:
            audit_record(
                action="reconciliation.statement_imported",
                object_type="BankStatement",
                object_id=created[0].public_id,
                after={
                    "statements": [row.public_id for row in created],
                    "message_type": message_type,
                    "lines": sum(row.lines.count() for row in created),
                    "file_sha256": digest,
                },
                actor=actor,
            )
    return ImportResult(message_type, stored, created)


def _target_account(statement: Statement, account: str | None) -> Account:
    currency = statement.statement_currency
    if account:
        target = account_get(public_id=account)
        if not target.is_internal:
            # A statement is the bank's own account with a correspondent: never a customer's account.
            raise InvalidInput(
                f"{account} is not one of the bank's own accounts", field="account", code="not_a_bank_account"
            )
    else:
        target = internal_account_find(account_type=AccountType.NOSTRO, currency=currency or "")
        if target is None:
            raise NostroNotFound(f"no NOSTRO account in {currency} to reconcile statement {statement.statement_id}")
    if currency and target.currency != currency:
        raise InvalidInput(
            f"statement {statement.statement_id} is in {currency}, account {target.public_id} in {target.currency}",
            field="account",
            code="currency_mismatch",
        )
    return target


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def _as_instant(value: date | datetime | None, *, end: bool) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return _end_of(value) if end else datetime.combine(value, time.min, tzinfo=UTC)


def _store(statement: Statement, account: Account, fingerprint: str, actor: str) -> BankStatement:
    dates = [entry.booking_date or entry.value_date for entry in statement.entries]
    dates = [value for value in dates if value is not None]
    closing = statement.closing_balance
    cut_off = _as_instant(statement.cut_off, end=True) or _as_instant(max(dates, default=None), end=True)
    if cut_off is None:
        cut_off = statement.created or timezone.now()
    period_start = _as_instant(statement.period_start, end=False) or _as_instant(
        min(dates, default=cut_off.date()), end=False
    )
    opening = statement.opening_balance
    row = BankStatement.objects.create(
        account=account,
        source_format=statement.source_format,
        kind=statement.kind,
        statement_id=statement.statement_id[:64],
        message_id=(statement.message_id or "")[:64],
        sequence_number=(statement.sequence_number or "")[:32],
        statement_account=statement.account[:64],
        currency=statement.statement_currency or account.currency,
        statement_date=cut_off.date(),
        period_start=period_start,
        cut_off=cut_off,
        opening_minor=opening.signed_minor if opening else None,
        closing_minor=closing.signed_minor if closing else None,
        fingerprint=fingerprint,
        imported_by=actor,
    )
    lines = []
    for position, entry in enumerate(statement.entries, start=1):
        counterparty = " ".join(part for part in (entry.counterparty_name, entry.counterparty_account) if part)
        lines.append(
            StatementLine(
                statement=row,
                position=position,
                amount_minor=entry.signed_minor,
                currency=entry.currency or row.currency,
                status=entry.status or "BOOK",
                booking_date=entry.booking_date,
                value_date=entry.value_date,
                end_to_end_id=(entry.end_to_end_id or "")[:64],
                uetr=(entry.uetr or "")[:36],
                account_servicer_reference=(entry.account_servicer_reference or "")[:64],
                references=list(entry.references),
                remittance=entry.remittance.text,
                counterparty=counterparty,
                bank_transaction_code=(entry.bank_transaction_code or "")[:32],
            )
        )
    for line in lines:
        line.save()  # one by one: each line's encrypted fields are bound to its own public id
    return row


# --------------------------------------------------------------------------- reconcile


def reconciliation_run(*, statement_id: str, actor: str) -> ReconciliationRun:
    """Match one statement against the ledger and payments; record matches, breaks and the balance check."""
    statement = selectors.statement_get(public_id=statement_id)
    sign = ledger_sign()
    lines = [line for line in statement.lines.all() if line.status in BOOKED_STATUSES]
    side = selectors.ledger_side(
        account=statement.account,
        start=statement.period_start or (statement.cut_off - timedelta(days=1)),
        cut_off=statement.cut_off,
        uetrs=[line.uetr for line in lines if line.uetr],
        references=[ref for line in lines for ref in (line.end_to_end_id, *line.references) if ref],
    )
    line_items = [
        matching.LineItem(
            key=line.pk,
            amount_minor=line.amount_minor,
            value_date=line.value_date or line.booking_date,
            uetr=line.uetr,
            end_to_end_id=line.end_to_end_id,
            references=tuple(line.references),
        )
        for line in lines
    ]
    in_window: list[matching.LedgerItem] = []
    for posting in side.postings:
        payment = side.payments_by_entry.get(posting.entry.public_id)
        in_window.append(
            matching.LedgerItem(
                key=posting.entry.public_id,
                amount_minor=sign * posting.amount_minor,
                value_date=(payment.value_date if payment and payment.value_date else posting.posted_at.date()),
                entry_id=posting.entry.public_id,
                payment_id=payment.public_id if payment else "",
                uetr=str(payment.uetr) if payment else "",
                reference=payment.reference if payment else "",
            )
        )
    window_entries = {item.entry_id for item in in_window}
    outside = [
        matching.LedgerItem(
            key=payment.public_id,
            amount_minor=-sign * payment.amount_minor,  # a settled payment out credits the NOSTRO posting
            value_date=payment.value_date,
            entry_id=payment.capture_transaction_id,
            payment_id=payment.public_id,
            uetr=str(payment.uetr),
            reference=payment.reference,
        )
        for payment in {p.public_id: p for p in side.payments_by_reference.values()}.values()
        if payment.capture_transaction_id and payment.capture_transaction_id not in window_entries
    ]
    rules = [matching.Rule(r.name, r.match_on, r.date_tolerance_days) for r in selectors.rules_active()]
    outcome = matching.match(line_items, in_window + outside, rules)
    outside_keys = {item.key for item in outside}
    unmatched_postings = [item for item in outcome.unmatched_items if item.key not in outside_keys]
    return _record_run(statement, lines, outcome, unmatched_postings, side.balance_minor, sign, actor)


def _record_run(statement, lines, outcome, unmatched_postings, ledger_balance, sign, actor) -> ReconciliationRun:
    by_pk = {line.pk: line for line in lines}
    explained = 0
    breaks: list[ReconciliationBreak] = []
    with transaction.atomic(durable=True):
        run = ReconciliationRun.objects.create(statement=statement, actor=actor, line_count=len(lines))
        superseded = selectors.open_breaks_of_statement(statement=statement).exclude(run=run)
        superseded.update(
            status=BreakStatus.RESOLVED,
            resolution=f"superseded by {run.public_id}",
            resolved_by=actor,
            resolved_at=timezone.now(),
        )
        for line in lines:
            line.match_status, line.matched_payment, line.matched_entry, line.matched_rule = (
                LineStatus.UNMATCHED,
                "",
                "",
                "",
            )
        for pair in outcome.pairs:
            line = by_pk[pair.line.key]
            line.matched_payment, line.matched_entry, line.matched_rule = (
                pair.item.payment_id,
                pair.item.entry_id,
                pair.rule,
            )
            line.match_status = LineStatus.MATCHED
            if pair.difference_minor:
                line.match_status = LineStatus.BREAK
                explained += sign * pair.difference_minor
                breaks.append(
                    _break(
                        run,
                        statement,
                        BreakKind.AMOUNT_DIFFERENCE,
                        line=line,
                        payment=pair.item.payment_id,
                        entry=pair.item.entry_id,
                        amount=line.amount_minor,
                        difference=pair.difference_minor,
                        value_date=line.value_date,
                        description=f"matched by {pair.rule}: statement {line.amount_minor}, "
                        f"QENEX {pair.item.amount_minor} (minor units, statement sign)",
                    )
                )
        for item in outcome.unmatched_lines:
            line = by_pk[item.key]
            line.match_status = LineStatus.BREAK
            explained += sign * line.amount_minor
            breaks.append(
                _break(
                    run,
                    statement,
                    BreakKind.UNMATCHED_STATEMENT_LINE,
                    line=line,
                    amount=line.amount_minor,
                    value_date=line.value_date or line.booking_date,
                    description="statement line with no payment or posting in QENEX",
                )
            )
        for item in unmatched_postings:
            explained -= sign * item.amount_minor
            breaks.append(
                _break(
                    run,
                    statement,
                    BreakKind.UNMATCHED_LEDGER_POSTING,
                    payment=item.payment_id,
                    entry=item.entry_id,
                    amount=item.amount_minor,
                    value_date=item.value_date,
                    description="posting on the nostro that the statement does not show",
                )
            )
        StatementLine.objects.bulk_update(lines, ["match_status", "matched_payment", "matched_entry", "matched_rule"])
        expected = sign * statement.closing_minor if statement.closing_minor is not None else None
        agrees = None
        if expected is not None:
            unexplained = expected - (ledger_balance + explained)
            agrees = unexplained == 0
            if not agrees:
                breaks.append(
                    _break(
                        run,
                        statement,
                        BreakKind.BALANCE_DIFFERENCE,
                        amount=statement.closing_minor,
                        difference=unexplained,
                        value_date=statement.statement_date,
                        description=f"closing balance {expected} (ledger sign) vs ledger {ledger_balance} at "
                        f"{statement.cut_off.isoformat()}; breaks explain {explained}",
                    )
                )
        ReconciliationBreak.objects.bulk_create(breaks)
        run.matched_count = sum(1 for line in lines if line.match_status == LineStatus.MATCHED)
        run.break_count = len(breaks)
        run.statement_closing_minor = statement.closing_minor
        run.ledger_balance_minor = ledger_balance
        run.expected_ledger_minor = expected
        run.explained_minor = explained
        run.balance_agrees = agrees
        run.save()
        audit_record(
            action="reconciliation.run",
            object_type="ReconciliationRun",
            object_id=run.public_id,
            after={
                "statement": statement.public_id,
                "lines": run.line_count,
                "matched": run.matched_count,
                "breaks": [(item.public_id, item.kind, item.amount_minor) for item in breaks],
                "ledger_balance_minor": ledger_balance,
                "expected_ledger_minor": expected,
                "balance_agrees": agrees,
            },
            actor=actor,
        )
    return run


def _break(run, statement, kind, *, amount, value_date, description, line=None, payment="", entry="", difference=0):
    return ReconciliationBreak(
        run=run,
        statement=statement,
        kind=kind,
        line=line,
        payment=payment or "",
        entry=entry or "",
        amount_minor=amount or 0,
        difference_minor=difference,
        currency=statement.currency,
        value_date=value_date or statement.statement_date,
        description=description,
    )


def reconciliation_run_due(*, actor: str = "beat") -> list[ReconciliationRun]:
    """The daily run: reconcile every imported statement that has no run yet."""
    return [
        reconciliation_run(statement_id=statement.public_id, actor=actor)
        for statement in selectors.statements_never_reconciled()
    ]


# --------------------------------------------------------------------------- data-subject erasure


@transaction.atomic
def reconciliation_subject_erase(*, subject_id: str, actor: str) -> dict[str, int]:
    """Erase the counterparty and remittance of the statement lines matched to the subject's money.

    apps.privacy calls it once retention has ended. Kept: amounts, dates, references and the match, so the
    statement still reconciles to the ledger. A line that matched nothing cannot be tied to a person and keeps
    its (encrypted) text until its statement is purged.
    """
    erased = 0
    lines = StatementLine.objects.filter(pk__in=selectors.lines_of_subject(subject_id=subject_id).values("pk"))
    for line in lines.select_for_update(no_key=True).order_by("pk"):
        if fields := erase_values(line, "counterparty", "remittance"):
            line.save(update_fields=fields)
            erased += 1
    audit_record(
        action="reconciliation.subject_erased",
        object_type="customer",
        object_id=subject_id,
        after={"lines": erased},
        actor=actor,
    )
    return {"lines": erased}


from .breaks import (  # noqa: E402 (re-exported: the public services of this app)
    BreakWriteOff,
    break_resolve,
    break_write_off,
    break_write_off_approved,
    clean_write_off_payload,
    run_write_off_approval,
)

__all__ = [
    "BreakWriteOff",
    "ImportResult",
    "break_resolve",
    "break_write_off",
    "break_write_off_approved",
    "clean_write_off_payload",
    "ledger_sign",
    "reconciliation_run",
    "reconciliation_run_due",
    "reconciliation_subject_erase",
    "run_write_off_approval",
    "statement_import",
]
