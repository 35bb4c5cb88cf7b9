"""Reads of accounts. Never write, never lock."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.core.limits import overdraft_limit_minor
from apps.core.money import format_amount

from .errors import AccountNotFound, OverdraftInUse
from .models import BANK_OWNER_ID, Account


def account_get(*, public_id: str, field: str = "account") -> Account:
    """Return the account with ``public_id`` or raise AccountNotFound naming ``field``."""
    if not isinstance(public_id, str) or not public_id:
        raise AccountNotFound("account id is missing", field=field)
    try:
        return Account.objects.get(public_id=public_id)
    except Account.DoesNotExist:
        raise AccountNotFound(f"no account {public_id}", field=field) from None


def account_list(*, owner_id: str | None = None, currency: str | None = None, status: str | None = None) -> QuerySet:
    qs = Account.objects.all()
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if currency:
        qs = qs.filter(currency=currency)
    if status:
        qs = qs.filter(status=status)
    return qs


def internal_account_find(*, account_type: str, currency: str) -> Account | None:
    """The bank's own general-ledger account of ``account_type`` in ``currency``, if it exists yet."""
    return Account.objects.filter(owner_id=BANK_OWNER_ID, account_type=account_type, currency=currency).first()


def account_exists_for_key(*, idempotency_key: str) -> bool:
    """True when an account was already opened with this (caller-scoped) idempotency key."""
    return Account.objects.filter(idempotency_key=idempotency_key).exists()


def overdraft_limit_check(*, account: Account, limit: object) -> int:
    """Return ``limit`` in minor units if the account may have it, else raise.

    The limit must be within the per-account maximum, and a lower limit must still cover what the account
    already uses: available balance (ledger − open holds + limit) may not go below zero, or holds authorised
    against the old limit could no longer be captured. Raising a limit is always allowed. The one home of this
    rule: the service calls it under the account's lock, the four-eyes request calls it up front.
    """
    from apps.ledger.rules import overdraft_used_minor
    from apps.ledger.selectors import balance_get  # the ledger's reads; accounts never writes ledger tables

    new_limit = overdraft_limit_minor(limit, account.currency)
    if new_limit < account.overdraft_limit_minor:
        balance = balance_get(account=account)
        used = overdraft_used_minor(ledger_minor=balance.ledger_minor, held_minor=balance.held_minor)
        if used > new_limit:
            raise OverdraftInUse(
                f"account {account.public_id} already uses {format_amount(used, account.currency)} "
                f"{account.currency} of its overdraft (negative balance plus open holds); the limit cannot go "
                "below that",
                field="overdraft_limit",
            )
    return new_limit


def accounts_by_public_id(*, public_ids: list[str]) -> dict[str, Account]:
    """The accounts among ``public_ids`` that exist, by public id (one query)."""
    return {a.public_id: a for a in Account.objects.filter(public_id__in=[p for p in public_ids if isinstance(p, str)])}


def owner_ids_query(*, public_ids: list[str]) -> QuerySet:
    """The owner ids of the accounts among ``public_ids``, unevaluated: a subquery for another app's look-up
    (a posting check asks "has any owner of these accounts an open hit?" in one query)."""
    return Account.objects.filter(public_id__in=public_ids).values("owner_id")
