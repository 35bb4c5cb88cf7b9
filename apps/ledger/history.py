"""Synthetic ledger history at scale: accounts, journal entries and postings written with PostgreSQL COPY.

``generate_history`` fills an EMPTY ledger (it refuses one that has entries or postings) with a plausible past:
customer accounts spread over owners (mostly EUR and USD), the bank's CASH and FEE_INCOME accounts per currency,
and deposits, withdrawals, transfers and fees on business days (Monday to Friday, 08:00-18:00 UTC) over a date
range ending at the last midnight UTC, so every generated posting lies in a closable past. Each entry has two
postings summing to zero in its currency, each posting carries the account's running ``balance_after_minor``,
and no customer balance goes below minus its overdraft limit: a debit that would is cut to what is available,
or becomes a deposit when nothing is. The final ``ledger_accountbalance`` rows equal the sum of the postings.

How it stays honest and fast:
- Nothing is disabled. The rows go in with COPY while the invariant triggers of migration 0002 (append-only,
  each entry balanced per currency, each posting in its account's currency), the foreign keys and the period-close
  trigger of migration 0004 all stay on. The whole run is ONE transaction holding an EXCLUSIVE lock on entries and
  postings (other sessions may read, none may post meanwhile): a crash or Ctrl-C leaves the ledger as empty as it
  was. After each chunk ``SET CONSTRAINTS ALL IMMEDIATE`` runs the deferred checks of that chunk, so the queue of
  pending trigger events stays small and a bad row fails at its chunk, not at the end.
- Audit: synthetic rows get no audit record each (that would be millions of chain links for made-up data); the run
  writes ONE record, ``ledger.history_generated``, with the counts, seed and date range, as the last write of the
  same transaction. ``verify_audit`` therefore still verifies the chain.
- Amounts and accounts come from ``random.Random(seed)``: the same seed gives the same history (public ids are
  random as always, they are identifiers and must not be guessable).
- After COMMIT the touched tables are VACUUMed and ANALYZEd, so the planner knows their new size at once.
"""

from __future__ import annotations

import base64
import bisect
import math
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import IntegrityError, connection, transaction

from apps.accounts.bulk import NewAccount, accounts_copy, next_ids
from apps.accounts.models import AccountType
from apps.accounts.services import internal_account_get_or_create
from apps.audit.services import audit_record
from apps.core.db import domain_error_for

from .errors import LedgerNotEmpty
from .models import EntryType


@dataclass(frozen=True)
class HistorySize:
    accounts: int
    postings: int
    years: float


# "small" is what CI and the tests run; "large" is the 10M-posting target.
SIZES: dict[str, HistorySize] = {
    "small": HistorySize(accounts=200, postings=20_000, years=2),
    "medium": HistorySize(accounts=10_000, postings=1_000_000, years=2),
    "large": HistorySize(accounts=100_000, postings=10_000_000, years=2),
}

# Share of customer accounts per currency; the GL accounts exist once per currency.
CURRENCY_SHARES: tuple[tuple[str, float], ...] = (("EUR", 0.55), ("USD", 0.40), ("GBP", 0.05))
# Share of entries per kind; transfers move money between customers of one currency.
KIND_SHARES: tuple[tuple[str, float], ...] = (
    (EntryType.TRANSFER, 0.45),
    (EntryType.DEPOSIT, 0.25),
    (EntryType.WITHDRAWAL, 0.20),
    (EntryType.FEE, 0.10),
)
# Lognormal amounts in major units: (median, sigma). Every generated currency has 2 decimals.
AMOUNT_MEDIAN_SIGMA = {
    EntryType.DEPOSIT: (250.0, 1.0),
    EntryType.WITHDRAWAL: (60.0, 0.9),
    EntryType.TRANSFER: (100.0, 1.2),
}
FEE_AMOUNTS_MINOR = (150, 200, 250, 500, 990, 2500)
MAX_AMOUNT_MINOR = 5_000_000  # 50,000.00: a synthetic customer's largest single movement
DESCRIPTIONS = {
    EntryType.DEPOSIT: ("Salary", "Cash deposit", "Incoming payment", "Refund"),
    EntryType.WITHDRAWAL: ("ATM withdrawal", "Card payment", "Direct debit"),
    EntryType.TRANSFER: ("Rent", "Invoice", "Transfer", "Split bill", "Savings"),
    EntryType.FEE: ("Monthly fee", "Card fee", "Overdraft fee"),
}
ACTOR = "generate_history"
CHUNK_ENTRIES = 20_000
BUSINESS_HOURS_UTC = (8, 18)

COPY_ENTRIES = (
    "COPY ledger_journalentry (id, public_id, entry_type, from_account_id, to_account_id, amount_minor, currency,"
    " description, metadata, reverses_id, idempotency_key, request_fingerprint, actor, posted_at) FROM STDIN"
)
COPY_POSTINGS = (
    "COPY ledger_posting (id, entry_id, account_id, currency, amount_minor, balance_after_minor, posted_at) FROM STDIN"
)

_B32_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789abcdefghjkmnpqrstvwxyz")


def public_ids(prefix: str, count: int) -> list[str]:
    """``count`` public ids in the format of ``apps.core.ids.new_public_id`` (24 Crockford characters, 120 bits)."""
    raw = os.urandom(15 * count)
    return [
        f"{prefix}_" + base64.b32encode(raw[i : i + 15]).translate(_B32_TO_CROCKFORD).decode()
        for i in range(0, 15 * count, 15)
    ]


@dataclass(frozen=True)
class HistoryCounts:
    accounts: int
    entries: int
    postings: int
    first_posted_at: str
    last_posted_at: str
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return {
            "accounts": self.accounts,
            "entries": self.entries,
            "postings": self.postings,
            "first_posted_at": self.first_posted_at,
            "last_posted_at": self.last_posted_at,
        }


@dataclass
class _Account:
    pk: int
    currency: str
    limit_minor: int  # how far below zero it may go; GL accounts: unlimited (None would cost a branch each)
    balance_minor: int = 0
    last_posted_at: str = ""


def _business_days(start: date, end: date) -> list[date]:
    days, day = [], start
    while day < end:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _timestamps(rng: random.Random, days: list[date], total: int) -> Iterator[datetime]:
    """``total`` increasing timestamps within business hours, spread over ``days`` (busier some days than others)."""
    weights = [rng.uniform(0.7, 1.3) for _ in days]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for i in rng.sample(range(len(days)), total - sum(counts)):  # hand out the rounding remainder
        counts[i] += 1
    open_s = BUSINESS_HOURS_UTC[0] * 3600
    span = (BUSINESS_HOURS_UTC[1] - BUSINESS_HOURS_UTC[0]) * 3600
    for day, count in zip(days, counts, strict=True):
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        for offset in sorted(open_s + rng.random() * span for _ in range(count)):
            yield midnight + timedelta(seconds=round(offset, 6))


class _Picker:
    """Weighted choice of customer accounts (a few are busy, most are quiet: Pareto weights), per currency too."""

    def __init__(self, rng: random.Random, accounts: list[_Account]):
        self.rng = rng
        weights = [min(rng.paretovariate(1.3), 200.0) for _ in accounts]
        self.all = accounts
        self.all_cum = _cumulative(weights)
        self.by_currency: dict[str, tuple[list[_Account], list[float]]] = {}
        for currency in {a.currency for a in accounts}:
            members = [(a, w) for a, w in zip(accounts, weights, strict=True) if a.currency == currency]
            self.by_currency[currency] = ([a for a, _ in members], _cumulative([w for _, w in members]))

    def any(self) -> _Account:
        return self.all[bisect.bisect(self.all_cum, self.rng.random() * self.all_cum[-1])]

    def other_in(self, currency: str, not_this: _Account) -> _Account | None:
        members, cum = self.by_currency[currency]
        if len(members) < 2:
            return None
        while True:
            candidate = members[bisect.bisect(cum, self.rng.random() * cum[-1])]
            if candidate is not not_this:
                return candidate


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _amount(rng: random.Random, kind: str) -> int:
    if kind == EntryType.FEE:
        return rng.choice(FEE_AMOUNTS_MINOR)
    median, sigma = AMOUNT_MEDIAN_SIGMA[kind]
    return max(1, min(MAX_AMOUNT_MINOR, int(rng.lognormvariate(math.log(median * 100), sigma))))


def _check_empty() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM ledger_journalentry) OR EXISTS (SELECT 1 FROM ledger_posting)"
            " OR EXISTS (SELECT 1 FROM ledger_accountbalance WHERE ledger_minor <> 0)"
        )
        if cursor.fetchone()[0]:
            raise LedgerNotEmpty("the ledger already has entries; generate_history only fills an empty ledger")


def generate_history(
    *,
    accounts: int,
    postings: int,
    years: float,
    seed: int = 0,
    end: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> HistoryCounts:
    """Fill an empty ledger with ``postings`` postings (two per entry) on ``accounts`` customer accounts.

    ``end`` defaults to the last midnight UTC; history covers ``years`` before it. ``progress`` is called with
    the number of postings written since its last call.
    """
    if accounts < 2 or postings < 2:
        raise ValueError("need at least 2 accounts and 2 postings")
    try:
        return _generate(accounts=accounts, postings=postings, years=years, seed=seed, end=end, progress=progress)
    except IntegrityError as exc:  # e.g. history dated into a closed period (migration 0004's trigger)
        refusal = domain_error_for(exc)
        if refusal is None:
            raise
        raise refusal from exc


def _generate(
    *,
    accounts: int,
    postings: int,
    years: float,
    seed: int,
    end: datetime | None,
    progress: Callable[[int], None] | None,
) -> HistoryCounts:
    started = time.monotonic()
    rng = random.Random(seed)
    end = end or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=round(365.25 * years))
    days = _business_days(start.date(), end.date())
    n_entries = postings // 2
    currencies = [c for c, _ in CURRENCY_SHARES]
    # Idempotent and outside the big transaction: the bank's GL accounts (the services create them on first use).
    cash = {c: internal_account_get_or_create(account_type=AccountType.CASH, currency=c) for c in currencies}
    fees = {c: internal_account_get_or_create(account_type=AccountType.FEE_INCOME, currency=c) for c in currencies}

    with transaction.atomic(durable=True):
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE ledger_journalentry, ledger_posting IN EXCLUSIVE MODE")
        _check_empty()
        customers = _create_customers(rng, accounts, start - timedelta(days=30))
        gl_cash = {c: _Account(a.pk, c, 0) for c, a in cash.items()}
        gl_fees = {c: _Account(a.pk, c, 0) for c, a in fees.items()}
        picker = _Picker(rng, customers)
        kinds = [k for k, _ in KIND_SHARES]
        kind_cum = _cumulative([s for _, s in KIND_SHARES])
        descriptions = {k: tuple(v) for k, v in DESCRIPTIONS.items()}

        stamps = _timestamps(rng, days, n_entries)
        first = last = ""
        written = 0
        while written < n_entries:
            size = min(CHUNK_ENTRIES, n_entries - written)
            entry_ids = next_ids("ledger_journalentry", size)
            posting_ids = next_ids("ledger_posting", 2 * size)
            entry_public_ids = public_ids("txn", size)
            entries_buf: list[str] = []
            postings_buf: list[str] = []
            for i in range(size):
                ts = next(stamps).isoformat()
                kind = kinds[bisect.bisect(kind_cum, rng.random() * kind_cum[-1])]
                customer = picker.any()
                amount = _amount(rng, kind)
                counter: _Account | None = None
                if kind == EntryType.TRANSFER:
                    counter = picker.other_in(customer.currency, customer)
                    if counter is None:
                        kind = EntryType.DEPOSIT
                if kind != EntryType.DEPOSIT:  # a debit of the customer: never below -limit
                    available = customer.balance_minor + customer.limit_minor
                    if amount > available:
                        if available >= 100:
                            amount = available
                        else:
                            kind, counter = EntryType.DEPOSIT, None
                            amount = _amount(rng, kind)
                if kind == EntryType.DEPOSIT:
                    source, target = gl_cash[customer.currency], customer
                    from_id, to_id = "\\N", customer.pk
                elif kind == EntryType.WITHDRAWAL:
                    source, target = customer, gl_cash[customer.currency]
                    from_id, to_id = customer.pk, "\\N"
                elif kind == EntryType.FEE:
                    source, target = customer, gl_fees[customer.currency]
                    from_id, to_id = customer.pk, "\\N"
                else:
                    source, target = customer, counter
                    from_id, to_id = customer.pk, counter.pk
                source.balance_minor -= amount
                target.balance_minor += amount
                source.last_posted_at = target.last_posted_at = ts
                entry_id = entry_ids[i]
                currency = customer.currency
                description = descriptions[kind][int(rng.random() * len(descriptions[kind]))]
                entries_buf.append(
                    f"{entry_id}\t{entry_public_ids[i]}\t{kind.value}\t{from_id}\t{to_id}\t{amount}\t{currency}"
                    f"\t{description}\t{{}}\t\\N\t\\N\t\t{ACTOR}\t{ts}\n"
                )
                postings_buf.append(
                    f"{posting_ids[2 * i]}\t{entry_id}\t{source.pk}\t{currency}\t{-amount}\t{source.balance_minor}"
                    f"\t{ts}\n{posting_ids[2 * i + 1]}\t{entry_id}\t{target.pk}\t{currency}\t{amount}"
                    f"\t{target.balance_minor}\t{ts}\n"
                )
                if not first:
                    first = ts
                last = ts
            _copy(COPY_ENTRIES, entries_buf)
            _copy(COPY_POSTINGS, postings_buf)
            with connection.cursor() as cursor:
                # Run this chunk's deferred checks (balanced entries, currencies, foreign keys) now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            written += size
            if progress is not None:
                progress(2 * size)

        _write_balances([*customers, *gl_cash.values(), *gl_fees.values()])
        counts = HistoryCounts(
            accounts=len(customers),
            entries=n_entries,
            postings=2 * n_entries,
            first_posted_at=first,
            last_posted_at=last,
            seconds=0.0,
        )
        audit_record(
            action="ledger.history_generated",
            object_type="ledger",
            after={**counts.as_dict(), "seed": seed, "years": years, "end": end.isoformat()},
            actor=ACTOR,
        )
    with connection.cursor() as cursor:
        # VACUUM too, not only ANALYZE: it sets the visibility map now, instead of an insert-triggered autovacuum
        # of millions of rows starting under the first real load.
        cursor.execute("VACUUM (ANALYZE) accounts_account, ledger_journalentry, ledger_posting, ledger_accountbalance")
    return HistoryCounts(**{**counts.__dict__, "seconds": round(time.monotonic() - started, 1)})


def _create_customers(rng: random.Random, count: int, opened_at: datetime) -> list[_Account]:
    """Customer accounts over about count/1.6 owners; a third of checking accounts have an overdraft limit."""
    owners = max(1, int(count / 1.6))
    currency_cum = _cumulative([s for _, s in CURRENCY_SHARES])
    new: list[NewAccount] = []
    for public_id in public_ids("acc", count):
        currency = CURRENCY_SHARES[bisect.bisect(currency_cum, rng.random() * currency_cum[-1])][0]
        checking = rng.random() < 0.7
        limit = rng.choice((50_000, 100_000, 200_000)) if checking and rng.random() < 0.33 else 0
        new.append(
            NewAccount(
                public_id=public_id,
                owner_id=f"hist-{rng.randrange(owners):07d}",
                account_type=AccountType.CHECKING.value if checking else AccountType.SAVINGS.value,
                currency=currency,
                overdraft_limit_minor=limit,
            )
        )
    pks = accounts_copy(accounts=new, created_at=opened_at)
    return [_Account(pk, a.currency, a.overdraft_limit_minor) for pk, a in zip(pks, new, strict=True)]


def _copy(statement: str, lines: list[str]) -> None:
    # The raw psycopg cursor (COPY); wrap_database_errors gives Django's exception classes, as execute() does.
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for i in range(0, len(lines), 5_000):
            copy.write("".join(lines[i : i + 5_000]))


def _write_balances(accounts: list[_Account]) -> None:
    """Set each cached balance to the generated running balance (= the sum of its postings)."""
    touched = [a for a in accounts if a.last_posted_at]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE history_balance (account_id bigint, currency varchar(3), ledger_minor bigint,"
            " updated_at timestamptz) ON COMMIT DROP"
        )
        with connection.wrap_database_errors, cursor.cursor.copy("COPY history_balance FROM STDIN") as copy:
            copy.write("".join(f"{a.pk}\t{a.currency}\t{a.balance_minor}\t{a.last_posted_at}\n" for a in touched))
        cursor.execute(
            "INSERT INTO ledger_accountbalance (account_id, currency, ledger_minor, updated_at)"
            " SELECT account_id, currency, ledger_minor, updated_at FROM history_balance"
            " ON CONFLICT (account_id) DO UPDATE SET ledger_minor = EXCLUDED.ledger_minor,"
            " updated_at = EXCLUDED.updated_at"
        )
