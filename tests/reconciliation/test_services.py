"""Reconciliation as a worked example: import the nostro's statement, match it, read the breaks and the balance."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditRecord
from apps.core.errors import InvalidInput
from apps.reconciliation import services
from apps.reconciliation.errors import BreakAlreadyResolved, StatementUnreadable
from apps.reconciliation.models import BreakKind, LineStatus, MatchingRule, ReconciliationBreak
from apps.reconciliation.selectors import ageing
from apps.reconciliation.tasks import reconcile_due
from tests.payments.formats.statement_samples import Line

from .helpers import TODAY, nostro, settled_payment, statement_for

pytestmark = pytest.mark.django_db


def import_and_run(raw: bytes):
    result = services.statement_import(raw=raw, actor="ops")
    (statement,) = result.created
    return statement, services.reconciliation_run(statement_id=statement.public_id, actor="ops")


def test_every_line_matches_its_payment_and_the_closing_balance_agrees_with_the_ledger():
    first, second = settled_payment("E2E-A", "150.00"), settled_payment("E2E-B", "20.50")
    statement, run = import_and_run(statement_for([first, second]))
    assert statement.account == nostro() and statement.closing_minor == -17050
    assert (run.line_count, run.matched_count, run.break_count) == (2, 2, 0)
    # QENEX's NOSTRO posting of a payment out is a credit; the bank shows our money leaving: opposite signs.
    assert (run.ledger_balance_minor, run.expected_ledger_minor, run.explained_minor) == (17050, 17050, 0)
    assert run.balance_agrees is True
    lines = {line.end_to_end_id: line for line in statement.lines.all()}
    assert lines["E2E-A"].match_status == LineStatus.MATCHED and lines["E2E-A"].matched_payment == first.public_id
    assert (
        lines["E2E-B"].matched_entry == second.capture_transaction_id and lines["E2E-B"].matched_rule == "end-to-end id"
    )
    assert AuditRecord.objects.filter(action="reconciliation.run", object_id=run.public_id).exists()


def test_a_statement_with_one_unmatched_line_shows_exactly_one_break():
    payments = [settled_payment("E2E-C"), settled_payment("E2E-D")]
    fee = Line("5.00", "DBIT", remittance="Account maintenance fee")
    statement, run = import_and_run(statement_for(payments, extra=[fee]))
    (item,) = ReconciliationBreak.objects.filter(run=run)
    assert (item.kind, item.amount_minor, item.line.remittance) == (
        BreakKind.UNMATCHED_STATEMENT_LINE,
        -500,
        "Account maintenance fee",
    )
    assert (run.matched_count, run.break_count, item.age_days()) == (2, 1, 0)
    # The fee is on the bank's side only: the balances differ by it, and the break explains all of it.
    assert run.expected_ledger_minor - run.ledger_balance_minor == 500 == run.explained_minor
    assert run.balance_agrees is True


def test_a_posting_the_statement_does_not_show_is_a_break_and_an_amount_difference_is_one_too():
    shown, missing, different = settled_payment("E2E-E"), settled_payment("E2E-F"), settled_payment("E2E-G", "10.00")
    wrong_amount = Line("9.00", "DBIT", "E2E-G")
    _, run = import_and_run(statement_for([shown], extra=[wrong_amount]))
    kinds = dict(ReconciliationBreak.objects.filter(run=run).values_list("kind", "payment"))
    assert kinds == {
        BreakKind.UNMATCHED_LEDGER_POSTING: missing.public_id,
        BreakKind.AMOUNT_DIFFERENCE: different.public_id,
    }
    assert ReconciliationBreak.objects.get(run=run, kind=BreakKind.AMOUNT_DIFFERENCE).difference_minor == 100
    assert run.balance_agrees is True  # both breaks together explain the difference


def test_an_unexplained_closing_balance_is_a_balance_break():
    payment = settled_payment("E2E-H")
    _, run = import_and_run(statement_for([payment], opening="1.00", opening_side="DBIT"))
    (item,) = ReconciliationBreak.objects.filter(run=run)
    assert (item.kind, item.difference_minor, run.balance_agrees) == (BreakKind.BALANCE_DIFFERENCE, 100, False)


def test_uetr_matches_when_the_bank_lost_the_end_to_end_id():
    payment = settled_payment("E2E-I")
    raw = statement_for([payment], version=9).replace(b"<EndToEndId>E2E-I<", b"<EndToEndId>NOTPROVIDED<")
    statement, run = import_and_run(raw)
    assert run.matched_count == 1 and statement.lines.get().matched_rule == "uetr"


def test_matching_rules_are_data_switching_them_off_leaves_amount_and_date_then_nothing():
    payment = settled_payment("E2E-J")
    MatchingRule.objects.exclude(match_on="amount_date").update(active=False)
    statement, run = import_and_run(statement_for([payment]))
    assert statement.lines.get().matched_rule == "amount and value date" and run.break_count == 0
    MatchingRule.objects.update(active=False)
    rerun = services.reconciliation_run(statement_id=statement.public_id, actor="ops")
    assert {b.kind for b in rerun.breaks.all()} == {
        BreakKind.UNMATCHED_STATEMENT_LINE,
        BreakKind.UNMATCHED_LEDGER_POSTING,
    }
    # The rerun supersedes the first run's open breaks (none) and its own are the open ones.
    assert ReconciliationBreak.objects.filter(status="OPEN").count() == rerun.break_count == 2


def test_the_same_file_twice_is_imported_once_and_a_broken_file_changes_nothing():
    raw = statement_for([settled_payment("E2E-K")])
    first = services.statement_import(raw=raw, actor="ops")
    again = services.statement_import(raw=raw, actor="ops")
    assert again.created == [] and [s.pk for s in again.statements] == [s.pk for s in first.created]
    with pytest.raises(StatementUnreadable) as refused:
        services.statement_import(raw=raw.replace(b"<CdtDbtInd>DBIT</CdtDbtInd>", b"", 1), actor="ops")
    assert refused.value.code == "statement_invalid" and refused.value.errors


def test_a_multi_message_mt940_is_imported_as_one_statement_per_message():
    payment = settled_payment("E2E-L", "150.00")
    day = TODAY.replace("-", "")[2:]
    raw = (
        f":20:S1\r\n:25:DE89370400440532013000\r\n:28C:1/1\r\n:60F:C{day}EUR0,00\r\n"
        f":61:{day}D150,00NTRFE2E-L//B1\r\n:86:/EREF/E2E-L\r\n:62F:D{day}EUR150,00\r\n-\r\n"
        f":20:S2\r\n:25:DE89370400440532013000\r\n:28C:2/1\r\n:60F:D{day}EUR150,00\r\n:62F:D{day}EUR150,00\r\n-"
    ).encode()
    result = services.statement_import(raw=raw, actor="ops")
    assert [s.source_format for s in result.created] == ["MT940", "MT940"]
    run = services.reconciliation_run(statement_id=result.created[0].public_id, actor="ops")
    assert (run.matched_count, run.break_count, run.balance_agrees) == (1, 0, True)
    assert result.created[0].lines.get().matched_payment == payment.public_id


def test_the_daily_task_reconciles_what_has_no_run_and_breaks_age():
    services.statement_import(raw=statement_for([settled_payment("E2E-M")], extra=[Line("1.00", "CRDT")]), actor="ops")
    (run_id,) = reconcile_due()
    assert reconcile_due() == []  # every statement has its run now
    (item,) = ReconciliationBreak.objects.filter(run__public_id=run_id)
    assert ageing([item]) == {"0-1": 1, "2-5": 0, "6-30": 0, "31+": 0}
    resolved = services.break_resolve(break_id=item.public_id, note="interest booked by hand", actor="ops")
    assert resolved.status == "RESOLVED" and resolved.resolved_by == "ops"
    with pytest.raises(BreakAlreadyResolved):
        services.break_resolve(break_id=item.public_id, note="again", actor="ops")


def test_daily_run_is_scheduled_by_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["reconciliation-daily"]
    assert entry["task"] == "apps.reconciliation.tasks.reconcile_due"


def test_a_statement_is_never_reconciled_against_a_customer_account():
    from tests.factories import funded_account

    customer = funded_account("10.00", "EUR")
    with pytest.raises(InvalidInput) as refused:
        services.statement_import(raw=statement_for([]), actor="ops", account=customer.public_id)
    assert refused.value.code == "not_a_bank_account"
