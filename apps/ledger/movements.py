"""The money an operation would move, account by account, before it runs: what the four-eyes policy weighs.

Reads only. The counter-accounts are the ones the posting services use (a deposit debits the bank's CASH
account, a fee credits FEE_INCOME, a cross-currency transfer goes through FX_POSITION in each currency); a
bank account that does not exist yet has no history and is named by type and currency.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from apps.accounts.models import Account, AccountType
from apps.accounts.selectors import internal_account_find

from .errors import CurrencyMismatch, FxRateNotFound, SameAccount
from .models import BANK_COUNTER_ACCOUNT, EntryType, Hold, JournalEntry


@dataclass(frozen=True)
class Movement:
    """What an operation does to one account, in that account's currency: positive credits, negative debits."""

    ref: str  # the account's public id, or "<TYPE>:<currency>" for a bank account not opened yet
    account_id: int | None  # None: the account does not exist yet, so it has no history
    currency: str
    amount_minor: int


def on(account: Account, amount_minor: int) -> Movement:
    return Movement(ref=account.public_id, account_id=account.pk, currency=account.currency, amount_minor=amount_minor)


# Within ``bank_accounts_remembered()`` (a batch weighing thousands of entries) each GL account is looked up once.
_remembered: ContextVar[dict[tuple[str, str], Account | None] | None] = ContextVar("bank_accounts", default=None)


@contextmanager
def bank_accounts_remembered() -> Iterator[None]:
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def on_bank(account_type: str, currency: str, amount_minor: int) -> Movement:
    memo = _remembered.get()
    if memo is not None and (account_type, currency) in memo:
        account = memo[(account_type, currency)]
    else:
        account = internal_account_find(account_type=account_type, currency=currency)
        if memo is not None:
            memo[(account_type, currency)] = account
    if account is not None:
        return on(account, amount_minor)
    return Movement(ref=f"{account_type}:{currency}", account_id=None, currency=currency, amount_minor=amount_minor)


def _check_currency(account: Account, currency: str) -> None:
    if account.currency != currency:
        raise CurrencyMismatch(
            f"account {account.public_id} holds {account.currency}, not {currency}", field="currency"
        )


def posting_movements(
    *, entry_type: str, amount_minor: int, currency: str, source: Account | None, target: Account | None
) -> list[Movement]:
    """Movements of a DEPOSIT (target), WITHDRAWAL or FEE (source) or TRANSFER (both), FX included."""
    if entry_type == EntryType.DEPOSIT:
        _check_currency(target, currency)
        return [on(target, amount_minor), on_bank(BANK_COUNTER_ACCOUNT[entry_type], currency, -amount_minor)]
    _check_currency(source, currency)
    if entry_type in BANK_COUNTER_ACCOUNT:
        return [on(source, -amount_minor), on_bank(BANK_COUNTER_ACCOUNT[entry_type], currency, amount_minor)]
    if source.pk == target.pk:
        raise SameAccount("from_account and to_account must differ", field="to_account")
    if target.currency == currency:
        return [on(source, -amount_minor), on(target, amount_minor)]
    moves = [on(source, -amount_minor), on_bank(AccountType.FX_POSITION, currency, amount_minor)]
    from .conversion import convert_minor  # the one conversion rule
    from .selectors import fx_rate_current

    try:
        rate = fx_rate_current(base=currency, quote=target.currency)
    except FxRateNotFound:
        return moves  # the posting service refuses it; only the source side is known
    converted = convert_minor(amount_minor, base=currency, quote=target.currency, rate=rate.rate)
    return moves + [on_bank(AccountType.FX_POSITION, target.currency, -converted), on(target, converted)]


def reversal_movements(entry: JournalEntry) -> list[Movement]:
    return [on(p.account, -p.amount_minor) for p in entry.postings.select_related("account").order_by("id")]


def hold_movements(account: Account, amount_minor: int, currency: str) -> list[Movement]:
    """A hold moves nothing yet, but it commits the amount as a debit of the held account."""
    _check_currency(account, currency)
    return [on(account, -amount_minor)]


def capture_movements(hold: Hold, target: Account, amount_minor: int) -> list[Movement]:
    return [on(hold.account, -amount_minor), on(target, amount_minor)]


def opening_movements(currency: str, amount_minor: int) -> list[Movement]:
    """An opening deposit credits a new account (no history) and debits the bank's CASH account."""
    return [on_bank(AccountType.CASH, currency, -amount_minor)] if amount_minor else []
