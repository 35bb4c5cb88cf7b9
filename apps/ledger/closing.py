"""Period closing: freeze a day's or a month's trial balance and refuse any later posting dated into it.

A close of the period [start, end) stores every account's closing balance (the sum of its postings dated before
``end``) and, per currency, the debit and credit balances, which must be equal (a CHECK constraint holds it too);
if they are not, the close is refused and nothing is written. From its COMMIT on, the trigger of migration 0004
refuses every journal entry and posting dated before the latest closed ``period_end``, whoever inserts it.

Why the figures are exact although postings commit concurrently: postings are stamped with the current time, so
only a period that has already ended can be closed, and the close takes ``LOCK TABLE ledger_journalentry,
ledger_posting IN SHARE MODE`` before it reads. That lock waits for every transaction that has already inserted an
entry or a posting (it holds ROW EXCLUSIVE on the table until it ends) and holds back new inserts until the close
commits; those then meet the trigger. So a posting dated before ``end`` is either in the trial balance or refused
(409 ``period_closed``), never committed after it. Posting is blocked for as long as the close computes: one index
range per account since the previous close (about a second at 100k accounts), a scan of the postings for the first
close of a ledger.

Closes are serialised (SHARE ROW EXCLUSIVE on ``ledger_periodclose``), idempotent (closing the same period again
returns the existing close) and audited (``ledger.period_closed``, the last write). Day and month periods are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.db import retry_on_conflict

from .errors import PeriodNotClosable, TrialBalanceNotZero
from .models import PeriodClose, PeriodCloseCurrency, PeriodGranularity


@dataclass(frozen=True)
class CloseResult:
    close: PeriodClose
    replayed: bool


def period_bounds(*, granularity: str, day: date) -> tuple[datetime, datetime]:
    """Return [start, end) in UTC of the day, or of the month, that contains ``day``."""
    if granularity == PeriodGranularity.DAY:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return start, start + timedelta(days=1)
    if granularity == PeriodGranularity.MONTH:
        start = datetime(day.year, day.month, 1, tzinfo=UTC)
        return start, datetime(day.year + day.month // 12, day.month % 12 + 1, 1, tzinfo=UTC)
    raise PeriodNotClosable(f"granularity must be DAY or MONTH, not {granularity!r}", field="granularity")


# Closing balances = the previous close's balances + the postings dated in [previous end, end), one index range
# on (account_id, posted_at) per account. Without a previous close: one pass over the postings.
_INCREMENTAL = """
CREATE TEMP TABLE ledger_closing ON COMMIT DROP AS
SELECT a.id AS account_id, a.currency, COALESCE(pb.closing_minor, 0) + COALESCE(m.total, 0) AS closing_minor
FROM accounts_account a
LEFT JOIN ledger_periodclosebalance pb ON pb.period_close_id = %(previous)s AND pb.account_id = a.id
CROSS JOIN LATERAL (
    SELECT sum(p.amount_minor) AS total FROM ledger_posting p
    WHERE p.account_id = a.id AND p.posted_at >= %(since)s AND p.posted_at < %(end)s
) m
WHERE pb.account_id IS NOT NULL OR m.total IS NOT NULL
"""
_FROM_SCRATCH = """
CREATE TEMP TABLE ledger_closing ON COMMIT DROP AS
SELECT p.account_id, a.currency, sum(p.amount_minor) AS closing_minor
FROM ledger_posting p JOIN accounts_account a ON a.id = p.account_id
WHERE p.posted_at < %(end)s
GROUP BY p.account_id, a.currency
"""


@retry_on_conflict()
def period_close(*, granularity: str, day: date, actor: str = "system") -> CloseResult:
    """Close the day or month containing ``day``: freeze its trial balance, refuse postings dated into it."""
    start, end = period_bounds(granularity=granularity, day=day)
    with transaction.atomic(durable=True):
        with connection.cursor() as cursor:
            # Closers one at a time; then wait for in-flight postings and hold new ones back until COMMIT.
            cursor.execute("LOCK TABLE ledger_periodclose IN SHARE ROW EXCLUSIVE MODE")
            existing = PeriodClose.objects.filter(granularity=granularity, period_start=start).first()
            if existing is not None:
                return CloseResult(existing, replayed=True)
            if end > timezone.now():
                raise PeriodNotClosable(
                    f"the period {start:%Y-%m-%d}..{end:%Y-%m-%d} has not ended yet; only a past period can be closed",
                    field="date",
                )
            cursor.execute("LOCK TABLE ledger_journalentry, ledger_posting IN SHARE MODE")
            previous = PeriodClose.objects.filter(period_end__lte=end).order_by("-period_end", "-id").first()
            if previous is None:
                cursor.execute(_FROM_SCRATCH, {"end": end})
            else:
                cursor.execute(_INCREMENTAL, {"previous": previous.pk, "since": previous.period_end, "end": end})
            cursor.execute(
                "SELECT currency, COALESCE(sum(-closing_minor) FILTER (WHERE closing_minor < 0), 0),"
                " COALESCE(sum(closing_minor) FILTER (WHERE closing_minor > 0), 0), count(*)"
                " FROM ledger_closing GROUP BY currency ORDER BY currency"
            )
            trial = cursor.fetchall()
        unbalanced = trial_balance_problems(trial)
        if unbalanced:
            raise TrialBalanceNotZero(f"the trial balance does not sum to zero in {', '.join(unbalanced)}")
        close = PeriodClose.objects.create(
            granularity=granularity,
            period_start=start,
            period_end=end,
            closed_by=actor[:150],
            accounts=sum(row[3] for row in trial),
        )
        PeriodCloseCurrency.objects.bulk_create(
            PeriodCloseCurrency(period_close=close, currency=c, debit_minor=d, credit_minor=k, accounts=n)
            for c, d, k, n in trial
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledger_periodclosebalance (period_close_id, account_id, currency, closing_minor)"
                " SELECT %s, account_id, currency, closing_minor FROM ledger_closing",
                [close.pk],
            )
        audit_record(
            action="ledger.period_closed",
            object_type="period_close",
            object_id=str(close.pk),
            after={
                "granularity": granularity,
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
                "accounts": close.accounts,
                "trial_balance": {c: {"debit_minor": d, "credit_minor": k, "accounts": n} for c, d, k, n in trial},
            },
            actor=actor,
        )
        return CloseResult(close, replayed=False)


def trial_balance_problems(trial: list[tuple[str, int, int, int]]) -> list[str]:
    """Currencies whose debit balances (second column) differ from their credit balances (third)."""
    return [currency for currency, debit, credit, _ in trial if debit != credit]
