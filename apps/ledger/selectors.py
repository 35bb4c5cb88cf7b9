"""Reads of the ledger: balances (current, available, as of a time), statements, transactions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet, Sum
from django.utils import timezone

from apps.accounts.models import Account
from qenex.db_routers import read_alias

from .errors import FxRateNotFound, HoldNotFound, TransactionNotFound
from .models import AccountBalance, BalanceSlot, FxRate, Hold, HoldStatus, JournalEntry, Posting
from .rules import available_minor


def held_minor(account_id: int, *, exclude_hold_id: int | None = None, now: datetime | None = None) -> int:
    """Sum of open, unexpired holds on an account."""
    qs = Hold.objects.filter(account_id=account_id, status=HoldStatus.AUTHORIZED, expires_at__gt=now or timezone.now())
    if exclude_hold_id is not None:
        qs = qs.exclude(pk=exclude_hold_id)
    return qs.aggregate(total=Sum("amount_minor"))["total"] or 0


def ledger_minor(account_id: int) -> int:
    """An account's cached ledger balance: its balance row plus, for a hot account, its balance slots."""
    row = AccountBalance.objects.filter(account_id=account_id).values_list("ledger_minor", "hot_slots").first()
    if row is None:
        return 0
    base, hot_slots = row
    slots = BalanceSlot.objects.filter(account_id=account_id).aggregate(t=Sum("ledger_minor"))["t"] or 0
    return base + slots


def hot_accounts() -> dict[int, int]:
    """{account pk: number of balance slots} of every high-volume account."""
    return dict(AccountBalance.objects.filter(hot_slots__gt=0).values_list("account_id", "hot_slots"))


def hold_get(*, public_id: str) -> Hold:
    """Return the hold with ``public_id`` or raise HoldNotFound."""
    try:
        return Hold.objects.select_related("account", "capture_entry").get(public_id=public_id)
    except Hold.DoesNotExist:
        raise HoldNotFound(f"no hold {public_id}", field="hold") from None


def transaction_get(*, public_id: str) -> JournalEntry:
    try:
        return JournalEntry.objects.get(public_id=public_id)
    except JournalEntry.DoesNotExist:
        raise TransactionNotFound(f"no transaction {public_id}", field="transaction") from None


def fx_rate_current(*, base: str, quote: str, at: datetime | None = None) -> FxRate:
    """Return the rate in force at ``at`` (default now) for converting ``base`` into ``quote``."""
    rate = (
        FxRate.objects.filter(base_currency=base, quote_currency=quote, valid_from__lte=at or timezone.now())
        .order_by("-valid_from", "-id")
        .first()
    )
    if rate is None:
        raise FxRateNotFound(f"no exchange rate from {base} to {quote} is in force", field="currency")
    return rate


@dataclass(frozen=True)
class Balance:
    currency: str
    ledger_minor: int  # sum of all postings
    held_minor: int  # open, unexpired holds
    overdraft_limit_minor: int

    @property
    def available_minor(self) -> int:
        """What the account can still spend: ledger - holds + overdraft limit."""
        return available_minor(
            ledger_minor=self.ledger_minor, held_minor=self.held_minor, overdraft_limit_minor=self.overdraft_limit_minor
        )


def balance_get(*, account: Account) -> Balance:
    return Balance(
        currency=account.currency,
        ledger_minor=ledger_minor(account.pk),
        held_minor=held_minor(account.pk),
        overdraft_limit_minor=0 if account.is_internal else account.overdraft_limit_minor,
    )


def balance_as_of(*, account: Account, at: datetime, inclusive: bool = True) -> int:
    """Ledger balance in minor units at the instant ``at``: postings made at or before it (before it, if not
    ``inclusive``: a statement's opening balance).

    One backward probe of the (account, posted_at) index, whatever the history's size (EXPLAIN in
    bench/bench_history.py: a handful of buffers at 10M postings), so no snapshot table is needed: each posting
    already carries the account's running balance.
    """
    window = {"posted_at__lte" if inclusive else "posted_at__lt": at}
    if AccountBalance.objects.filter(account_id=account.pk, hot_slots__gt=0).exists():
        # A hot account's postings carry no running balance (they commit in parallel): sum them.
        return Posting.objects.filter(account_id=account.pk, **window).aggregate(t=Sum("amount_minor"))["t"] or 0
    last = (
        Posting.objects.filter(account_id=account.pk, **window)
        .order_by("-posted_at", "-id")
        .values_list("balance_after_minor", flat=True)
        .first()
    )
    return last or 0


def postings_sum(*, account: Account) -> int:
    """Sum of an account's postings, recomputed from scratch (to check the cached balance)."""
    return Posting.objects.filter(account_id=account.pk).aggregate(t=Sum("amount_minor"))["t"] or 0


def statement_lines(
    *, account: Account, start: datetime | None = None, end: datetime | None = None
) -> QuerySet[Posting]:
    """An account's postings in [start, end), oldest first: (posted_at, id), the order of the running balance.

    Page it by keyset on (posted_at, id) (``apps.ledger.api.views.StatementPagination``): each page is one range
    scan of the (account, posted_at) index, however deep into a long history it starts.
    """
    # Read-only and lag-tolerant: served by the read replica when one is configured (qenex/db_routers.py).
    qs = (
        Posting.objects.using(read_alias())
        .filter(account_id=account.pk)
        .select_related("entry")
        .order_by("posted_at", "id")
    )
    if start:
        qs = qs.filter(posted_at__gte=start)
    if end:
        qs = qs.filter(posted_at__lt=end)
    return qs


def transaction_list(*, account: Account | None = None, entry_type: str | None = None) -> QuerySet[JournalEntry]:
    qs = JournalEntry.objects.select_related("from_account", "to_account", "reverses")
    if account is not None:
        qs = qs.filter(postings__account=account).distinct()
    if entry_type:
        qs = qs.filter(entry_type=entry_type)
    return qs


def holds_open(*, account: Account) -> QuerySet[Hold]:
    return Hold.objects.filter(account=account, status=HoldStatus.AUTHORIZED, expires_at__gt=timezone.now())


def actor_volumes(*, actor: str, account_ids: list[int], since: datetime) -> dict[int, tuple[int, int]]:
    """Return {account pk: (debits, credits)}: what ``actor`` posted on each account since ``since``, in minor units.

    Entries executed after a four-eyes approval carry the actor ``<maker> approved-by <checker>`` and so do not
    count. Served by the index on (actor, posted_at) of journal entries.
    """
    from django.db.models import BigIntegerField, Case, F, Sum, Value, When

    rows = (
        Posting.objects.filter(
            entry__actor=actor, entry__posted_at__gte=since, account_id__in=account_ids, posted_at__gte=since
        )
        .values("account_id")
        .annotate(
            debits=Sum(
                Case(When(amount_minor__lt=0, then=-F("amount_minor")), default=Value(0)),
                output_field=BigIntegerField(),
            ),
            credits=Sum(
                Case(When(amount_minor__gt=0, then=F("amount_minor")), default=Value(0)),
                output_field=BigIntegerField(),
            ),
        )
    )
    return {row["account_id"]: (row["debits"], row["credits"]) for row in rows}


def idempotency_key_used(*, key: str) -> bool:
    """True when a posting or a hold was already made with this (caller-scoped) idempotency key."""
    # One query for both tables (one key space, see services.engine.HOLD_KEY).
    entries = JournalEntry.objects.filter(idempotency_key=key).values("pk")
    holds = Hold.objects.filter(idempotency_key=key).values("pk")
    return bool(list(entries.union(holds, all=True)[:1]))


def idempotency_keys_posted(*, keys: list[str]) -> set[str]:
    """The keys among ``keys`` that a journal entry was already posted with."""
    return set(JournalEntry.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True))


def account_owner_ids(*, public_ids: list[str]) -> dict[str, str]:
    """Account public id → owner id, for the accounts that exist among ``public_ids``."""
    return dict(Account.objects.filter(public_id__in=public_ids).values_list("public_id", "owner_id"))


def entry_ids_of_owner(*, owner_id: str) -> QuerySet:
    """Public ids of the journal entries with a posting on an account the customer owns (primary database: a
    writer such as an erasure reads it)."""
    return (
        JournalEntry.objects.filter(postings__account__owner_id=owner_id).values_list("public_id", flat=True).distinct()
    )
