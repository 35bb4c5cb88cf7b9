"""The bank's own general-ledger accounts (cash, fee income, FX position, ...), one per type and currency.

They are opened once, by ``gl_account`` the first time a currency needs one (an explicit service of the
accounts app), and remembered by this process: a posting names its GL account by primary key and never looks it
up again. GL accounts are never deleted (postings reference them), so the memory stays true; the one exception
is a test flushing its database, which the engine notices (the account is missing from the locked rows) and
``forget`` then clears.
"""

from __future__ import annotations

import threading

from apps.accounts.models import Account
from apps.accounts.services import internal_account_get_or_create

_lock = threading.Lock()
_known: dict[tuple[str, str], int] = {}


def gl_account_id(*, account_type: str, currency: str) -> int:
    """Primary key of the bank's ``account_type`` account in ``currency``, opening it the first time."""
    key = (account_type, currency)
    pk = _known.get(key)
    if pk is None:
        pk = internal_account_get_or_create(account_type=account_type, currency=currency).pk
        with _lock:
            _known[key] = pk
    return pk


def gl_account(*, account_type: str, currency: str) -> Account:
    """The bank's ``account_type`` account in ``currency`` (opened the first time)."""
    try:
        return Account.objects.get(pk=gl_account_id(account_type=account_type, currency=currency))
    except Account.DoesNotExist:  # remembered from a flushed (test) database
        forget()
        return Account.objects.get(pk=gl_account_id(account_type=account_type, currency=currency))


def forget() -> None:
    """Drop what this process remembers (after a test flushed the database)."""
    with _lock:
        _known.clear()
