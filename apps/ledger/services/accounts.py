"""The ledger's part of an account's life: the opening deposit and closing (which needs zero balance, no holds).

The accounts app owns the account rows and their lifecycle; these services hand it the ledger's rules as
callables, so the ledger calls accounts and never the reverse.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from apps.accounts import services as accounts_services
from apps.accounts.errors import AccountNotEmpty
from apps.accounts.models import Account
from apps.accounts.services import OpenedAccount
from apps.core.money import from_minor_units

from ..models import EntryType
from . import engine
from .postings import post_simple_in_transaction, simple_posting


def _fund(actor: str):
    def fund(account: Account, opening_minor: int) -> None:
        post_simple_in_transaction(
            simple_posting(
                EntryType.DEPOSIT,
                account=account.public_id,
                amount=from_minor_units(opening_minor, account.currency),
                currency=account.currency,
                description="Opening balance",
                metadata=None,
                idempotency_key=f"account-open:{account.public_id}",
                actor=actor,
            )
        )

    return fund


def account_open_or_replay(*, actor: str = "system", **arguments: Any) -> OpenedAccount:
    """Open a customer account, with its opening deposit when ``initial_balance`` is given, in one transaction.

    The arguments are those of ``apps.accounts.services.account_open_or_replay``.
    """
    return accounts_services.account_open_or_replay(actor=actor, fund=_fund(actor), **arguments)


def account_open(**arguments: Any) -> Account:
    """Open a customer account (see ``account_open_or_replay``); return it."""
    return account_open_or_replay(**arguments).account


def _check_closable(account: Account) -> None:
    """Only an account with a zero balance and no open holds may close (the account is locked by the caller)."""
    locked = engine.Locked(accounts={account.pk: account}, by_public_id={account.public_id: account})
    state = engine.read_state(locked, debited=[account.pk], keys=[], now=timezone.now())
    if state.balance[account.pk] != 0 or state.held[account.pk] != 0:
        raise AccountNotEmpty("only an account with a zero balance and no open holds can be closed")


def account_change_status(*, public_id: str, status: str, actor: str = "system") -> Account:
    """Move an account to ``status`` if its lifecycle allows it; closing needs a zero balance and no holds."""
    return accounts_services.account_change_status(
        public_id=public_id, status=status, actor=actor, check_closable=_check_closable
    )
