"""Batch posting: up to QENEX_BATCH_MAX_ENTRIES deposits, withdrawals, fees and transfers in one transaction.

Modes: ``atomic`` (all or nothing: the first refused entry refuses the batch, naming it) and ``independent``
(each entry posted or refused on its own, with its code). Every entry carries its own idempotency key; a replay
of the batch (or of some of its entries) answers each replayed entry with the transaction posted the first time
and posts nothing twice.

One transaction, whatever the size: every touched account is locked once, in primary-key order (one
statement); balances, holds and the entries already posted under the batch's keys are read in one statement;
the entries are checked in order against that state in Python; then all entries, postings and balance changes
are written by one statement (``engine.write``). One audit record lists the batch.

Transfers in a batch stay in one currency (payment files are single-currency); a cross-currency transfer is
refused with ``currency_mismatch`` and goes through ``post_transfer``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.db import retry_on_conflict
from apps.core.errors import DomainError, InvalidInput
from apps.core.idempotency import ensure_same_request

from .. import checks as posting_checks
from ..models import BANK_COUNTER_ACCOUNT, EntryType, JournalEntry
from ..rules import POSTING_FIELDS
from . import engine
from .common import check_currency, check_usable, publish_posted
from .postings import _CUSTOMER_SIGN, SimplePosting, TransferRequest, lock_with_gl, simple_posting, transfer_request

MODES = ("atomic", "independent")
_ENTRY_FIELDS = {
    "type",
    "from_account",
    "to_account",
    "amount",
    "currency",
    "description",
    "metadata",
    "idempotency_key",
}


@dataclass(frozen=True)
class BatchItem:
    index: int
    status: str  # posted | replayed | refused
    transaction: str | None = None
    code: str | None = None
    field: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class BatchResult:
    mode: str
    items: list[BatchItem]

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)


def _refusal(index: int, exc: DomainError) -> BatchItem:
    return BatchItem(index=index, status="refused", code=exc.code, field=exc.field, message=str(exc))


def _in_batch(index: int, exc: DomainError) -> DomainError:
    """The error of entry ``index``, naming it, for an atomic batch refused as a whole."""
    exc.field = f"entries[{index}].{exc.field}" if exc.field else f"entries[{index}]"
    exc.args = (f"entry {index}: {exc.args[0] if exc.args else exc}", *exc.args[1:])
    return exc


def _parse(raw: object, actor: str) -> SimplePosting | TransferRequest:
    if not isinstance(raw, dict):
        raise InvalidInput("each entry must be a JSON object", field="")
    kind = raw.get("type")
    if kind not in POSTING_FIELDS:
        raise InvalidInput(
            f"type must be one of {', '.join(sorted(POSTING_FIELDS))}", field="type", code="invalid_choice"
        )
    for name in sorted(POSTING_FIELDS[kind] | {"idempotency_key"}):
        if raw.get(name) in (None, ""):
            raise InvalidInput(f"{name} is required for a {kind} in a batch", field=name, code="required")
    extra = sorted(set(raw) - POSTING_FIELDS[kind] - {"type", "description", "metadata", "idempotency_key"})
    if extra:
        code = "unexpected_field" if extra[0] in _ENTRY_FIELDS else "unknown_field"
        raise InvalidInput(f"{extra[0]} is not allowed for a {kind}", field=extra[0], code=code)
    common = {
        "amount": raw["amount"],
        "currency": raw["currency"],
        "description": raw.get("description", ""),
        "metadata": raw.get("metadata"),
        "idempotency_key": raw["idempotency_key"],
        "actor": actor,
    }
    if not isinstance(common["currency"], str):
        raise InvalidInput("currency must be a string", field="currency")
    if kind == EntryType.TRANSFER:
        return transfer_request(from_account=raw["from_account"], to_account=raw["to_account"], **common)
    account_field = "to_account" if _CUSTOMER_SIGN[kind] > 0 else "from_account"
    return simple_posting(kind, account=raw[account_field], **common)


def _spec(request: SimplePosting | TransferRequest, locked: engine.Locked, gl_pk: dict) -> engine.EntrySpec:
    """Check one parsed entry against the locked accounts; return what to post."""
    if isinstance(request, TransferRequest):
        source = locked.named(request.from_account, "from_account")
        target = locked.named(request.to_account, "to_account")
        check_currency(source, request.currency, "currency")
        check_currency(target, request.currency, "to_account")
        check_usable(source, "from_account")
        check_usable(target, "to_account")
        return request.spec(source.pk, target.pk)
    customer = locked.named(request.account, request.field)
    check_currency(customer, request.currency, "currency")
    check_usable(customer, request.field)
    return request.spec(customer.pk, gl_pk[(BANK_COUNTER_ACCOUNT[request.entry_type], request.currency)])


# Called once with every parsed entry before the transaction; answers {index: refusal} (the API's client scope and
# four-eyes rules). A refused entry is refused as if the service had refused it.
Screen = Callable[[dict[int, SimplePosting | TransferRequest]], dict[int, DomainError]]


@retry_on_conflict()
def post_batch(
    *, entries: list[dict[str, Any]], mode: str = "atomic", actor: str = "system", screen: Screen | None = None
) -> BatchResult:
    """Post ``entries`` (dicts with the fields of ``POST /api/v1/transactions`` plus ``idempotency_key``)."""
    if mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}", field="mode", code="invalid_choice")
    limit = settings.QENEX_BATCH_MAX_ENTRIES
    if not isinstance(entries, list) or not 1 <= len(entries) <= limit:
        raise InvalidInput(f"entries must be a list of 1 to {limit} entries", field="entries")
    atomic = mode == "atomic"
    items: dict[int, BatchItem] = {}
    requests: dict[int, SimplePosting | TransferRequest] = {}
    first_with_key: dict[str, int] = {}
    for index, raw in enumerate(entries):
        try:
            request = _parse(raw, actor)
            if request.idempotency_key in first_with_key:
                raise InvalidInput(
                    f"idempotency_key is also used by entry {first_with_key[request.idempotency_key]}",
                    field="idempotency_key",
                    code="duplicate_in_batch",
                )
            first_with_key[request.idempotency_key] = index
            requests[index] = request
        except DomainError as exc:
            if atomic:
                raise _in_batch(index, exc) from None
            items[index] = _refusal(index, exc)

    for index, exc in sorted((screen(requests) if screen and requests else {}).items()):
        if atomic:
            raise _in_batch(index, exc)
        items[index] = _refusal(index, exc)
        del requests[index]
    # The posting checks, each asked once for the whole batch, before the transaction opens.
    for index, exc in sorted(posting_checks.screen_many(requests).items()):
        if atomic:
            raise _in_batch(index, exc)
        items[index] = _refusal(index, exc)
        del requests[index]
    public_ids: set[str] = set()
    gl_needed: set[tuple[str, str]] = set()
    for request in requests.values():
        if isinstance(request, TransferRequest):
            public_ids |= {request.from_account, request.to_account}
        else:
            public_ids.add(request.account)
            gl_needed.add((BANK_COUNTER_ACCOUNT[request.entry_type], request.currency))
    gl_order = sorted(gl_needed)
    planned: list[engine.PlannedEntry] = []
    with transaction.atomic(durable=True):
        locked, gl_pks = lock_with_gl(public_ids=sorted(public_ids), gl_accounts=gl_order)
        gl_pk = dict(zip(gl_order, gl_pks, strict=True))
        now = timezone.now()
        debited = [
            a.pk for a in locked.accounts.values() if not a.is_internal
        ]  # any customer account may be debited by some entry
        state = engine.read_state(locked, debited=debited, keys=list(first_with_key), now=now)
        for index, request in requests.items():
            try:
                replay = state.replays.get(request.idempotency_key)
                if replay is not None:
                    ensure_same_request(replay[1], request.fingerprint)
                    items[index] = BatchItem(index=index, status="replayed", transaction=replay[0])
                    continue
                entry = engine.plan(_spec(request, locked, gl_pk), locked, state)
            except DomainError as exc:
                if atomic:
                    raise _in_batch(index, exc) from None
                items[index] = _refusal(index, exc)
                continue
            planned.append(entry)
            items[index] = BatchItem(index=index, status="posted", transaction=entry.public_id)
        engine.write(planned, locked, now=now)
        replayed_pks = [item.transaction for item in items.values() if item.status == "replayed"]
        if replayed_pks:
            public = dict(JournalEntry.objects.filter(pk__in=replayed_pks).values_list("pk", "public_id"))
            for index, item in list(items.items()):
                if item.status == "replayed":
                    items[index] = BatchItem(index=index, status="replayed", transaction=public[item.transaction])
        ordered = [items[i] for i in range(len(entries))]
        if planned:
            audit_record(
                action="ledger.batch_posted",
                object_type="batch",
                object_id=planned[0].public_id,
                after={
                    "mode": mode,
                    "entries": len(entries),
                    "posted": len(planned),
                    "refused": sum(1 for item in ordered if item.status == "refused"),
                    "replayed": len(replayed_pks),
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
    return BatchResult(mode=mode, items=ordered)
