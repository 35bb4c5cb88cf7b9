"""Every write to the ledger: deposits, withdrawals, transfers (with FX), fees, reversals and holds.

Each public function is one database transaction that
1. locks the touched accounts in primary-key order (``apps.accounts.locks``), so concurrent postings
   queue instead of deadlocking;
2. answers a retry with the same idempotency key from the entry it already posted (looked up *after*
   the locks, so a concurrent duplicate waits and then sees the first one's entry);
3. checks status, currency and available balance (ledger balance - open holds + overdraft limit);
4. writes the entry, its postings (each with the running balance) and the cached balances.
Deadlocks and serialization failures are retried by ``retry_on_conflict``; callers never see them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from apps.accounts.errors import AccountNotActive
from apps.accounts.locks import lock_accounts
from apps.accounts.models import Account, AccountStatus, AccountType
from apps.accounts.selectors import account_get
from apps.accounts.services import internal_account_get_or_create
from apps.core.db import retry_on_conflict
from apps.core.errors import InvalidInput
from apps.core.idempotency import check_key, ensure_same_request, fingerprint
from apps.core.money import currency_exponent, to_decimal, to_minor_units

from . import events
from .errors import (
    AlreadyReversed,
    CurrencyMismatch,
    FxRateNotFound,
    HoldNotActive,
    HoldNotFound,
    InsufficientFunds,
    SameAccount,
    TransactionNotFound,
    UnbalancedEntry,
)
from .models import AccountBalance, EntryType, FxRate, Hold, HoldStatus, JournalEntry, Posting

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
) -> JournalEntry:
    """Check balances and write one balanced entry. The accounts in ``legs`` must already be locked."""
    field_by_account = field_by_account or {}
    if len(legs) < 2:
        raise UnbalancedEntry("an entry needs at least two postings")
    per_currency: dict[str, int] = {}
    for leg in legs:
        per_currency[leg.account.currency] = per_currency.get(leg.account.currency, 0) + leg.amount_minor
    if any(total != 0 for total in per_currency.values()) or any(leg.amount_minor == 0 for leg in legs):
        raise UnbalancedEntry(f"postings do not balance per currency: {per_currency}")

    ids = [leg.account.pk for leg in legs]
    balances = {b.account_id: b for b in AccountBalance.objects.filter(account_id__in=ids)}
    missing = [locked[pk] for pk in set(ids) if pk not in balances]
    if missing:
        created = AccountBalance.objects.bulk_create(
            [AccountBalance(account=acc, currency=acc.currency, ledger_minor=0) for acc in missing]
        )
        balances.update({b.account_id: b for b in created})

    now = timezone.now()
    # Net movement per account (an account may appear in several legs, e.g. FX position accounts).
    net: dict[int, int] = {}
    for leg in legs:
        net[leg.account.pk] = net.get(leg.account.pk, 0) + leg.amount_minor
    for pk, movement in net.items():
        account = locked[pk]
        if movement >= 0 or account.is_internal:
            continue  # credits never breach a limit; the bank's own GL accounts carry no limit
        new_balance = balances[pk].ledger_minor + movement
        available_after = new_balance - held_minor(pk, exclude_hold_id=exclude_hold_id, now=now)
        if available_after < -account.overdraft_limit_minor:
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
    postings = []
    for leg in legs:
        balance = balances[leg.account.pk]
        balance.ledger_minor += leg.amount_minor
        postings.append(
            Posting(
                entry=entry,
                account=leg.account,
                currency=leg.account.currency,
                amount_minor=leg.amount_minor,
                balance_after_minor=balance.ledger_minor,
                posted_at=now,
            )
        )
    Posting.objects.bulk_create(postings)
    for balance in balances.values():
        balance.updated_at = now
    AccountBalance.objects.bulk_update(list(balances.values()), ["ledger_minor", "updated_at"])
    events.entry_posted(entry, [(p.account.public_id, p.currency, p.balance_after_minor) for p in postings])
    return entry


def _post_simple(
    *,
    entry_type: str,
    debit: Account,
    credit: Account,
    amount_minor: int,
    currency: str,
    description: str,
    metadata: dict[str, Any],
    idempotency_key: str | None,
    request_fp: str,
    actor: str,
    from_account: Account | None,
    to_account: Account | None,
    check_status: dict[int, str],
) -> PostingResult:
    with transaction.atomic():
        locked = lock_accounts([debit.pk, credit.pk])
        replay = _replay(idempotency_key, request_fp)
        if replay is not None:
            return PostingResult(replay, True)
        for pk, field in check_status.items():
            _check_usable(locked[pk], field)
        entry = _write_entry(
            entry_type=entry_type,
            legs=[Leg(locked[debit.pk], -amount_minor), Leg(locked[credit.pk], amount_minor)],
            locked=locked,
            from_account=from_account,
            to_account=to_account,
            amount_minor=amount_minor,
            currency=currency,
            description=description,
            metadata=metadata,
            idempotency_key=idempotency_key,
            request_fp=request_fp,
            actor=actor,
            field_by_account={pk: field for pk, field in check_status.items()},
        )
        return PostingResult(entry, False)


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
    minor = to_minor_units(amount, currency)
    target = account_get(public_id=to_account, field="to_account")
    _check_currency(target, currency, "currency")
    cash = internal_account_get_or_create(account_type=AccountType.CASH, currency=currency)
    fp = fingerprint(
        {
            "type": "DEPOSIT",
            "to": to_account,
            "amount": minor,
            "currency": currency,
            "description": description,
            "metadata": metadata,
        }
    )
    return _post_simple(
        entry_type=EntryType.DEPOSIT,
        debit=cash,
        credit=target,
        amount_minor=minor,
        currency=currency,
        description=description,
        metadata=metadata,
        idempotency_key=idempotency_key,
        request_fp=fp,
        actor=actor,
        from_account=None,
        to_account=target,
        check_status={target.pk: "to_account"},
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
    minor = to_minor_units(amount, currency)
    source = account_get(public_id=from_account, field="from_account")
    _check_currency(source, currency, "currency")
    cash = internal_account_get_or_create(account_type=AccountType.CASH, currency=currency)
    fp = fingerprint(
        {
            "type": "WITHDRAWAL",
            "from": from_account,
            "amount": minor,
            "currency": currency,
            "description": description,
            "metadata": metadata,
        }
    )
    return _post_simple(
        entry_type=EntryType.WITHDRAWAL,
        debit=source,
        credit=cash,
        amount_minor=minor,
        currency=currency,
        description=description,
        metadata=metadata,
        idempotency_key=idempotency_key,
        request_fp=fp,
        actor=actor,
        from_account=source,
        to_account=None,
        check_status={source.pk: "from_account"},
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
    minor = to_minor_units(amount, currency)
    source = account_get(public_id=from_account, field="from_account")
    _check_currency(source, currency, "currency")
    income = internal_account_get_or_create(account_type=AccountType.FEE_INCOME, currency=currency)
    fp = fingerprint(
        {
            "type": "FEE",
            "from": from_account,
            "amount": minor,
            "currency": currency,
            "description": description,
            "metadata": metadata,
        }
    )
    return _post_simple(
        entry_type=EntryType.FEE,
        debit=source,
        credit=income,
        amount_minor=minor,
        currency=currency,
        description=description,
        metadata=metadata,
        idempotency_key=idempotency_key,
        request_fp=fp,
        actor=actor,
        from_account=source,
        to_account=None,
        check_status={source.pk: "from_account"},
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


def convert_minor(amount_minor: int, *, base: str, quote: str, rate: Decimal) -> int:
    """Convert minor units of ``base`` into minor units of ``quote``, rounding half-even to the quote's unit.

    Rounding is unavoidable here (the rate has more digits than the currency); it happens once, at the
    bank's published rate, and both amounts and the rate are recorded on the entry.
    """
    major = Decimal(amount_minor).scaleb(-currency_exponent(base)) * rate
    return int((major.scaleb(currency_exponent(quote))).to_integral_value(rounding=ROUND_HALF_EVEN))


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
    minor = to_minor_units(amount, currency)
    source = account_get(public_id=from_account, field="from_account")
    target = account_get(public_id=to_account, field="to_account")
    if source.pk == target.pk:
        raise SameAccount("from_account and to_account must differ", field="to_account")
    _check_currency(source, currency, "currency")
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
    if target.currency == currency:
        return _post_simple(
            entry_type=EntryType.TRANSFER,
            debit=source,
            credit=target,
            amount_minor=minor,
            currency=currency,
            description=description,
            metadata=metadata,
            idempotency_key=idempotency_key,
            request_fp=fp,
            actor=actor,
            from_account=source,
            to_account=target,
            check_status={source.pk: "from_account", target.pk: "to_account"},
        )

    fx_source = internal_account_get_or_create(account_type=AccountType.FX_POSITION, currency=currency)
    fx_target = internal_account_get_or_create(account_type=AccountType.FX_POSITION, currency=target.currency)
    with transaction.atomic():
        locked = lock_accounts([source.pk, target.pk, fx_source.pk, fx_target.pk])
        replay = _replay(idempotency_key, fp)
        if replay is not None:
            return PostingResult(replay, True)
        _check_usable(locked[source.pk], "from_account")
        _check_usable(locked[target.pk], "to_account")
        rate = fx_rate_current(base=currency, quote=target.currency)
        converted = convert_minor(minor, base=currency, quote=target.currency, rate=rate.rate)
        if converted <= 0:
            raise InvalidInput("amount is too small to convert", field="amount", code="invalid_amount")
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
        entry = _write_entry(
            entry_type=EntryType.TRANSFER,
            legs=[
                Leg(locked[source.pk], -minor),
                Leg(locked[fx_source.pk], minor),
                Leg(locked[fx_target.pk], -converted),
                Leg(locked[target.pk], converted),
            ],
            locked=locked,
            from_account=source,
            to_account=target,
            amount_minor=minor,
            currency=currency,
            description=description,
            metadata=fx_metadata,
            idempotency_key=idempotency_key,
            request_fp=fp,
            actor=actor,
            field_by_account={source.pk: "from_account"},
        )
        return PostingResult(entry, False)


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
        entry = _write_entry(
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
    minor = to_minor_units(amount, currency)
    target = account_get(public_id=account, field="account")
    _check_currency(target, currency, "currency")
    now = timezone.now()
    expires_at = expires_at or now + timedelta(seconds=settings.QENEX_DEFAULT_HOLD_SECONDS)
    if expires_at <= now:
        raise InvalidInput("expires_at must be in the future", field="expires_at")
    fp = fingerprint(
        {
            "type": "HOLD",
            "account": account,
            "amount": minor,
            "currency": currency,
            "description": description,
            "expires_at": expires_at.isoformat(),
        }
    )
    with transaction.atomic():
        locked = lock_accounts([target.pk])[target.pk]
        if idempotency_key:
            existing = Hold.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                ensure_same_request(existing.request_fingerprint, fp)
                return HoldResult(existing, True)
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
        return HoldResult(hold, False)


def _hold_get(hold_id: str) -> Hold:
    try:
        return Hold.objects.select_related("account").get(public_id=hold_id)
    except Hold.DoesNotExist:
        raise HoldNotFound(f"no hold {hold_id}", field="hold") from None


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
    hold = _hold_get(hold_id)
    target = account_get(public_id=to_account, field="to_account")
    if target.pk == hold.account_id:
        raise SameAccount("to_account must differ from the held account", field="to_account")
    _check_currency(target, hold.currency, "to_account")
    minor = hold.amount_minor if amount is None else to_minor_units(amount, hold.currency)
    if minor > hold.amount_minor:
        raise InvalidInput("cannot capture more than the hold's amount", field="amount", code="invalid_amount")
    fp = fingerprint(
        {"type": "CAPTURE", "hold": hold_id, "to": to_account, "amount": minor, "description": description}
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
        entry = _write_entry(
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
        return PostingResult(entry, False)


@retry_on_conflict()
def hold_void(*, hold_id: str, actor: str = "system") -> Hold:
    """Release a hold without moving money. Voiding an already-voided hold is a no-op."""
    hold = _hold_get(hold_id)
    with transaction.atomic():
        lock_accounts([hold.account_id])
        hold = Hold.objects.select_for_update().get(pk=hold.pk)
        if hold.status == HoldStatus.VOIDED:
            return hold
        _check_hold_open(hold, timezone.now())
        hold.status, hold.closed_at = HoldStatus.VOIDED, timezone.now()
        hold.save(update_fields=["status", "closed_at"])
        return hold


def holds_expire(*, now: datetime | None = None) -> int:
    """Mark holds past their expiry as EXPIRED; return how many. (They stopped counting at expiry already.)"""
    now = now or timezone.now()
    return Hold.objects.filter(status=HoldStatus.AUTHORIZED, expires_at__lte=now).update(
        status=HoldStatus.EXPIRED, closed_at=now
    )


# --- FX rates -------------------------------------------------------------------------------------------


def fx_rate_set(*, base: str, quote: str, rate: object, valid_from: datetime | None = None, source: str = "") -> FxRate:
    """Record a rate (1 base = ``rate`` quote). Rates are never edited; a newer one supersedes."""
    currency_exponent(base, field="base_currency")
    currency_exponent(quote, field="quote_currency")
    if base == quote:
        raise InvalidInput("base and quote currency must differ", field="quote_currency")
    value = to_decimal(rate, field="rate")
    if value <= 0:
        raise InvalidInput("rate must be positive", field="rate")
    if value != value.quantize(Decimal("1e-12")) or value >= Decimal("1e16"):
        raise InvalidInput("rate allows at most 16 integer and 12 decimal digits", field="rate")
    return FxRate.objects.create(
        base_currency=base, quote_currency=quote, rate=value, valid_from=valid_from or timezone.now(), source=source
    )


def transaction_get(*, public_id: str) -> JournalEntry:
    try:
        return JournalEntry.objects.get(public_id=public_id)
    except JournalEntry.DoesNotExist:
        raise TransactionNotFound(f"no transaction {public_id}", field="transaction") from None
