"""Reads of the ledger: balances (current, available, as of a time), statements, transactions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.models import Account

from .models import AccountBalance, Hold, HoldStatus, JournalEntry, Posting
from .services import held_minor


@dataclass(frozen=True)
class Balance:
    currency: str
    ledger_minor: int  # sum of all postings
    held_minor: int  # open, unexpired holds
    overdraft_limit_minor: int

    @property
    def available_minor(self) -> int:
        """What the account can still spend: ledger - holds + overdraft limit."""
        return self.ledger_minor - self.held_minor + self.overdraft_limit_minor


def balance_get(*, account: Account) -> Balance:
    ledger = AccountBalance.objects.filter(account_id=account.pk).values_list("ledger_minor", flat=True).first() or 0
    return Balance(
        currency=account.currency,
        ledger_minor=ledger,
        held_minor=held_minor(account.pk),
        overdraft_limit_minor=0 if account.is_internal else account.overdraft_limit_minor,
    )


def balance_as_of(*, account: Account, at: datetime) -> int:
    """Ledger balance in minor units at the instant ``at`` (postings made at or before it)."""
    last = (
        Posting.objects.filter(account_id=account.pk, posted_at__lte=at)
        .order_by("-posted_at", "-id")
        .values_list("balance_after_minor", flat=True)
        .first()
    )
    return last or 0


def postings_sum(*, account: Account) -> int:
    """Sum of an account's postings, recomputed from scratch (to check the cached balance)."""
    from django.db.models import Sum

    return Posting.objects.filter(account_id=account.pk).aggregate(t=Sum("amount_minor"))["t"] or 0


def statement_lines(
    *, account: Account, start: datetime | None = None, end: datetime | None = None
) -> QuerySet[Posting]:
    qs = Posting.objects.filter(account_id=account.pk).select_related("entry")
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
