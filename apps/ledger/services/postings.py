"""Deposits, withdrawals, fees, transfers (with FX) and reversals: each one transaction through the engine.

Each public function is ``@retry_on_conflict`` around one ``atomic(durable=True)`` block that
1. locks the touched accounts (``engine.lock``: ascending primary key; hot accounts take a balance slot);
2. answers a retry with the same idempotency key from the entry it already posted (looked up *after* the
   locks, so a concurrent duplicate waits and then sees the first one's entry);
3. checks status, currency and available funds, and writes the entry (``engine.plan`` / ``engine.write``);
4. writes the audit record last. A replay or a refusal writes nothing, not even an audit record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts.errors import AccountNotActive
from apps.accounts.models import BANK_OWNER_ID, AccountStatus, AccountType
from apps.accounts.selectors import account_get
from apps.core.db import retry_on_conflict
from apps.core.errors import InvalidInput
from apps.core.idempotency import check_key, ensure_same_request, fingerprint
from apps.core.limits import check_posting_minor, posting_minor
from apps.core.money import format_amount

from .. import checks as posting_checks
from ..conversion import convert_minor
from ..errors import AlreadyReversed, AmountBelowMinimum, SameAccount, TransactionNotFound
from ..models import BANK_COUNTER_ACCOUNT, EntryType, JournalEntry
from ..rules import POSTING_ACCOUNT_FIELDS
from ..selectors import fx_rate_current
from . import engine, gl
from .common import PostingResult, audit_entry, check_currency, check_description, check_metadata, check_usable
from .common import publish_posted as _publish


def lock_with_gl(*, public_ids: list[str] = (), pks: list[int] = (), gl_accounts: list[tuple[str, str]] = ()):
    """Lock customer accounts and the bank's GL accounts named by (type, currency); return (locked, GL pks)."""
    for _attempt in range(2):
        gl_pks = [gl.gl_account_id(account_type=t, currency=c) for t, c in gl_accounts]
        locked = engine.lock(public_ids=public_ids, pks=[*pks, *gl_pks])
        if all(
            pk in locked.accounts
            and locked.accounts[pk].owner_id == BANK_OWNER_ID
            and (locked.accounts[pk].account_type, locked.accounts[pk].currency) == wanted
            for pk, wanted in zip(gl_pks, gl_accounts, strict=True)
        ):
            return locked, gl_pks
        # A remembered GL account is gone (or its id now names another row): only a flushed or rolled-back test
        # database does that. Forget, look up again, lock again (in the same transaction; nothing is written yet).
        gl.forget()
    raise AssertionError("the bank's GL accounts could not be opened")  # pragma: no cover


def replayed_entry(state: engine.State, key: str | None, request_fp: str) -> JournalEntry | None:
    """The entry posted earlier under ``key`` (refused if that was a different request), or None."""
    if not key or key not in state.replays:
        return None
    pk, stored_fp = state.replays[key]
    ensure_same_request(stored_fp, request_fp)
    return JournalEntry.objects.get(pk=pk)


def finish(planned: engine.PlannedEntry, locked: engine.Locked, *, now: datetime, reverses=None, extra=None):
    """Write one planned entry, audit it, schedule its live updates; return it as a PostingResult."""
    engine.write([planned], locked, now=now)
    return record(planned, locked, now=now, reverses=reverses, extra=extra)


def record(planned: engine.PlannedEntry, locked: engine.Locked, *, now: datetime, reverses=None, extra=None):
    """After an entry is written: audit it (the last write), schedule its live updates, return the result."""
    audit_entry(planned, locked, reverses=reverses.public_id if reverses else None, extra=extra)
    _publish([planned], locked)
    entry, _postings = engine.as_models(planned, locked, now=now, reverses=reverses)
    return PostingResult(entry, False)


# --- deposits, withdrawals, fees ---------------------------------------------------------------------------

# Which side of a single-account posting the customer is on: +1 credited (to_account), -1 debited.
_CUSTOMER_SIGN = {EntryType.DEPOSIT: 1, EntryType.WITHDRAWAL: -1, EntryType.FEE: -1}


@dataclass(frozen=True)
class SimplePosting:
    """A checked request for a deposit, withdrawal or fee."""

    entry_type: str
    account: str  # the customer's account, public id
    amount_minor: int
    currency: str
    description: str
    metadata: dict[str, Any]
    idempotency_key: str | None
    actor: str

    @property
    def field(self) -> str:
        return POSTING_ACCOUNT_FIELDS[self.entry_type][0]

    @cached_property  # read for the replay check and the entry: one HMAC per request
    def fingerprint(self) -> str:
        return fingerprint(
            {
                "type": self.entry_type,
                "to" if _CUSTOMER_SIGN[self.entry_type] > 0 else "from": self.account,
                "amount": self.amount_minor,
                "currency": self.currency,
                "description": self.description,
                "metadata": self.metadata,
            }
        )

    def spec(self, customer_pk: int, counter_pk: int) -> engine.EntrySpec:
        """The entry: the customer's account against the bank's counter-account (BANK_COUNTER_ACCOUNT)."""
        sign, minor = _CUSTOMER_SIGN[self.entry_type], self.amount_minor
        return engine.EntrySpec(
            entry_type=self.entry_type,
            legs=[(counter_pk, -sign * minor), (customer_pk, sign * minor)],
            amount_minor=minor,
            currency=self.currency,
            from_account_id=None if sign > 0 else customer_pk,
            to_account_id=customer_pk if sign > 0 else None,
            description=self.description,
            metadata=self.metadata,
            idempotency_key=self.idempotency_key,
            request_fp=self.fingerprint,
            actor=self.actor,
            field_by_account={customer_pk: self.field},
        )


def simple_posting(
    entry_type: str,
    *,
    account: str,
    amount: object,
    currency: str,
    description: str,
    metadata: dict[str, Any] | None,
    idempotency_key: str | None,
    actor: str,
) -> SimplePosting:
    return SimplePosting(
        entry_type=entry_type,
        account=account,
        idempotency_key=check_key(idempotency_key),
        description=check_description(description),
        metadata=check_metadata(metadata),
        amount_minor=posting_minor(amount, currency),
        currency=currency,
        actor=actor,
    )


def post_simple_in_transaction(request: SimplePosting) -> PostingResult:
    """Post a deposit, withdrawal or fee inside the caller's transaction (the account opening uses it)."""
    sign = _CUSTOMER_SIGN[request.entry_type]
    field, request_fp = request.field, request.fingerprint
    locked, (gl_pk,) = lock_with_gl(
        public_ids=[request.account], gl_accounts=[(BANK_COUNTER_ACCOUNT[request.entry_type], request.currency)]
    )
    customer = locked.named(request.account, field)
    now = timezone.now()
    state = engine.read_state(
        locked, debited=[customer.pk] if sign < 0 else [], keys=[request.idempotency_key], now=now
    )
    replay = replayed_entry(state, request.idempotency_key, request_fp)
    if replay is not None:
        return PostingResult(replay, True)
    check_currency(customer, request.currency, "currency")
    check_usable(customer, field)
    return finish(engine.plan(request.spec(customer.pk, gl_pk), locked, state), locked, now=now)


def _post_simple(entry_type: str, **arguments: Any) -> PostingResult:
    request = simple_posting(entry_type, **arguments)
    posting_checks.screen(request)  # before the transaction: a check never holds our row locks
    with transaction.atomic(durable=True):
        return post_simple_in_transaction(request)


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
    return _post_simple(
        EntryType.DEPOSIT,
        account=to_account,
        amount=amount,
        currency=currency,
        description=description,
        metadata=metadata,
        idempotency_key=idempotency_key,
        actor=actor,
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
    return _post_simple(
        EntryType.WITHDRAWAL,
        account=from_account,
        amount=amount,
        currency=currency,
        description=description,
        metadata=metadata,
        idempotency_key=idempotency_key,
        actor=actor,
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
    return _post_simple(
        EntryType.FEE,
        account=from_account,
        amount=amount,
        currency=currency,
        description=description,
        metadata=metadata,
        idempotency_key=idempotency_key,
        actor=actor,
    )


def post_fee_in_transaction(
    *,
    from_account: str,
    amount: object,
    currency: str,
    description: str = "",
    metadata: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    actor: str = "system",
) -> PostingResult:
    """``post_fee`` inside the caller's transaction (see ``holds.hold_place_in_transaction``)."""
    from .holds import in_transaction

    in_transaction()
    return post_simple_in_transaction(
        simple_posting(
            EntryType.FEE,
            account=from_account,
            amount=amount,
            currency=currency,
            description=description,
            metadata=metadata,
            idempotency_key=idempotency_key,
            actor=actor,
        )
    )


# --- transfers ---------------------------------------------------------------------------------------------


class _NeedsFx(Exception):
    """The destination holds another currency: post through the FX position accounts instead."""


@dataclass(frozen=True)
class TransferRequest:
    from_account: str
    to_account: str
    amount_minor: int
    currency: str
    description: str
    metadata: dict[str, Any]
    idempotency_key: str | None
    actor: str

    @cached_property  # read for the replay check and the entry: one HMAC per request
    def fingerprint(self) -> str:
        return fingerprint(
            {
                "type": "TRANSFER",
                "from": self.from_account,
                "to": self.to_account,
                "amount": self.amount_minor,
                "currency": self.currency,
                "description": self.description,
                "metadata": self.metadata,
            }
        )

    def spec(self, source_pk: int, target_pk: int) -> engine.EntrySpec:
        """The entry of a transfer within one currency (an FX transfer adds the FX position legs itself)."""
        minor = self.amount_minor
        return engine.EntrySpec(
            entry_type=EntryType.TRANSFER,
            legs=[(source_pk, -minor), (target_pk, minor)],
            amount_minor=minor,
            currency=self.currency,
            from_account_id=source_pk,
            to_account_id=target_pk,
            description=self.description,
            metadata=self.metadata,
            idempotency_key=self.idempotency_key,
            request_fp=self.fingerprint,
            actor=self.actor,
            field_by_account={source_pk: "from_account", target_pk: "to_account"},
        )


def transfer_request(
    *,
    from_account: str,
    to_account: str,
    amount: object,
    currency: str,
    description: str,
    metadata: dict[str, Any] | None,
    idempotency_key: str | None,
    actor: str,
) -> TransferRequest:
    request = TransferRequest(
        from_account=from_account,
        to_account=to_account,
        idempotency_key=check_key(idempotency_key),
        description=check_description(description),
        metadata=check_metadata(metadata),
        amount_minor=posting_minor(amount, currency),
        currency=currency,
        actor=actor,
    )
    if from_account == to_account:
        raise SameAccount("from_account and to_account must differ", field="to_account")
    return request


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
    request = transfer_request(
        from_account=from_account,
        to_account=to_account,
        amount=amount,
        currency=currency,
        description=description,
        metadata=metadata,
        idempotency_key=idempotency_key,
        actor=actor,
    )
    posting_checks.screen(request)  # before the transaction: a check never holds our row locks
    try:
        with transaction.atomic(durable=True):
            return _post_transfer_in_transaction(request)
    except _NeedsFx:
        with transaction.atomic(durable=True):
            return _post_fx_transfer_in_transaction(request)


def post_transfer_in_transaction(**arguments: Any) -> PostingResult:
    """A same-currency ``post_transfer`` inside the caller's transaction, without the posting checks: for another
    app's service that ran its own kind of checks first (inbound payments run the ``inbound_payment`` checks) and
    must change its own rows and the posting together. Another currency is refused (no FX here)."""
    from ..errors import CurrencyMismatch
    from .holds import in_transaction

    in_transaction()
    try:
        return _post_transfer_in_transaction(transfer_request(**arguments))
    except _NeedsFx:
        raise CurrencyMismatch(
            f"to_account is not in {arguments['currency']}: no conversion here", field="to_account"
        ) from None


def _post_transfer_in_transaction(request: TransferRequest) -> PostingResult:
    request_fp = request.fingerprint
    locked = engine.lock(public_ids=[request.from_account, request.to_account])
    source = locked.named(request.from_account, "from_account")
    target = locked.named(request.to_account, "to_account")
    now = timezone.now()
    state = engine.read_state(locked, debited=[source.pk], keys=[request.idempotency_key], now=now)
    replay = replayed_entry(state, request.idempotency_key, request_fp)
    if replay is not None:
        return PostingResult(replay, True)
    check_currency(source, request.currency, "currency")
    if target.currency != request.currency:
        raise _NeedsFx  # leaves the atomic block having written nothing
    check_usable(source, "from_account")
    check_usable(target, "to_account")
    return finish(engine.plan(request.spec(source.pk, target.pk), locked, state), locked, now=now)


def _post_fx_transfer_in_transaction(request: TransferRequest) -> PostingResult:
    request_fp = request.fingerprint
    target_currency = account_get(public_id=request.to_account, field="to_account").currency
    locked, (fx_source, fx_target) = lock_with_gl(
        public_ids=[request.from_account, request.to_account],
        gl_accounts=[(AccountType.FX_POSITION, request.currency), (AccountType.FX_POSITION, target_currency)],
    )
    source = locked.named(request.from_account, "from_account")
    target = locked.named(request.to_account, "to_account")
    now = timezone.now()
    state = engine.read_state(locked, debited=[source.pk], keys=[request.idempotency_key], now=now)
    replay = replayed_entry(state, request.idempotency_key, request_fp)
    if replay is not None:
        return PostingResult(replay, True)
    check_usable(source, "from_account")
    check_usable(target, "to_account")
    minor, currency = request.amount_minor, request.currency
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
        **request.metadata,
        "fx": {
            "rate": format(rate.rate.normalize(), "f"),
            "rate_id": rate.pk,
            "source_currency": currency,
            "target_currency": target.currency,
            "target_amount_minor": converted,
        },
    }
    spec = engine.EntrySpec(
        entry_type=EntryType.TRANSFER,
        legs=[(source.pk, -minor), (fx_source, minor), (fx_target, -converted), (target.pk, converted)],
        amount_minor=minor,
        currency=currency,
        from_account_id=source.pk,
        to_account_id=target.pk,
        description=request.description,
        metadata=fx_metadata,
        idempotency_key=request.idempotency_key,
        request_fp=request_fp,
        actor=request.actor,
        field_by_account={source.pk: "from_account", target.pk: "to_account"},
    )
    return finish(engine.plan(spec, locked, state), locked, now=now)


POSTING_TYPES = tuple(POSTING_ACCOUNT_FIELDS)


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


# --- reversals ---------------------------------------------------------------------------------------------


@retry_on_conflict()
def post_reversal(
    *,
    transaction_id: str,
    description: str = "",
    idempotency_key: str | None = None,
    actor: str = "system",
) -> PostingResult:
    """Post the mirror image of an entry. An entry can be reversed once; a reversal cannot be reversed."""
    with transaction.atomic(durable=True):
        return _post_reversal(
            transaction_id=transaction_id, description=description, idempotency_key=idempotency_key, actor=actor
        )


def post_reversal_in_transaction(
    *, transaction_id: str, description: str = "", idempotency_key: str | None = None, actor: str = "system"
) -> PostingResult:
    """``post_reversal`` inside the caller's transaction (a payment that comes back: its state and the reversal
    change together; see ``holds.hold_place_in_transaction`` for what the caller may lock afterwards)."""
    from .holds import in_transaction

    in_transaction()
    return _post_reversal(
        transaction_id=transaction_id, description=description, idempotency_key=idempotency_key, actor=actor
    )


def _post_reversal(*, transaction_id: str, description: str, idempotency_key: str | None, actor: str) -> PostingResult:
    idempotency_key = check_key(idempotency_key)
    description = check_description(description)
    try:
        original = JournalEntry.objects.select_related("from_account", "to_account").get(public_id=transaction_id)
    except JournalEntry.DoesNotExist:
        raise TransactionNotFound(f"no transaction {transaction_id}", field="original_transaction") from None
    if original.entry_type == EntryType.REVERSAL:
        raise InvalidInput("a reversal cannot itself be reversed", field="original_transaction", code="not_reversible")
    request_fp = fingerprint({"type": "REVERSAL", "original": transaction_id, "description": description})
    legs = [
        (account_id, -amount)
        for account_id, amount in original.postings.order_by("id").values_list("account_id", "amount_minor")
    ]
    locked = engine.lock(pks=[pk for pk, _ in legs])
    now = timezone.now()
    state = engine.read_state(
        locked, debited=[pk for pk, amount in legs if amount < 0], keys=[idempotency_key], now=now
    )
    replay = replayed_entry(state, idempotency_key, request_fp)
    if replay is not None:
        return PostingResult(replay, True)
    if JournalEntry.objects.filter(reverses=original).exists():
        raise AlreadyReversed(f"transaction {transaction_id} is already reversed", field="original_transaction")
    if _partially_reversed_minor(original):
        raise AlreadyReversed(
            f"transaction {transaction_id} is partly reversed: reverse the rest with a partial reversal",
            field="original_transaction",
            code="partly_reversed",
        )
    for account in locked.accounts.values():
        if account.status == AccountStatus.CLOSED:
            raise AccountNotActive(f"account {account.public_id} is CLOSED", field="original_transaction")
    spec = engine.EntrySpec(
        entry_type=EntryType.REVERSAL,
        legs=legs,
        amount_minor=original.amount_minor,
        currency=original.currency,
        from_account_id=original.to_account_id,
        to_account_id=original.from_account_id,
        description=description or f"Reversal of {original.public_id}",
        metadata={"reverses": original.public_id},
        idempotency_key=idempotency_key,
        request_fp=request_fp,
        actor=actor,
        reverses_id=original.pk,
        field_by_account={pk: "original_transaction" for pk, _ in legs},
    )
    return finish(engine.plan(spec, locked, state), locked, now=now, reverses=original)


def _partially_reversed_minor(original: JournalEntry) -> int:
    """What the partial reversals of ``original`` reversed so far (all but a completing one carry no ``reverses``)."""
    return sum(
        JournalEntry.objects.filter(
            entry_type=EntryType.REVERSAL, metadata__reverses=original.public_id, metadata__partial=True
        ).values_list("amount_minor", flat=True)
    )


def post_partial_reversal_in_transaction(
    *,
    transaction_id: str,
    amount_minor: int,
    description: str = "",
    idempotency_key: str | None = None,
    actor: str = "system",
) -> PostingResult:
    """Reverse part of a two-leg, one-currency entry (a payment's capture that partly came back), in the caller's
    transaction.

    Several partial reversals may follow each other up to the original amount; the one that completes it is also
    the entry's ``reverses`` link (the original is then fully reversed, as by ``post_reversal``). More than what is
    left is refused (``reversal_exceeds_original``), and a full ``post_reversal`` of a partly reversed entry too.
    """
    from .holds import in_transaction

    in_transaction()
    idempotency_key = check_key(idempotency_key)
    description = check_description(description)
    try:
        original = JournalEntry.objects.get(public_id=transaction_id)
    except JournalEntry.DoesNotExist:
        raise TransactionNotFound(f"no transaction {transaction_id}", field="original_transaction") from None
    if original.entry_type == EntryType.REVERSAL:
        raise InvalidInput("a reversal cannot itself be reversed", field="original_transaction", code="not_reversible")
    original_legs = list(original.postings.order_by("id").values_list("account_id", "amount_minor", "currency"))
    if len(original_legs) != 2 or len({currency for _, _, currency in original_legs}) != 1:
        raise InvalidInput(
            f"transaction {transaction_id} is not a two-leg entry in one currency: it can only be reversed in full",
            field="original_transaction",
            code="not_partially_reversible",
        )
    if not isinstance(amount_minor, int) or amount_minor <= 0:
        raise InvalidInput("the amount to reverse must be positive", field="amount", code="invalid_amount")
    request_fp = fingerprint(
        {"type": "REVERSAL", "original": transaction_id, "amount_minor": amount_minor, "description": description}
    )
    legs = [(account_id, amount_minor if amount < 0 else -amount_minor) for account_id, amount, _ in original_legs]
    locked = engine.lock(pks=[pk for pk, _ in legs])
    now = timezone.now()
    state = engine.read_state(
        locked, debited=[pk for pk, amount in legs if amount < 0], keys=[idempotency_key], now=now
    )
    replay = replayed_entry(state, idempotency_key, request_fp)
    if replay is not None:
        return PostingResult(replay, True)
    if JournalEntry.objects.filter(reverses=original).exists():
        raise AlreadyReversed(f"transaction {transaction_id} is already reversed", field="original_transaction")
    left = original.amount_minor - _partially_reversed_minor(original)
    if amount_minor > left:
        raise InvalidInput(
            f"transaction {transaction_id}: {amount_minor} is more than the {left} (minor units) left to reverse",
            field="amount",
            code="reversal_exceeds_original",
        )
    for account in locked.accounts.values():
        if account.status == AccountStatus.CLOSED:
            raise AccountNotActive(f"account {account.public_id} is CLOSED", field="original_transaction")
    completes = amount_minor == left
    spec = engine.EntrySpec(
        entry_type=EntryType.REVERSAL,
        legs=legs,
        amount_minor=amount_minor,
        currency=original.currency,
        from_account_id=original.to_account_id,
        to_account_id=original.from_account_id,
        description=description or f"Partial reversal of {original.public_id}",
        metadata={"reverses": original.public_id, "partial": True},
        idempotency_key=idempotency_key,
        request_fp=request_fp,
        actor=actor,
        reverses_id=original.pk if completes else None,
        field_by_account={pk: "original_transaction" for pk, _ in legs},
    )
    return finish(engine.plan(spec, locked, state), locked, now=now, reverses=original if completes else None)
