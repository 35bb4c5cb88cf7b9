"""Every write to the ledger: deposits, withdrawals, transfers (with FX), fees, reversals and holds.

Each public function is one database transaction that
1. locks the touched accounts in primary-key order (``apps.accounts.locks``), so concurrent postings
   queue instead of deadlocking;
2. answers a retry with the same idempotency key from the entry it already posted (looked up *after*
   the locks, so a concurrent duplicate waits and then sees the first one's entry);
3. checks status, currency and available balance (ledger balance - open holds + overdraft limit);
4. writes the entry, its postings (each with the running balance) and the cached balances;
5. writes the audit record last (``apps.audit.services.audit_record`` locks the audit chain head, after the
   accounts, and holds it only until commit). A replay or a refusal writes no audit record.
Deadlocks and serialization failures are retried by ``retry_on_conflict``; callers never see them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal, Inexact, localcontext
from typing import Any

from django.conf import settings
from django.db import DataError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from apps.accounts.errors import AccountNotActive, AccountNotFound
from apps.accounts.locks import lock_accounts
from apps.accounts.models import Account, AccountStatus, AccountType
from apps.accounts.selectors import account_get
from apps.accounts.services import internal_account_get_or_create
from apps.audit.services import audit_record
from apps.core.db import is_numeric_overflow, retry_on_conflict
from apps.core.errors import BalanceLimitExceeded, InvalidInput
from apps.core.idempotency import check_key, ensure_same_request, fingerprint
from apps.core.limits import check_balance_minor, check_posting_minor, posting_minor
from apps.core.money import currency_exponent, format_amount, to_decimal

from . import events
from .errors import (
    AlreadyReversed,
    AmountBelowMinimum,
    CurrencyMismatch,
    FxRateNotFound,
    HoldNotActive,
    HoldNotFound,
    InsufficientFunds,
    SameAccount,
    TransactionNotFound,
    UnbalancedEntry,
)
from .models import BANK_COUNTER_ACCOUNT, AccountBalance, EntryType, FxRate, Hold, HoldStatus, JournalEntry, Posting

MAX_DESCRIPTION = 280


@dataclass(frozen=True)
class Leg:
    """One side of an entry before it is written: +credit / -debit, in minor units."""

    account: Account
    amount_minor: int


@dataclass(frozen=True)
class PostingResult:
    entry: JournalEntry
    replayed: bool  # True when an idempotent retry returned the entry posted earlier


def _check_description(description: str) -> str:
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"description must be a string of at most {MAX_DESCRIPTION} characters", field="description")
    return description


def _check_metadata(metadata: dict[str, Any] | None) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise InvalidInput("metadata must be a JSON object", field="metadata")
    return metadata


def _check_usable(account: Account, field: str) -> None:
    if account.status != AccountStatus.ACTIVE:
        raise AccountNotActive(f"account {account.public_id} is {account.status}", field=field)


def _check_currency(account: Account, currency: str, field: str) -> None:
    if account.currency != currency:
        raise CurrencyMismatch(f"account {account.public_id} holds {account.currency}, not {currency}", field=field)


def held_minor(account_id: int, *, exclude_hold_id: int | None = None, now: datetime | None = None) -> int:
    """Sum of open, unexpired holds on an account."""
    qs = Hold.objects.filter(account_id=account_id, status=HoldStatus.AUTHORIZED, expires_at__gt=now or timezone.now())
    if exclude_hold_id is not None:
        qs = qs.exclude(pk=exclude_hold_id)
    return qs.aggregate(total=Sum("amount_minor"))["total"] or 0


def _replay(idempotency_key: str | None, request_fp: str) -> JournalEntry | None:
    if not idempotency_key:
        return None
    existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        ensure_same_request(existing.request_fingerprint, request_fp)
    return existing


BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1  # the range of a balance column


def _gl_overflow() -> BalanceLimitExceeded:
    # Customer balances are capped far below the range (apps.core.limits); only the bank's own accounts, which
    # sum many customers' movements, can get here. Refused, so a full GL account never turns into a 500.
    return BalanceLimitExceeded(
        "this posting would take one of the bank's own accounts beyond the ledger's 64-bit range", field="amount"
    )


_APPLY_SQL = """
UPDATE ledger_accountbalance SET ledger_minor = ledger_accountbalance.ledger_minor + v.delta, updated_at = %s
FROM ({rows}) AS v
WHERE ledger_accountbalance.account_id = v.account_id
RETURNING ledger_accountbalance.account_id, ledger_accountbalance.ledger_minor,
    (SELECT COALESCE(SUM(h.amount_minor), 0) FROM ledger_hold h
     WHERE h.account_id = ledger_accountbalance.account_id AND h.status = 'AUTHORIZED'
       AND h.expires_at > %s AND h.id <> %s)
"""
_APPLY_ROW = "SELECT CAST(%s AS BIGINT) AS account_id, CAST(%s AS BIGINT) AS delta"


def _apply_movements(
    net: dict[int, int], locked: dict[int, Account], *, now: datetime, exclude_hold_id: int | None
) -> dict[int, tuple[int, int]]:
    """Add each account's net movement to its cached balance in one statement.

    Return {account pk: (new ledger balance, open holds)}. The accounts must be locked by the caller;
    an account's first posting creates its balance row.
    """
    result: dict[int, tuple[int, int]] = {}
    pending = dict(net)
    for attempt in range(2):
        sql = _APPLY_SQL.format(rows=" UNION ALL ".join([_APPLY_ROW] * len(pending)))
        params: list[Any] = [now]
        for pk, delta in pending.items():
            params += [pk, delta]
        params += [now, exclude_hold_id or 0]
        with connection.cursor() as cursor:
            try:
                cursor.execute(sql, params)
            except DataError as exc:
                if not is_numeric_overflow(exc):
                    raise
                raise _gl_overflow() from None
            for account_id, balance_after, held in cursor.fetchall():
                result[account_id] = (balance_after, held)
        pending = {pk: delta for pk, delta in pending.items() if pk not in result}
        if not pending:
            return result
        if attempt == 0:
            AccountBalance.objects.bulk_create(
                [AccountBalance(account=locked[pk], currency=locked[pk].currency, ledger_minor=0) for pk in pending]
            )
    raise UnbalancedEntry(f"balance rows missing for accounts {sorted(pending)}")  # pragma: no cover


def _write_entry(
    *,
    entry_type: str,
    legs: list[Leg],
    locked: dict[int, Account],
    from_account: Account | None,
    to_account: Account | None,
    amount_minor: int,
    currency: str,
    description: str,
    metadata: dict[str, Any],
    idempotency_key: str | None,
    request_fp: str,
    actor: str,
    reverses: JournalEntry | None = None,
    exclude_hold_id: int | None = None,
    field_by_account: dict[int, str] | None = None,
) -> tuple[JournalEntry, list[Posting]]:
    """Check balances and write one balanced entry. The accounts in ``legs`` must already be locked."""
    field_by_account = field_by_account or {}
    if len(legs) < 2:
        raise UnbalancedEntry("an entry needs at least two postings")
    per_currency: dict[str, int] = {}
    for leg in legs:
        per_currency[leg.account.currency] = per_currency.get(leg.account.currency, 0) + leg.amount_minor
    if any(total != 0 for total in per_currency.values()) or any(leg.amount_minor == 0 for leg in legs):
        raise UnbalancedEntry(f"postings do not balance per currency: {per_currency}")

    now = timezone.now()
    # Net movement per account (an account may appear in several legs).
    net: dict[int, int] = {}
    for leg in legs:
        net[leg.account.pk] = net.get(leg.account.pk, 0) + leg.amount_minor
    new_balances = _apply_movements(net, locked, now=now, exclude_hold_id=exclude_hold_id)
    for pk, movement in net.items():
        account = locked[pk]
        balance_after, held = new_balances[pk]
        if not BIGINT_MIN <= balance_after <= BIGINT_MAX:
            # PostgreSQL refuses the overflowing UPDATE itself (above); SQLite turns it into a float instead.
            raise _gl_overflow()
        if account.is_internal:
            continue  # the bank's own GL accounts carry no limit but the 64-bit range
        if movement > 0:
            check_balance_minor(balance_after, account.currency, field=field_by_account.get(pk, "to_account"))
        elif movement < 0 and balance_after - held < -account.overdraft_limit_minor:
            # Raising rolls the balance update back with the rest of the transaction.
            raise InsufficientFunds(
                f"account {account.public_id} has insufficient available funds",
                field=field_by_account.get(pk, "from_account"),
            )

    entry = JournalEntry.objects.create(
        entry_type=entry_type,
        from_account=from_account,
        to_account=to_account,
        amount_minor=amount_minor,
        currency=currency,
        description=description,
        metadata=metadata,
        reverses=reverses,
        idempotency_key=idempotency_key,
        request_fingerprint=request_fp if idempotency_key else "",
        actor=actor[:150],
        posted_at=now,
    )
    running = {pk: new_balances[pk][0] - movement for pk, movement in net.items()}
    postings = []
    for leg in legs:
        running[leg.account.pk] += leg.amount_minor
        postings.append(
            Posting(
                entry=entry,
                account=leg.account,
                currency=leg.account.currency,
                amount_minor=leg.amount_minor,
                balance_after_minor=running[leg.account.pk],
                posted_at=now,
            )
        )
    Posting.objects.bulk_create(postings)
    _cache_for_response(entry, postings)
    events.entry_posted(entry, [(p.account.public_id, p.currency, p.balance_after_minor) for p in postings])
    return entry, postings


def _cache_for_response(entry: JournalEntry, postings: list[Posting]) -> None:
    """Keep on ``entry`` everything the API shows of it, so the response built after COMMIT runs no query.

    If the database goes away right after the commit, the client must still learn that its money moved;
    a query while serialising would turn a posted transfer into an error. The cache is Django's own
    prefetch cache, which ``entry.postings.all()`` reads; a new entry is reversed by nothing yet.
    """
    prefetched = entry.postings.all()
    prefetched._result_cache = list(postings)
    prefetched._prefetch_done = True
    entry._prefetched_objects_cache = {"postings": prefetched}
    JournalEntry.reversed_by.related.set_cached_value(entry, None)


_AUDIT_ACTIONS = {
    EntryType.DEPOSIT: "ledger.deposit_posted",
    EntryType.WITHDRAWAL: "ledger.withdrawal_posted",
    EntryType.TRANSFER: "ledger.transfer_posted",
    EntryType.FEE: "ledger.fee_posted",
    EntryType.REVERSAL: "ledger.reversal_posted",
    EntryType.HOLD_CAPTURE: "ledger.hold_captured",
}


def _audit_entry(entry: JournalEntry, postings: list[Posting], *, actor: str, extra: dict[str, Any] | None = None):
    """Write the entry's audit record: the last write of the posting's transaction (it locks the chain head)."""
    after = {
        "transaction": entry.public_id,
        "entry_type": entry.entry_type,
        "amount_minor": entry.amount_minor,
        "currency": entry.currency,
        "from_account": entry.from_account.public_id if entry.from_account else None,
        "to_account": entry.to_account.public_id if entry.to_account else None,
        "description": entry.description,
        "metadata": entry.metadata,
        "reverses": entry.reverses.public_id if entry.reverses else None,
        "idempotency_key": entry.idempotency_key,
        "postings": [
            {
                "account": p.account.public_id,
                "amount_minor": p.amount_minor,
                "balance_after_minor": p.balance_after_minor,
            }
            for p in postings
        ],
        **(extra or {}),
    }
    audit_record(
        action=_AUDIT_ACTIONS[entry.entry_type],
        object_type="transaction",
        object_id=entry.public_id,
        after=after,
        actor=actor,
    )


def _lock_for_posting(
    named: dict[str, str], internal: list[Account] = ()
) -> tuple[dict[str, Account], dict[int, Account]]:
    """Lock customer accounts named by public id (keyed by request field) and internal ones, in one query."""
    locked = lock_accounts([a.pk for a in internal], public_ids=named.values())
    by_public_id = {a.public_id: a for a in locked.values()}
    by_field: dict[str, Account] = {}
    for field, public_id in named.items():
        if public_id not in by_public_id:
            raise AccountNotFound(f"no account {public_id}", field=field)
        by_field[field] = by_public_id[public_id]
    return by_field, locked


def _post_simple(
    *,
    entry_type: str,
    customer_field: str,
    customer_id: str,
    amount_minor: int,
    currency: str,
    description: str,
    metadata: dict[str, Any],
    idempotency_key: str | None,
    request_fp: str,
    actor: str,
) -> PostingResult:
    """Post between one customer account and one of the bank's internal accounts (cash, fee income)."""
    internal = internal_account_get_or_create(account_type=BANK_COUNTER_ACCOUNT[entry_type], currency=currency)
    with transaction.atomic():
        by_field, locked = _lock_for_posting({customer_field: customer_id}, [internal])
        replay = _replay(idempotency_key, request_fp)
        if replay is not None:
            return PostingResult(replay, True)
        customer = by_field[customer_field]
        _check_currency(customer, currency, "currency")
        _check_usable(customer, customer_field)
        credit_customer = customer_field == "to_account"
        sign = 1 if credit_customer else -1
        entry, postings = _write_entry(
            entry_type=entry_type,
            legs=[Leg(locked[internal.pk], -sign * amount_minor), Leg(customer, sign * amount_minor)],
            locked=locked,
            from_account=None if credit_customer else customer,
            to_account=customer if credit_customer else None,
            amount_minor=amount_minor,
            currency=currency,
            description=description,
            metadata=metadata,
            idempotency_key=idempotency_key,
            request_fp=request_fp,
            actor=actor,
            field_by_account={customer.pk: customer_field},
        )
        _audit_entry(entry, postings, actor=actor)
        return PostingResult(entry, False)


def _simple_fingerprint(
    kind: str, field: str, account: str, minor: int, currency: str, description: str, metadata: dict[str, Any]
) -> str:
    return fingerprint(
        {
            "type": kind,
            field: account,
            "amount": minor,
            "currency": currency,
            "description": description,
            "metadata": metadata,
        }
    )


@retry_on_conflict()
def post_deposit(
    *,
    to_account: str,
    amount: object,
    currency: str,
    description: str = "",
    metadata: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    actor: str = "system",
) -> PostingResult:
    """Credit a customer account with cash received (debit the bank's CASH account)."""
    idempotency_key = check_key(idempotency_key)
    description, metadata = _check_description(description), _check_metadata(metadata)
    minor = posting_minor(amount, currency)
    return _post_simple(
        entry_type=EntryType.DEPOSIT,
        customer_field="to_account",
        customer_id=to_account,
        amount_minor=minor,
        currency=currency,
        description=description,
        metadata=metadata,
        idempotency_key=idempotency_key,
        actor=actor,
        request_fp=_simple_fingerprint("DEPOSIT", "to", to_account, minor, currency, description, metadata),
    )


@retry_on_conflict()
def post_withdrawal(
    *,
    from_account: str,
    amount: object,
    currency: str,
    description: str = "",
    metadata: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    actor: str = "system",
) -> PostingResult:
    """Debit a customer account for cash paid out (credit the bank's CASH account)."""
    idempotency_key = check_key(idempotency_key)
    description, metadata = _check_description(description), _check_metadata(metadata)
    minor = posting_minor(amount, currency)
    return _post_simple(
        entry_type=EntryType.WITHDRAWAL,
        customer_field="from_account",
        customer_id=from_account,
        amount_minor=minor,
        currency=currency,
        description=description,
        metadata=metadata,
        idempotency_key=idempotency_key,
        actor=actor,
        request_fp=_simple_fingerprint("WITHDRAWAL", "from", from_account, minor, currency, description, metadata),
    )


@retry_on_conflict()
def post_fee(
    *,
    from_account: str,
    amount: object,
    currency: str,
    description: str = "",
    metadata: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    actor: str = "system",
) -> PostingResult:
    """Charge a fee: debit the customer, credit the bank's FEE_INCOME account."""
    idempotency_key = check_key(idempotency_key)
    description, metadata = _check_description(description), _check_metadata(metadata)
    minor = posting_minor(amount, currency)
    return _post_simple(
        entry_type=EntryType.FEE,
        customer_field="from_account",
        customer_id=from_account,
        amount_minor=minor,
        currency=currency,
        description=description,
        metadata=metadata,
        idempotency_key=idempotency_key,
        actor=actor,
        request_fp=_simple_fingerprint("FEE", "from", from_account, minor, currency, description, metadata),
    )


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


# Enough digits for the exact product of the largest amount (18 digits) and the longest rate (28 digits).
_FX_PRECISION = 60


def convert_minor(amount_minor: int, *, base: str, quote: str, rate: Decimal) -> int:
    """Convert minor units of ``base`` into minor units of ``quote``, rounding down to the quote's unit.

    Rounding is unavoidable here (the rate has more digits than the currency); it happens once, at the
    bank's published rate, and both amounts and the rate are recorded on the entry. It goes toward the bank
    (the floor of what the customer receives): half-even would let a customer who splits one conversion into
    many small ones collect the round-ups (100 x 0.01 USD at 150 gave 200 JPY against 150 for 1.00 USD); with
    the floor, the parts never sum to more than the whole.
    """
    with localcontext() as ctx:
        ctx.prec, ctx.traps[Inexact] = _FX_PRECISION, True  # the product is exact; only the floor rounds
        exact = Decimal(amount_minor).scaleb(currency_exponent(quote) - currency_exponent(base)) * rate
        return int(exact.to_integral_value(rounding=ROUND_FLOOR))


class _NeedsFx(Exception):
    """The destination holds another currency: post through the FX position accounts instead."""


@retry_on_conflict()
def post_transfer(
    *,
    from_account: str,
    to_account: str,
    amount: object,
    currency: str,
    description: str = "",
    metadata: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    actor: str = "system",
) -> PostingResult:
    """Move ``amount`` (in the source account's currency) between two accounts.

    When the destination holds another currency the amount is converted at the rate in force, through
    the bank's FX_POSITION account in each currency, so every currency still balances.
    """
    idempotency_key = check_key(idempotency_key)
    description, metadata = _check_description(description), _check_metadata(metadata)
    minor = posting_minor(amount, currency)
    if from_account == to_account:
        raise SameAccount("from_account and to_account must differ", field="to_account")
    fp = fingerprint(
        {
            "type": "TRANSFER",
            "from": from_account,
            "to": to_account,
            "amount": minor,
            "currency": currency,
            "description": description,
            "metadata": metadata,
        }
    )
    try:
        with transaction.atomic():
            by_field, locked = _lock_for_posting({"from_account": from_account, "to_account": to_account})
            replay = _replay(idempotency_key, fp)
            if replay is not None:
                return PostingResult(replay, True)
            source, target = by_field["from_account"], by_field["to_account"]
            _check_currency(source, currency, "currency")
            if target.currency != currency:
                raise _NeedsFx  # leaves the atomic block having written nothing
            _check_usable(source, "from_account")
            _check_usable(target, "to_account")
            entry, postings = _write_entry(
                entry_type=EntryType.TRANSFER,
                legs=[Leg(source, -minor), Leg(target, minor)],
                locked=locked,
                from_account=source,
                to_account=target,
                amount_minor=minor,
                currency=currency,
                description=description,
                metadata=metadata,
                idempotency_key=idempotency_key,
                request_fp=fp,
                actor=actor,
                field_by_account={source.pk: "from_account", target.pk: "to_account"},
            )
            _audit_entry(entry, postings, actor=actor)
            return PostingResult(entry, False)
    except _NeedsFx:
        return _post_fx_transfer(
            from_account=from_account,
            to_account=to_account,
            minor=minor,
            currency=currency,
            description=description,
            metadata=metadata,
            idempotency_key=idempotency_key,
            request_fp=fp,
            actor=actor,
        )


def _post_fx_transfer(
    *,
    from_account: str,
    to_account: str,
    minor: int,
    currency: str,
    description: str,
    metadata: dict[str, Any],
    idempotency_key: str | None,
    request_fp: str,
    actor: str,
) -> PostingResult:
    target_currency = account_get(public_id=to_account, field="to_account").currency
    fx_source = internal_account_get_or_create(account_type=AccountType.FX_POSITION, currency=currency)
    fx_target = internal_account_get_or_create(account_type=AccountType.FX_POSITION, currency=target_currency)
    with transaction.atomic():
        by_field, locked = _lock_for_posting(
            {"from_account": from_account, "to_account": to_account}, [fx_source, fx_target]
        )
        replay = _replay(idempotency_key, request_fp)
        if replay is not None:
            return PostingResult(replay, True)
        source, target = by_field["from_account"], by_field["to_account"]
        _check_usable(source, "from_account")
        _check_usable(target, "to_account")
        rate = fx_rate_current(base=currency, quote=target.currency)
        converted = convert_minor(minor, base=currency, quote=target.currency, rate=rate.rate)
        if converted <= 0:
            raise AmountBelowMinimum(
                f"{format_amount(minor, currency)} {currency} is worth less than one minor unit of "
                f"{target.currency} at {format(rate.rate.normalize(), 'f')}",
                field="amount",
            )
        check_posting_minor(converted, target.currency, field="amount")
        fx_metadata = {
            **metadata,
            "fx": {
                "rate": format(rate.rate.normalize(), "f"),
                "rate_id": rate.pk,
                "source_currency": currency,
                "target_currency": target.currency,
                "target_amount_minor": converted,
            },
        }
        entry, postings = _write_entry(
            entry_type=EntryType.TRANSFER,
            legs=[
                Leg(source, -minor),
                Leg(locked[fx_source.pk], minor),
                Leg(locked[fx_target.pk], -converted),
                Leg(target, converted),
            ],
            locked=locked,
            from_account=source,
            to_account=target,
            amount_minor=minor,
            currency=currency,
            description=description,
            metadata=fx_metadata,
            idempotency_key=idempotency_key,
            request_fp=request_fp,
            actor=actor,
            field_by_account={source.pk: "from_account"},
        )
        _audit_entry(entry, postings, actor=actor)
        return PostingResult(entry, False)


POSTING_TYPES = (EntryType.DEPOSIT, EntryType.WITHDRAWAL, EntryType.FEE, EntryType.TRANSFER)


def post_by_type(
    *,
    entry_type: str,
    amount: object,
    currency: str,
    from_account: str | None = None,
    to_account: str | None = None,
    description: str = "",
    metadata: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    actor: str = "system",
) -> PostingResult:
    """Post a DEPOSIT (to_account), WITHDRAWAL or FEE (from_account) or TRANSFER (both) by its type name.

    The one place the API, the SDK and approved requests turn a type name into a posting.
    """
    common = {
        "amount": amount,
        "currency": currency,
        "description": description,
        "metadata": metadata,
        "idempotency_key": idempotency_key,
        "actor": actor,
    }
    if entry_type == EntryType.DEPOSIT:
        return post_deposit(to_account=to_account, **common)
    if entry_type == EntryType.WITHDRAWAL:
        return post_withdrawal(from_account=from_account, **common)
    if entry_type == EntryType.FEE:
        return post_fee(from_account=from_account, **common)
    if entry_type == EntryType.TRANSFER:
        return post_transfer(from_account=from_account, to_account=to_account, **common)
    raise InvalidInput(f"unknown transaction type {entry_type!r}", field="type", code="invalid_choice")


@retry_on_conflict()
def post_reversal(
    *,
    transaction_id: str,
    description: str = "",
    idempotency_key: str | None = None,
    actor: str = "system",
) -> PostingResult:
    """Post the mirror image of an entry. An entry can be reversed once; a reversal cannot be reversed."""
    idempotency_key = check_key(idempotency_key)
    description = _check_description(description)
    try:
        original = JournalEntry.objects.get(public_id=transaction_id)
    except JournalEntry.DoesNotExist:
        raise TransactionNotFound(f"no transaction {transaction_id}", field="original_transaction") from None
    if original.entry_type == EntryType.REVERSAL:
        raise InvalidInput("a reversal cannot itself be reversed", field="original_transaction", code="not_reversible")
    fp = fingerprint({"type": "REVERSAL", "original": transaction_id, "description": description})
    originals = list(original.postings.select_related("account").order_by("id"))
    with transaction.atomic():
        locked = lock_accounts([p.account_id for p in originals])
        replay = _replay(idempotency_key, fp)
        if replay is not None:
            return PostingResult(replay, True)
        if JournalEntry.objects.filter(reverses=original).exists():
            raise AlreadyReversed(f"transaction {transaction_id} is already reversed", field="original_transaction")
        for account in locked.values():
            if account.status == AccountStatus.CLOSED:
                raise AccountNotActive(f"account {account.public_id} is CLOSED", field="original_transaction")
        entry, postings = _write_entry(
            entry_type=EntryType.REVERSAL,
            legs=[Leg(locked[p.account_id], -p.amount_minor) for p in originals],
            locked=locked,
            from_account=original.to_account,
            to_account=original.from_account,
            amount_minor=original.amount_minor,
            currency=original.currency,
            description=description or f"Reversal of {original.public_id}",
            metadata={"reverses": original.public_id},
            idempotency_key=idempotency_key,
            request_fp=fp,
            actor=actor,
            reverses=original,
            field_by_account={p.account_id: "original_transaction" for p in originals},
        )
        _audit_entry(entry, postings, actor=actor)
        return PostingResult(entry, False)


# --- Holds ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldResult:
    hold: Hold
    replayed: bool


@retry_on_conflict()
def hold_place(
    *,
    account: str,
    amount: object,
    currency: str,
    expires_at: datetime | None = None,
    description: str = "",
    idempotency_key: str | None = None,
    actor: str = "system",
) -> HoldResult:
    """Reserve funds on an account: they stop counting as available until captured, voided or expired."""
    idempotency_key = check_key(idempotency_key)
    description = _check_description(description)
    minor = posting_minor(amount, currency)
    target = account_get(public_id=account, field="account")
    _check_currency(target, currency, "currency")
    # The fingerprint covers what the client sent: the default expiry depends on the clock (and a setting),
    # so including it made every retry of a hold without ``expires_at`` look like a different request.
    fp = fingerprint(
        {
            "type": "HOLD",
            "account": account,
            "amount": minor,
            "currency": currency,
            "description": description,
            "expires_at": expires_at.isoformat() if expires_at is not None else None,
        }
    )
    now = timezone.now()
    expires_at = expires_at or now + timedelta(seconds=settings.QENEX_DEFAULT_HOLD_SECONDS)
    with transaction.atomic():
        locked = lock_accounts([target.pk])[target.pk]
        if idempotency_key:
            existing = Hold.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                ensure_same_request(existing.request_fingerprint, fp)
                return HoldResult(existing, True)
        # After the replay: a retry of a hold placed with an explicit expiry answers even once that has passed.
        if expires_at <= now:
            raise InvalidInput("expires_at must be in the future", field="expires_at")
        _check_usable(locked, "account")
        ledger = AccountBalance.objects.filter(account_id=target.pk).values_list("ledger_minor", flat=True).first() or 0
        if ledger - held_minor(target.pk, now=now) - minor < -locked.overdraft_limit_minor:
            raise InsufficientFunds(f"account {target.public_id} has insufficient available funds", field="amount")
        hold = Hold.objects.create(
            account=locked,
            currency=currency,
            amount_minor=minor,
            description=description,
            expires_at=expires_at,
            idempotency_key=idempotency_key,
            request_fingerprint=fp if idempotency_key else "",
        )
        audit_record(
            action="ledger.hold_placed",
            object_type="hold",
            object_id=hold.public_id,
            after=_hold_state(hold),
            actor=actor,
        )
        return HoldResult(hold, False)


def _hold_state(hold: Hold) -> dict[str, Any]:
    return {
        "hold": hold.public_id,
        "account": hold.account.public_id,
        "amount_minor": hold.amount_minor,
        "currency": hold.currency,
        "status": hold.status,
        "expires_at": hold.expires_at,
        "description": hold.description,
    }


def hold_get(*, public_id: str) -> Hold:
    """Return the hold with ``public_id`` or raise HoldNotFound."""
    try:
        return Hold.objects.select_related("account", "capture_entry").get(public_id=public_id)
    except Hold.DoesNotExist:
        raise HoldNotFound(f"no hold {public_id}", field="hold") from None


def _check_hold_open(hold: Hold, now: datetime) -> None:
    if hold.status != HoldStatus.AUTHORIZED:
        raise HoldNotActive(f"hold {hold.public_id} is {hold.status}", field="hold")
    if hold.expires_at <= now:
        raise HoldNotActive(f"hold {hold.public_id} expired at {hold.expires_at.isoformat()}", field="hold")


@retry_on_conflict()
def hold_capture(
    *,
    hold_id: str,
    to_account: str,
    amount: object | None = None,
    description: str = "",
    idempotency_key: str | None = None,
    actor: str = "system",
) -> PostingResult:
    """Turn a hold into a posted transfer to ``to_account``; a partial capture releases the rest."""
    idempotency_key = check_key(idempotency_key)
    description = _check_description(description)
    hold = hold_get(public_id=hold_id)
    target = account_get(public_id=to_account, field="to_account")
    if target.pk == hold.account_id:
        raise SameAccount("to_account must differ from the held account", field="to_account")
    _check_currency(target, hold.currency, "to_account")
    sent_minor = None if amount is None else posting_minor(amount, hold.currency)
    minor = hold.amount_minor if sent_minor is None else sent_minor
    if minor > hold.amount_minor:
        raise InvalidInput("cannot capture more than the hold's amount", field="amount", code="invalid_amount")
    # What the client sent: an omitted amount is "the whole hold", not the hold's amount filled in by the server.
    fp = fingerprint(
        {"type": "CAPTURE", "hold": hold_id, "to": to_account, "amount": sent_minor, "description": description}
    )
    with transaction.atomic():
        locked = lock_accounts([hold.account_id, target.pk])
        replay = _replay(idempotency_key, fp)
        if replay is not None:
            return PostingResult(replay, True)
        hold = Hold.objects.select_for_update().get(pk=hold.pk)
        now = timezone.now()
        _check_hold_open(hold, now)
        _check_usable(locked[hold.account_id], "hold")
        _check_usable(locked[target.pk], "to_account")
        entry, postings = _write_entry(
            entry_type=EntryType.HOLD_CAPTURE,
            legs=[Leg(locked[hold.account_id], -minor), Leg(locked[target.pk], minor)],
            locked=locked,
            from_account=locked[hold.account_id],
            to_account=locked[target.pk],
            amount_minor=minor,
            currency=hold.currency,
            description=description or hold.description,
            metadata={"hold": hold.public_id},
            idempotency_key=idempotency_key,
            request_fp=fp,
            actor=actor,
            exclude_hold_id=hold.pk,
            field_by_account={hold.account_id: "hold"},
        )
        hold.status, hold.captured_minor, hold.capture_entry, hold.closed_at = HoldStatus.CAPTURED, minor, entry, now
        hold.save(update_fields=["status", "captured_minor", "capture_entry", "closed_at"])
        _audit_entry(entry, postings, actor=actor, extra={"hold": hold.public_id, "hold_status": hold.status})
        return PostingResult(entry, False)


@retry_on_conflict()
def hold_void(*, hold_id: str, actor: str = "system") -> Hold:
    """Release a hold without moving money. Voiding an already-voided hold is a no-op."""
    hold = hold_get(public_id=hold_id)
    with transaction.atomic():
        locked = lock_accounts([hold.account_id])
        hold = Hold.objects.select_for_update().get(pk=hold.pk)
        hold.account = locked[hold.account_id]  # the response is built after COMMIT without a query
        if hold.status == HoldStatus.VOIDED:
            return hold
        now = timezone.now()
        _check_hold_open(hold, now)
        hold.status, hold.closed_at = HoldStatus.VOIDED, now
        hold.save(update_fields=["status", "closed_at"])
        audit_record(
            action="ledger.hold_voided",
            object_type="hold",
            object_id=hold.public_id,
            before={"status": HoldStatus.AUTHORIZED},
            after={"status": hold.status, "closed_at": hold.closed_at},
            actor=actor,
        )
        return hold


EXPIRE_BATCH = 200


def holds_expire(*, now: datetime | None = None) -> int:
    """Mark holds past their expiry as EXPIRED; return how many. (They stopped counting at expiry already.)

    Works in batches, one transaction each, with one audit record per hold.
    """
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                Hold.objects.select_for_update(no_key=True, skip_locked=True)
                .filter(status=HoldStatus.AUTHORIZED, expires_at__lte=now)
                .order_by("pk")
                .values_list("pk", "public_id")[:EXPIRE_BATCH]
            )
            if not batch:
                return total
            Hold.objects.filter(pk__in=[pk for pk, _ in batch]).update(status=HoldStatus.EXPIRED, closed_at=now)
            for _, public_id in batch:
                audit_record(
                    action="ledger.hold_expired",
                    object_type="hold",
                    object_id=public_id,
                    before={"status": HoldStatus.AUTHORIZED},
                    after={"status": HoldStatus.EXPIRED, "closed_at": now},
                )
        total += len(batch)


# --- FX rates -------------------------------------------------------------------------------------------


def fx_rate_set(
    *,
    base: str,
    quote: str,
    rate: object,
    valid_from: datetime | None = None,
    source: str = "",
    actor: str = "system",
) -> FxRate:
    """Record a rate (1 base = ``rate`` quote). Rates are never edited; a newer one supersedes."""
    currency_exponent(base, field="base_currency")
    currency_exponent(quote, field="quote_currency")
    if base == quote:
        raise InvalidInput("base and quote currency must differ", field="quote_currency")
    value = to_decimal(rate, field="rate")
    if value <= 0:
        raise InvalidInput("rate must be positive", field="rate")
    # The size check comes first: quantizing a rate with more than 28 digits would raise InvalidOperation.
    if value >= Decimal("1e16") or value != value.quantize(Decimal("1e-12")):
        raise InvalidInput("rate allows at most 16 integer and 12 decimal digits", field="rate")
    with transaction.atomic():
        fx_rate = FxRate.objects.create(
            base_currency=base, quote_currency=quote, rate=value, valid_from=valid_from or timezone.now(), source=source
        )
        audit_record(
            action="ledger.fx_rate_set",
            object_type="fx_rate",
            object_id=str(fx_rate.pk),
            after={
                "base_currency": base,
                "quote_currency": quote,
                "rate": format(value.normalize(), "f"),
                "valid_from": fx_rate.valid_from,
                "source": source,
            },
            actor=actor,
        )
        return fx_rate


def transaction_get(*, public_id: str) -> JournalEntry:
    try:
        return JournalEntry.objects.get(public_id=public_id)
    except JournalEntry.DoesNotExist:
        raise TransactionNotFound(f"no transaction {public_id}", field="transaction") from None
