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
from ..models import BANK_COUNTER_ACCOUNT, EntryType, Hold, HoldStatus, JournalEntry
from ..rules import available_minor
from ..selectors import hold_get
from . import engine
from .common import PostingResult, check_currency, check_description, check_usable, publish_posted
from .postings import SimplePosting, lock_with_gl, record, replayed_entry


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


def _hold_reduce(*, hold_id: str, amount_minor: int, actor: str = "system", durable: bool) -> Hold:
    """Release part of an open hold: it keeps ``amount_minor`` reserved (a partial card reversal, DE95).

    Reducing a hold to the amount it already has is a no-op (a repeated reversal); raising it is refused.
    """
    hold = hold_get(public_id=hold_id)
    if not isinstance(amount_minor, int) or amount_minor <= 0:
        raise InvalidInput(
            "a reduced hold keeps a positive amount (void it instead)", field="amount", code="invalid_amount"
        )
    with transaction.atomic(durable=durable):
        engine.lock(pks=[hold.account_id])
        account = hold.account
        hold = Hold.objects.select_for_update(no_key=True).get(pk=hold.pk)
        hold.account = account
        _check_hold_open(hold, timezone.now())
        if amount_minor == hold.amount_minor:
            return hold
        if amount_minor > hold.amount_minor:
            raise InvalidInput(
                f"hold {hold.public_id} holds {hold.amount_minor}: it can only be reduced",
                field="amount",
                code="invalid_amount",
            )
        before, hold.amount_minor = hold.amount_minor, amount_minor
        hold.save(update_fields=["amount_minor"])
        audit_record(
            action="ledger.hold_reduced",
            object_type="hold",
            object_id=hold.public_id,
            before={"amount_minor": before},
            after={"amount_minor": amount_minor, "released_minor": before - amount_minor, "status": hold.status},
            actor=actor,
        )
        emit_event("hold.reduced", hold.public_id, _hold_event(hold, released_minor=before - amount_minor))
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


def hold_reduce_in_transaction(**arguments: Any) -> Hold:
    in_transaction()
    return _hold_reduce(**arguments, durable=False)


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


# ---------------------------------------------------------------- many captures, one batch


@dataclass(frozen=True)
class BatchCapture:
    """One hold to capture in a batch, with the fee the held account pays out of what the capture releases."""

    hold_id: str
    to_account: str
    amount_minor: int
    description: str
    idempotency_key: str
    fee_minor: int = 0
    fee_description: str = ""
    fee_metadata: dict[str, Any] | None = None
    fee_idempotency_key: str = ""


@dataclass(frozen=True)
class BatchCaptured:
    hold_id: str
    transaction: str  # the capture entry's public id
    fee_transaction: str | None
    replayed: bool  # True: captured earlier under the same key (nothing posted now)


def _capture_fingerprint(item: BatchCapture) -> str:
    # The one-by-one capture's fingerprint: a batch capture replays a single capture of the same request.
    return fingerprint(
        {
            "type": "CAPTURE",
            "hold": item.hold_id,
            "to": item.to_account,
            "amount": item.amount_minor,
            "description": item.description,
        }
    )


def hold_captures_batch_in_transaction(
    *, captures: list[BatchCapture], reference: str, actor: str = "system"
) -> list[BatchCaptured]:
    """Capture many holds (and post their fees) as one batch inside the caller's transaction: every account locked
    once, one state read, one write of all entries (``engine.write``), one audit record listing them
    (``ledger.batch_posted``, mode ``captures``, ``reference`` naming what settled: an ACH file). All or nothing:
    the first refused capture raises. A capture posted earlier under its key is answered, not posted again."""
    in_transaction()
    if not captures:
        return []
    for item in captures:
        check_key(item.idempotency_key)
        check_description(item.description)
    by_id = {hold.public_id: hold for hold in Hold.objects.filter(public_id__in=[c.hold_id for c in captures])}
    missing = [c.hold_id for c in captures if c.hold_id not in by_id]
    if missing:
        raise HoldNotActive(f"hold {missing[0]} does not exist", field="hold")
    currencies = sorted({hold.currency for hold in by_id.values()})
    fee_gl = (
        [(BANK_COUNTER_ACCOUNT[EntryType.FEE], c) for c in currencies] if any(c.fee_minor for c in captures) else []
    )
    locked, gl_pks = lock_with_gl(
        public_ids=sorted({c.to_account for c in captures}),
        pks=sorted({hold.account_id for hold in by_id.values()}),
        gl_accounts=fee_gl,
    )
    fee_gl_pk = {currency: pk for (_t, currency), pk in zip(fee_gl, gl_pks, strict=True)}
    holds = {
        hold.public_id: hold
        for hold in Hold.objects.select_for_update(no_key=True)
        .filter(pk__in=[h.pk for h in by_id.values()])
        .order_by("pk")
    }
    now = timezone.now()
    keys = [c.idempotency_key for c in captures] + [c.fee_idempotency_key for c in captures if c.fee_minor]
    state = engine.read_state(locked, debited=sorted({h.account_id for h in holds.values()}), keys=keys, now=now)
    replays = {c.hold_id for c in captures if c.idempotency_key in state.replays}
    for hold in holds.values():
        if hold.public_id not in replays and hold.status == HoldStatus.AUTHORIZED and hold.expires_at > now:
            state.held[hold.account_id] -= hold.amount_minor  # what is being captured no longer reserves itself
    planned: list[engine.PlannedEntry] = []
    results: list[tuple[BatchCapture, engine.PlannedEntry | None, engine.PlannedEntry | None]] = []
    answered: list[BatchCaptured] = []
    for item in captures:
        hold = holds[item.hold_id]
        if item.hold_id in replays:
            replay = replayed_entry(state, item.idempotency_key, _capture_fingerprint(item))
            fee_pk = state.replays.get(item.fee_idempotency_key, (None,))[0] if item.fee_minor else None
            fee = JournalEntry.objects.filter(pk=fee_pk).first() if fee_pk else None
            answered.append(BatchCaptured(item.hold_id, replay.public_id, fee.public_id if fee else None, True))
            continue
        _check_hold_open(hold, now)
        source = locked.accounts[hold.account_id]
        target = locked.named(item.to_account, "to_account")
        if target.pk == source.pk:
            raise SameAccount("to_account must differ from the held account", field="to_account")
        check_currency(target, hold.currency, "to_account")
        check_usable(source, "hold")
        check_usable(target, "to_account")
        if item.amount_minor > hold.amount_minor:
            raise InvalidInput("cannot capture more than the hold's amount", field="amount", code="invalid_amount")
        capture = engine.plan(
            engine.EntrySpec(
                entry_type=EntryType.HOLD_CAPTURE,
                legs=[(source.pk, -item.amount_minor), (target.pk, item.amount_minor)],
                amount_minor=item.amount_minor,
                currency=hold.currency,
                from_account_id=source.pk,
                to_account_id=target.pk,
                description=item.description or hold.description,
                metadata={"hold": hold.public_id},
                idempotency_key=item.idempotency_key,
                request_fp=_capture_fingerprint(item),
                actor=actor,
                field_by_account={source.pk: "hold"},
            ),
            locked,
            state,
        )
        planned.append(capture)
        fee = None
        if item.fee_minor:
            request = SimplePosting(
                entry_type=EntryType.FEE,
                account=source.public_id,
                amount_minor=item.fee_minor,
                currency=hold.currency,
                description=item.fee_description,
                metadata=item.fee_metadata or {},
                idempotency_key=item.fee_idempotency_key,
                actor=actor,
            )
            fee = engine.plan(request.spec(source.pk, fee_gl_pk[hold.currency]), locked, state)
            planned.append(fee)
        results.append((item, capture, fee))
    engine.write(planned, locked, now=now)
    captured_holds = []
    for item, capture, fee in results:
        hold = holds[item.hold_id]
        hold.status, hold.captured_minor, hold.capture_entry_id, hold.closed_at = (
            HoldStatus.CAPTURED,
            item.amount_minor,
            capture.pk,
            now,
        )
        hold.account = locked.accounts[hold.account_id]
        captured_holds.append(hold)
        answered.append(BatchCaptured(item.hold_id, capture.public_id, fee.public_id if fee else None, False))
    Hold.objects.bulk_update(captured_holds, ["status", "captured_minor", "capture_entry", "closed_at"])
    emit_events(
        (
            "hold.captured",
            hold.public_id,
            _hold_event(hold, captured_minor=hold.captured_minor, transaction=capture.public_id),
        )
        for hold, (_item, capture, _fee) in zip(captured_holds, results, strict=True)
    )
    if planned:
        audit_record(
            action="ledger.batch_posted",
            object_type="batch",
            object_id=planned[0].public_id,
            after={
                "mode": "captures",
                "reference": reference,
                "entries": len(captures),
                "posted": len(planned),
                "replayed": len(replays),
                "holds": [hold.public_id for hold in captured_holds],
                "transactions": [
                    [
                        p.public_id,
                        p.spec.entry_type,
                        p.spec.amount_minor,
                        p.spec.currency,
                        [[locked.accounts[pk].public_id, amount] for pk, _c, amount, _a in p.postings],
                        p.spec.idempotency_key,
                    ]
                    for p in planned
                ],
            },
            actor=actor,
        )
        publish_posted(planned, locked)
    order = {item.hold_id: index for index, item in enumerate(captures)}
    return sorted(answered, key=lambda result: order[result.hold_id])
