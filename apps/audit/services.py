"""Every write to the audit trail: append a record, sign a checkpoint.

``audit_record`` is called by the other apps' services as the LAST write of their transaction. The trail is
``QENEX_AUDIT_CHAIN_SHARDS`` hash chains (see ``models``); a record goes to the shard its object hashes to
(``chain.shard_of``: one object's history stays in one chain) and the writer locks only that shard's head
row (``FOR NO KEY UPDATE``), so audited commits of objects in different shards do not wait for each other.
Holding that lock from the audit write until commit is what keeps each shard free of forks.

Lock order: whatever the service locks (accounts in pk order, holds, keys) first, one shard head last - so a
service must never take another row lock after its audit write. A transaction that writes several records
keeps them all in the shard of its first record (the shard is pinned to the transaction id): two
transactions each locking two heads in different orders would deadlock, and one head per transaction
cannot. The price is that such a record may sit in another shard than its object's other records; the
global ``sequence`` still orders an object's history (a later change of an object waited for the earlier
one's commit, so it took a larger number).
Cost per audited change: 2 statements on PostgreSQL (lock the shard head; insert the record and advance the head
in one CTE).

Checkpoints: whatever process writes records also signs them, after COMMIT and best-effort
(``audit_checkpoint_if_due``): when this process's idea of the newest checkpoint is at least
``QENEX_AUDIT_CHECKPOINT_EVERY_RECORDS`` records (by the global ``sequence``) or
``QENEX_AUDIT_CHECKPOINT_EVERY_SECONDS`` seconds behind, it reads the newest checkpoint and signs every shard
head if that is still so. The check is an in-memory comparison; nothing is locked in the database and nothing
runs inside the writer's transaction, so it adds no wait to any head. Celery beat still signs every 5
minutes, which covers a quiet tail.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.core.db import on_commit_robust
from apps.core.request_context import current_request

from . import signing
from .chain import GENESIS_HASH, heads_digest, normalise, record_hash, shard_of, timestamp
from .errors import ChainHeadMissing
from .models import CURRENT_FORMAT, AuditChainHead, AuditCheckpoint, AuditRecord

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Principal:
    """Who is acting, as far as the current request knows."""

    user_id: int | None = None
    api_client_id: int | None = None


def _principal_of_request() -> tuple[Principal, str, str]:
    """Return (principal, request id, source IP) of the current HTTP request, or empty values outside one."""
    ctx = current_request()
    if ctx is None:
        return Principal(), "", ""
    user = getattr(ctx.request, "user", None)
    principal = Principal()
    if user is not None:
        key = getattr(user, "api_key", None)
        if key is not None:
            principal = Principal(api_client_id=key.client_id)
        elif getattr(user, "is_authenticated", False) and getattr(user, "pk", None) is not None:
            principal = Principal(user_id=user.pk)
    return principal, ctx.request_id, ctx.source_ip or ""


# The shard head to lock: the shard this transaction already writes to, if any (same top-level transaction
# id, which a savepoint shares and a new transaction never reuses), else the record's own shard.
_LOCK_HEAD_SQL = """
SELECT "id", "sequence", "hash", pg_current_xact_id()::text FROM "audit_auditchainhead"
WHERE "id" = CASE WHEN pg_current_xact_id()::text = %s THEN %s ELSE %s END
FOR NO KEY UPDATE
"""


@dataclass(frozen=True)
class _Head:
    shard: int
    sequence: int
    hash: str


def record_shard(*, object_type: str, object_id: str) -> int:
    """Return the shard a record of this object goes to (when its transaction has not pinned one yet)."""
    if connection.vendor != "postgresql":
        return 0  # SQLite (development) lets one writer in at a time anyway: one chain, nothing to pin
    shards = settings.QENEX_AUDIT_CHAIN_SHARDS
    if not object_type and not object_id:
        return random.randrange(shards)  # no object history to keep together: spread
    return shard_of(object_type=object_type, object_id=object_id, shards=shards)


def _create_missing_head(shard: int) -> None:
    """Create the head row of ``shard`` if it does not exist (a new shard, or a flushed test database).

    Insert first, then check: a concurrent writer creating the same head makes this insert wait for it and
    do nothing. Only an empty shard may start a new chain - a missing head over existing records is
    tampering (and the rollback takes the new head away again).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO "audit_auditchainhead" ("id", "sequence", "hash", "record_sequence") VALUES (%s, 0, %s, 0) '
            'ON CONFLICT ("id") DO NOTHING RETURNING "id"',
            [shard, GENESIS_HASH],
        )
        created = cursor.fetchone() is not None
    if created and AuditRecord.objects.filter(shard=shard).exists():
        raise ChainHeadMissing(f"the audit chain head row of shard {shard} is missing although it has records")


def _lock_head(shard: int) -> _Head:
    """Lock and return the head of the shard to append to: ``shard``, or the one this transaction pinned."""
    if connection.vendor != "postgresql":
        head = AuditChainHead.objects.select_for_update(no_key=True).filter(id=shard).first()
        if head is None:
            _create_missing_head(shard)
            head = AuditChainHead.objects.get(id=shard)
        return _Head(head.id, head.sequence, head.hash)
    pinned_xid, pinned_shard = getattr(connection, "_qenex_audit_pin", ("", shard))
    for attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_HEAD_SQL, [pinned_xid, pinned_shard, shard])
            row = cursor.fetchone()
        if row is not None:
            break
        if attempt:
            raise ChainHeadMissing(f"the audit chain head of shard {shard} could not be created")
        # The CASE chose a row that does not exist: never the pinned shard (this transaction locked that row, and
        # head rows cannot be deleted), so this record's own shard is new.
        _create_missing_head(shard)
    head_id, sequence, head_hash, xid = row
    connection._qenex_audit_pin = (xid, head_id)
    return _Head(head_id, sequence, head_hash)


_APPEND_COLUMNS = (
    "chain_format", "shard", "shard_sequence", "occurred_at", "actor", "actor_user_id", "actor_api_client_id",
    "action", "object_type", "object_id", "before", "after", "request_id", "source_ip", "prev_hash", "hash",
)  # fmt: skip
# Insert the record and advance its shard's head in one statement (one round trip; the head row is already locked).
_APPEND_SQL = """
WITH record AS (
    INSERT INTO "audit_auditrecord" ("chain_format", "shard", "shard_sequence", "occurred_at", "actor",
        "actor_user_id", "actor_api_client_id", "action", "object_type", "object_id", "before", "after", "request_id",
        "source_ip", "prev_hash", "hash")
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, %s, %s, %s)
    RETURNING "sequence"
), head AS (
    UPDATE "audit_auditchainhead" SET "sequence" = %s, "hash" = %s,
        "record_sequence" = (SELECT "sequence" FROM record), "updated_at" = %s
    WHERE "id" = %s
)
SELECT "sequence" FROM record
"""
_ADVANCE_HEAD_SQL = (
    'UPDATE "audit_auditchainhead" SET "sequence" = %s, "hash" = %s, "record_sequence" = %s, "updated_at" = %s '
    'WHERE "id" = %s'
)


def _append(fields: dict[str, Any], record_hash_hex: str) -> AuditRecord:
    """Insert the record and advance its shard's head (the head is locked by the caller).

    On PostgreSQL one plain statement (a CTE), without the ORM's per-call compilation: every posting appends one.
    """
    if connection.vendor != "postgresql":
        record = AuditRecord.objects.create(**fields, hash=record_hash_hex)
    else:
        record = AuditRecord(**fields, hash=record_hash_hex)
        values = [
            None
            if fields.get(c) is None and c in ("before", "after")
            else json.dumps(fields[c], ensure_ascii=False)
            if c in ("before", "after")
            else record_hash_hex
            if c == "hash"
            else fields[c]
            for c in _APPEND_COLUMNS
        ]
        values += [record.shard_sequence, record_hash_hex, fields["occurred_at"], record.shard]
        with connection.cursor() as cursor:
            cursor.execute(_APPEND_SQL, values)
            record.sequence = cursor.fetchone()[0]
        record._state.adding, record._state.db = False, connection.alias
        return record
    with connection.cursor() as cursor:
        cursor.execute(
            _ADVANCE_HEAD_SQL,
            [record.shard_sequence, record.hash, record.sequence, fields["occurred_at"], record.shard],
        )
    return record


def audit_record(
    *,
    action: str,
    object_type: str = "",
    object_id: str = "",
    before: Any = None,
    after: Any = None,
    actor: str = "system",
    user_id: int | None = None,
    api_client_id: int | None = None,
) -> AuditRecord:
    """Append one record to the chain, in the caller's transaction, and return it.

    ``user_id`` / ``api_client_id`` default to the principal of the current HTTP request, and the request id
    and source IP always come from it (``apps.core.request_context``). Call it as the last write of the
    transaction: it locks its shard's chain head until commit. Outside a transaction it opens its own.
    """
    principal, request_id, source_ip = _principal_of_request()
    if user_id is None and api_client_id is None:
        user_id, api_client_id = principal.user_id, principal.api_client_id
    before, after = normalise(before), normalise(after)
    # Reject what could not be stored or hashed (e.g. NaN) before taking the lock.
    json.dumps([before, after], allow_nan=False)
    with nullcontext() if connection.in_atomic_block else transaction.atomic():
        head = _lock_head(record_shard(object_type=object_type, object_id=str(object_id)))
        occurred_at = timezone.now()
        fields = {
            "chain_format": CURRENT_FORMAT,
            "shard": head.shard,
            "shard_sequence": head.sequence + 1,
            "occurred_at": occurred_at,
            "actor": (actor or "")[:150],
            "actor_user_id": user_id,
            "actor_api_client_id": api_client_id,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "before": before,
            "after": after,
            "request_id": request_id,
            "source_ip": source_ip[:45],
            "prev_hash": head.hash,
        }
        record = _append(fields, record_hash(**fields))
        on_commit_robust(audit_checkpoint_if_due, sequence=record.sequence)
        return record


def checkpoint_message(
    *, sequence: int, chain_hash: str, created_at, key_fingerprint: str, heads: list[list] | None = None
) -> bytes:
    """The bytes a checkpoint signature covers: every shard head (v2), or the single chain's head (v1)."""
    body = {
        "format": "qenex-audit-checkpoint-v1" if heads is None else "qenex-audit-checkpoint-v2",
        "sequence": sequence,
        "chain_hash": chain_hash,
        "created_at": timestamp(created_at),
        "key_fingerprint": key_fingerprint,
    }
    if heads is not None:
        body["heads"] = heads
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def checkpoint_heads(checkpoint: AuditCheckpoint) -> list[list]:
    """Return the ``[[shard, shard_sequence, hash], ...]`` a checkpoint signed (a v1 one: shard 0's head)."""
    if checkpoint.heads is None:
        return [[0, checkpoint.sequence, checkpoint.chain_hash]]
    return checkpoint.heads


def audit_checkpoint_create(*, force: bool = False) -> AuditCheckpoint | None:
    """Sign every shard's current head with the ML-DSA-65 key, together, and store the checkpoint.

    Return None (nothing written) when the trail is empty, or when the newest checkpoint already covers every
    head and ``force`` is false. Takes no lock: the heads are read as committed, in one statement (one
    snapshot), and a record and its head move are committed together, so each signed (shard, shard_sequence,
    hash) names a real record.
    """
    key = signing.signing_key()
    rows = list(
        AuditChainHead.objects.filter(sequence__gt=0)
        .order_by("id")
        .values_list("id", "sequence", "hash", "record_sequence")
    )
    if not rows:
        return None
    heads = [[shard, sequence, head_hash] for shard, sequence, head_hash, _ in rows]
    newest = max(record_sequence for *_, record_sequence in rows)
    latest = AuditCheckpoint.objects.order_by("-id").first()
    if latest is not None and checkpoint_heads(latest) == heads and not force:
        return None
    public_raw = key.public_key().public_bytes_raw()
    key_fingerprint = signing.fingerprint(public_raw)
    created_at = timezone.now()
    chain_hash = heads_digest(heads)
    message = checkpoint_message(
        sequence=newest, chain_hash=chain_hash, created_at=created_at, key_fingerprint=key_fingerprint, heads=heads
    )
    return AuditCheckpoint.objects.create(
        sequence=newest,
        chain_hash=chain_hash,
        heads=heads,
        created_at=created_at,
        algorithm=signing.ALGORITHM,
        key_fingerprint=key_fingerprint,
        public_key=public_raw.hex(),
        signature=key.sign(message, signing.SIGNATURE_CONTEXT).hex(),
    )


class _CheckpointPace:
    """This process's idea of the newest checkpoint, so the after-commit check is a comparison in memory."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # guards these fields only; never held across a query
        self.sequence: int | None = None  # None: not read from the database yet
        self.signed_at: dt.datetime | None = None
        self.busy = False  # a thread of this process is checking or signing right now
        self.last_warning = 0.0

    def note(self, checkpoint: AuditCheckpoint | None) -> None:
        with self.lock:
            self.sequence = checkpoint.sequence if checkpoint is not None else 0
            self.signed_at = checkpoint.created_at if checkpoint is not None else None


_pace = _CheckpointPace()


def _due(sequence: int, signed_sequence: int, signed_at: dt.datetime | None, now: dt.datetime) -> bool:
    every_records = settings.QENEX_AUDIT_CHECKPOINT_EVERY_RECORDS
    every_seconds = settings.QENEX_AUDIT_CHECKPOINT_EVERY_SECONDS
    if sequence <= signed_sequence:
        return False
    return (
        signed_at is None
        or sequence - signed_sequence >= every_records
        or (now - signed_at).total_seconds() >= every_seconds
    )


def audit_checkpoint_if_due(*, sequence: int) -> AuditCheckpoint | None:
    """After the commit that appended record ``sequence``: sign the head if the newest checkpoint is too old.

    Best-effort: a failure (no signing key, the database gone) is logged, at most once a minute, and never
    reaches the writer, whose change is already committed; the next write or beat tries again.
    """
    now = timezone.now()
    with _pace.lock:
        known = _pace.sequence is not None
        if _pace.busy or (known and not _due(sequence, _pace.sequence, _pace.signed_at, now)):
            return None
        _pace.busy = True
    try:
        latest = AuditCheckpoint.objects.order_by("-id").first()
        _pace.note(latest)
        if latest is not None and not _due(sequence, latest.sequence, latest.created_at, now):
            return None  # another process signed meanwhile
        checkpoint = audit_checkpoint_create()
        if checkpoint is not None:
            _pace.note(checkpoint)
        return checkpoint
    except Exception as exc:  # noqa: BLE001 - best-effort after commit; see the docstring
        if time.monotonic() - _pace.last_warning >= 60:
            _pace.last_warning = time.monotonic()
            logger.warning(
                "audit checkpoint after commit failed (%s: %s); beat or the next write retries",
                exc.__class__.__name__,
                exc,
            )
        return None
    finally:
        with _pace.lock:
            _pace.busy = False
