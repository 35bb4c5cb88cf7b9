"""What the monitoring rules see: movements (one customer's side of a posted transaction) and payments. Reads only.

A DEPOSIT is cash in to its account, a WITHDRAWAL cash out; a TRANSFER is an ``out`` movement for the customer whose
account it debits and an ``in`` movement for the one it credits (the bank's own accounts are never a customer).
Reversed transactions and reversals are left out: what was undone did not move money.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from apps.accounts.models import BANK_OWNER_ID
from apps.ledger.models import EntryType, JournalEntry

MONITORED_TYPES = (EntryType.DEPOSIT, EntryType.WITHDRAWAL, EntryType.TRANSFER)
CASH_TYPES = frozenset({EntryType.DEPOSIT, EntryType.WITHDRAWAL})


@dataclass(frozen=True)
class Movement:
    transaction: str  # the journal entry's public id
    entry_type: str
    owner_id: str
    account: str  # the customer's account public id
    account_created_at: datetime
    direction: str  # "in" or "out"
    amount_minor: int
    currency: str
    posted_at: datetime
    counterparty: str = ""  # the other customer account of a transfer

    @property
    def cash(self) -> bool:
        return self.entry_type in CASH_TYPES


@dataclass(frozen=True)
class PaymentSeen:
    """An outbound payment as the rules see it (no names: counterparties are compared by blind index)."""

    payment: str  # public id
    owner_id: str
    account: str
    amount_minor: int
    currency: str
    creditor_country: str
    creditor_bic: str
    counterparty_key: str  # blind index of the creditor's account identifier
    created_at: datetime

    @property
    def bic_country(self) -> str:
        return self.creditor_bic[4:6].upper() if len(self.creditor_bic) >= 6 else ""


def _entries():
    return JournalEntry.objects.filter(entry_type__in=MONITORED_TYPES, reversed_by__isnull=True).select_related(
        "from_account", "to_account"
    )


def _sides(entry: JournalEntry) -> list[Movement]:
    sides = []
    source, target = entry.from_account, entry.to_account
    common = dict(
        transaction=entry.public_id,
        entry_type=entry.entry_type,
        amount_minor=entry.amount_minor,
        currency=entry.currency,
        posted_at=entry.posted_at,
    )
    if source is not None and source.owner_id != BANK_OWNER_ID:
        sides.append(
            Movement(
                owner_id=source.owner_id,
                account=source.public_id,
                account_created_at=source.created_at,
                direction="out",
                counterparty=target.public_id if target is not None and target.owner_id != BANK_OWNER_ID else "",
                **common,
            )
        )
    if target is not None and target.owner_id != BANK_OWNER_ID:
        sides.append(
            Movement(
                owner_id=target.owner_id,
                account=target.public_id,
                account_created_at=target.created_at,
                direction="in",
                counterparty=source.public_id if source is not None and source.owner_id != BANK_OWNER_ID else "",
                **common,
            )
        )
    return sides


def movements_of_transactions(*, public_ids: Iterable[str]) -> list[Movement]:
    """The customer sides of the given transactions (those of a monitored type), in posting order."""
    entries = _entries().filter(public_id__in=list(public_ids)).order_by("posted_at", "id")
    return [side for entry in entries for side in _sides(entry)]


def movements_posted(*, since: datetime, until: datetime) -> list[Movement]:
    """Every customer side of what was posted in [since, until), in posting order (the sweep's input)."""
    entries = _entries().filter(posted_at__gte=since, posted_at__lt=until).order_by("posted_at", "id")
    return [side for entry in entries.iterator(chunk_size=2000) for side in _sides(entry)]


# While rules evaluate one trigger, each asks for the customer's history over its own window, all ending at the
# trigger: one query for the widest window (CACHE_WINDOW) serves them all (``history_cache``).
CACHE_WINDOW = timedelta(days=31)
_history: contextvars.ContextVar[dict | None] = contextvars.ContextVar("aml_history", default=None)


@contextlib.contextmanager
def history_cache() -> Iterator[None]:
    token = _history.set({})
    try:
        yield
    finally:
        _history.reset(token)


def movements_of_owner(
    *, owner_id: str, since: datetime, until: datetime, account: str | None = None, currency: str | None = None
) -> list[Movement]:
    """The owner's movements posted in [since, until] (inclusive: a rule's window ends at its trigger)."""
    cache = _history.get()
    if cache is not None and since >= until - CACHE_WINDOW:
        key = (owner_id, until)
        if key not in cache:
            cache[key] = _query_owner(owner_id=owner_id, since=until - CACHE_WINDOW, until=until)
        return [
            m
            for m in cache[key]
            if m.posted_at >= since
            and (account is None or m.account == account)
            and (currency is None or m.currency == currency)
        ]
    return _query_owner(owner_id=owner_id, since=since, until=until, account=account, currency=currency)


def _query_owner(
    *, owner_id: str, since: datetime, until: datetime, account: str | None = None, currency: str | None = None
) -> list[Movement]:
    entries = _entries().filter(posted_at__gte=since, posted_at__lte=until)
    if account:
        entries = entries.filter(Q(from_account__public_id=account) | Q(to_account__public_id=account))
    else:
        entries = entries.filter(Q(from_account__owner_id=owner_id) | Q(to_account__owner_id=owner_id))
    if currency:
        entries = entries.filter(currency=currency)
    sides = (side for entry in entries.order_by("posted_at", "id") for side in _sides(entry))
    return [s for s in sides if s.owner_id == owner_id and (account is None or s.account == account)]


def last_movement_before(*, account: str, before: datetime, exclude: str) -> datetime | None:
    """When the account last moved money before ``before`` (leaving out the transaction ``exclude``)."""
    return (
        _entries()
        .filter(Q(from_account__public_id=account) | Q(to_account__public_id=account), posted_at__lte=before)
        .exclude(public_id=exclude)
        .order_by("-posted_at")
        .values_list("posted_at", flat=True)
        .first()
    )


def paid_counterparty_before(*, owner_id: str, counterparty: str, since: datetime, exclude: str) -> bool:
    """True when the owner's accounts moved money to the account ``counterparty`` since ``since``."""
    return (
        _entries()
        .filter(from_account__owner_id=owner_id, to_account__public_id=counterparty, posted_at__gte=since)
        .exclude(public_id=exclude)
        .exists()
    )


def payment_seen(*, public_id: str) -> PaymentSeen | None:
    from apps.payments.models import PaymentOrder

    order = PaymentOrder.objects.select_related("debtor_account").filter(public_id=public_id).first()
    return payment_seen_of(order) if order is not None else None


def payment_seen_of(order) -> PaymentSeen:
    """A payment order (saved or being checked inside its transaction) as the rules see it; no query."""
    return PaymentSeen(
        payment=order.public_id,
        owner_id=order.debtor_account.owner_id,
        account=order.debtor_account.public_id,
        amount_minor=order.amount_minor,
        currency=order.currency,
        creditor_country=(order.creditor_country or "").upper(),
        creditor_bic=(order.creditor_bic or "").upper(),
        counterparty_key=order.creditor_identifier_bidx or "",
        created_at=order.created_at,
    )


def paid_payment_counterparty_before(*, payment: PaymentSeen, since: datetime) -> bool:
    """True when the owner sent an earlier payment (since ``since``) to the same creditor account identifier."""
    from apps.payments.models import PaymentOrder

    if not payment.counterparty_key:
        return False
    return (
        PaymentOrder.objects.filter(
            debtor_account__owner_id=payment.owner_id,
            creditor_identifier_bidx=payment.counterparty_key,
            created_at__gte=since,
            created_at__lt=payment.created_at,
        )
        .exclude(public_id=payment.payment)
        .exists()
    )
