"""Reads of accounts. Never write, never lock."""

from __future__ import annotations

from django.db.models import QuerySet

from .errors import AccountNotFound
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
