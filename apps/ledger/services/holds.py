"""Holds: reserve funds (card authorisations, payments in flight), then capture, void or let them expire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.selectors import account_get
from apps.audit.services import audit_record
from apps.core.db import retry_on_conflict
from apps.core.errors import IdempotencyConflict, InvalidInput
from apps.core.idempotency import check_key, ensure_same_request, fingerprint
from apps.core.limits import posting_minor
from apps.events.services import emit_event, emit_events

from ..errors import HoldNotActive, InsufficientFunds, SameAccount
from ..models import EntryType, Hold, HoldStatus, JournalEntry
from ..rules import available_minor
from ..selectors import hold_get
from . import engine
from .common import PostingResult, check_currency, check_description, check_usable
from .postings import record, replayed_entry


@dataclass(frozen=True)
class HoldResult:
    hold: Hold
    replayed: bool


def _hold_place(
    *,
    durable: bool,
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
    description = check_description(description)
    minor = posting_minor(amount, currency)
    target = account_get(public_id=account, field="account")
    check_currency(target, currency, "currency")
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
    with transaction.atomic(durable=durable):
        locked = engine.lock(pks=[target.pk])
        held_account = locked.accounts[target.pk]
        if idempotency_key:
            existing = Hold.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                ensure_same_request(existing.request_fingerprint, fp)
                return HoldResult(existing, True)
            if JournalEntry.objects.filter(idempotency_key=idempotency_key).exists():
                # One namespace with the postings: the key already posted something else.
                raise IdempotencyConflict(
                    "this Idempotency-Key was already used for a different request", field="idempotency_key"
                )
        # After the replay: a retry of a hold placed with an explicit expiry answers even once that has passed.
        if expires_at <= now:
            raise InvalidInput("expires_at must be in the future", field="expires_at")
        check_usable(held_account, "account")
        state = engine.read_state(locked, debited=[target.pk], keys=[], now=now)
        if (
            available_minor(
                ledger_minor=state.balance[target.pk],
                held_minor=state.held[target.pk] + minor,
                overdraft_limit_minor=held_account.overdraft_limit_minor,
            )
            < 0
        ):
            raise InsufficientFunds(f"account {target.public_id} has insufficient available funds", field="amount")
        hold = Hold.objects.create(
            account=held_account,
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
        emit_event("hold.placed", hold.public_id, _hold_event(hold))
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


def _hold_event(hold: Hold, **extra: Any) -> dict[str, Any]:
    return {
        "hold": hold.public_id,
        "account": hold.account.public_id,
        "amount_minor": hold.amount_minor,
        "currency": hold.currency,
        "status": hold.status,
        "expires_at": hold.expires_at.isoformat(),
        **extra,
    }


def _check_hold_open(hold: Hold, now: datetime) -> None:
    if hold.status != HoldStatus.AUTHORIZED:
        raise HoldNotActive(f"hold {hold.public_id} is {hold.status}", field="hold")
    if hold.expires_at <= now:
        raise HoldNotActive(f"hold {hold.public_id} expired at {hold.expires_at.isoformat()}", field="hold")


def _hold_capture(
    *,
    durable: bool,
    hold_id: str,
    to_account: str,
    amount: object | None = None,
    description: str = "",
    idempotency_key: str | None = None,
    actor: str = "system",
) -> PostingResult:
    """Turn a hold into a posted transfer to ``to_account``; a partial capture releases the rest."""
    idempotency_key = check_key(idempotency_key)
    description = check_description(description)
    hold = hold_get(public_id=hold_id)
    target = account_get(public_id=to_account, field="to_account")
    if target.pk == hold.account_id:
        raise SameAccount("to_account must differ from the held account", field="to_account")
    check_currency(target, hold.currency, "to_account")
    sent_minor = None if amount is None else posting_minor(amount, hold.currency)
    minor = hold.amount_minor if sent_minor is None else sent_minor
    if minor > hold.amount_minor:
        raise InvalidInput("cannot capture more than the hold's amount", field="amount", code="invalid_amount")
    # What the client sent: an omitted amount is "the whole hold", not the hold's amount filled in by the server.
    fp = fingerprint(
        {"type": "CAPTURE", "hold": hold_id, "to": to_account, "amount": sent_minor, "description": description}
    )
    with transaction.atomic(durable=durable):
        locked = engine.lock(pks=[hold.account_id, target.pk])
        now = timezone.now()
        state = engine.read_state(
            locked, debited=[hold.account_id], keys=[idempotency_key], now=now, exclude_hold_id=hold.pk
        )
        replay = replayed_entry(state, idempotency_key, fp)
        if replay is not None:
            return PostingResult(replay, True)
        hold = Hold.objects.select_for_update(no_key=True).get(pk=hold.pk)
        _check_hold_open(hold, now)
        source, credited = locked.accounts[hold.account_id], locked.accounts[target.pk]
        check_usable(source, "hold")
        check_usable(credited, "to_account")
        spec = engine.EntrySpec(
            entry_type=EntryType.HOLD_CAPTURE,
            legs=[(source.pk, -minor), (credited.pk, minor)],
            amount_minor=minor,
            currency=hold.currency,
            from_account_id=source.pk,
            to_account_id=credited.pk,
            description=description or hold.description,
            metadata={"hold": hold.public_id},
            idempotency_key=idempotency_key,
            request_fp=fp,
            actor=actor,
            field_by_account={source.pk: "hold"},
        )
        planned = engine.plan(spec, locked, state)
        engine.write([planned], locked, now=now)
        hold.status, hold.captured_minor, hold.capture_entry_id, hold.closed_at = (
            HoldStatus.CAPTURED,
            minor,
            planned.pk,
            now,
        )
        hold.save(update_fields=["status", "captured_minor", "capture_entry", "closed_at"])
        hold.account = source
        emit_event(
            "hold.captured", hold.public_id, _hold_event(hold, captured_minor=minor, transaction=planned.public_id)
        )
        return record(planned, locked, now=now, extra={"hold": hold.public_id, "hold_status": hold.status})


def _hold_void(*, hold_id: str, actor: str = "system", durable: bool) -> Hold:
    """Release a hold without moving money. Voiding an already-voided hold is a no-op."""
    hold = hold_get(public_id=hold_id)
    with transaction.atomic(durable=durable):
        engine.lock(pks=[hold.account_id])
        account = hold.account
        hold = Hold.objects.select_for_update(no_key=True).get(pk=hold.pk)
        hold.account = account  # the response is built after COMMIT without a query
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
        emit_event("hold.voided", hold.public_id, _hold_event(hold))
        return hold


@retry_on_conflict()
def hold_place(**arguments: Any) -> HoldResult:
    """Reserve funds on an account (see ``_hold_place``): its own transaction."""
    return _hold_place(**arguments, durable=True)


@retry_on_conflict()
def hold_capture(**arguments: Any) -> PostingResult:
    """Turn a hold into a posted transfer (see ``_hold_capture``): its own transaction."""
    return _hold_capture(**arguments, durable=True)


@retry_on_conflict()
def hold_void(**arguments: Any) -> Hold:
    """Release a hold (see ``_hold_void``): its own transaction."""
    return _hold_void(**arguments, durable=True)


# Inside a caller's transaction, for another app's service that must change its own rows and the hold together
# (the payment gateway: a payment's state and its hold). The caller's transaction is then the durable one, and it
# must lock nothing after these calls but its own rows (the audit record they write locks a chain head).


def hold_place_in_transaction(**arguments: Any) -> HoldResult:
    in_transaction()
    return _hold_place(**arguments, durable=False)


def hold_capture_in_transaction(**arguments: Any) -> PostingResult:
    in_transaction()
    return _hold_capture(**arguments, durable=False)


def hold_void_in_transaction(**arguments: Any) -> Hold:
    in_transaction()
    return _hold_void(**arguments, durable=False)


def in_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("an *_in_transaction ledger service needs the caller's transaction")


EXPIRE_BATCH = 200


def holds_expire(*, now: datetime | None = None) -> int:
    """Mark holds past their expiry as EXPIRED; return how many. (They stopped counting at expiry already.)

    Works in batches, one transaction each, with one audit record per hold.
    """
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic(durable=True):
            batch = list(
                Hold.objects.select_for_update(no_key=True, skip_locked=True)
                .filter(status=HoldStatus.AUTHORIZED, expires_at__lte=now)
                .order_by("pk")
                .values_list("pk", "public_id", "account__public_id", "amount_minor", "currency", "expires_at")[
                    :EXPIRE_BATCH
                ]
            )
            if not batch:
                return total
            Hold.objects.filter(pk__in=[row[0] for row in batch]).update(status=HoldStatus.EXPIRED, closed_at=now)
            emit_events(
                (
                    "hold.expired",
                    public_id,
                    {
                        "hold": public_id,
                        "account": account,
                        "amount_minor": amount,
                        "currency": currency,
                        "status": HoldStatus.EXPIRED,
                        "expires_at": expires_at.isoformat(),
                    },
                )
                for _, public_id, account, amount, currency, expires_at in batch
            )
            for _, public_id, *_rest in batch:
                audit_record(
                    action="ledger.hold_expired",
                    object_type="hold",
                    object_id=public_id,
                    before={"status": HoldStatus.AUTHORIZED},
                    after={"status": HoldStatus.EXPIRED, "closed_at": now},
                )
        total += len(batch)


def accounts_lock_in_transaction(*, public_ids: list[str]) -> None:
    """Lock these accounts, in primary-key order, for a caller about to make several postings in one transaction
    (an ACH file settling its entries): the postings then re-lock rows already held, so the order never breaks."""
    in_transaction()
    engine.lock(public_ids=public_ids)
