"""Every write to the audit trail: append a record, sign a checkpoint.

``audit_record`` is called by the other apps' services as the LAST write of their transaction. It locks the
single chain-head row, so appends are strictly ordered; holding that lock from the audit write until commit
is what keeps the chain free of forks. Lock order: whatever the service locks (accounts in pk order, holds,
keys) first, the chain head last - so a service must never take another row lock after its audit write.
Cost per audited change: 3 queries (lock the head, insert the record, advance the head).

Checkpoints: whatever process writes records also signs them, after COMMIT and best-effort
(``audit_checkpoint_if_due``): when this process's idea of the newest checkpoint is at least
``QENEX_AUDIT_CHECKPOINT_EVERY_RECORDS`` records or ``QENEX_AUDIT_CHECKPOINT_EVERY_SECONDS`` seconds behind,
it reads the newest checkpoint and signs the head if that is still so. The check is an in-memory
comparison; nothing is locked in the database and nothing runs inside the writer's transaction, so it adds
no wait to the chain head. Celery beat still signs every 5 minutes, which covers a quiet tail.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.core.request_context import current_request

from . import signing
from .chain import GENESIS_HASH, normalise, record_hash, timestamp
from .errors import ChainHeadMissing
from .models import HEAD_ID, AuditChainHead, AuditCheckpoint, AuditRecord

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


def _lock_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update(no_key=True).filter(pk=HEAD_ID).first()
    if head is None:
        # Created by migration 0002; a flushed test database (TRUNCATE) lacks it. Only an empty trail may
        # start a new chain - a missing head over existing records is tampering, and the insert will fail.
        if AuditRecord.objects.exists():
            raise ChainHeadMissing("the audit chain head row is missing although records exist")
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(pk=HEAD_ID, sequence=0, hash=GENESIS_HASH)], ignore_conflicts=True
        )
        head = AuditChainHead.objects.select_for_update(no_key=True).get(pk=HEAD_ID)
    return head


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
    transaction: it locks the chain head until commit. Outside a transaction it opens its own.
    """
    principal, request_id, source_ip = _principal_of_request()
    if user_id is None and api_client_id is None:
        user_id, api_client_id = principal.user_id, principal.api_client_id
    before, after = normalise(before), normalise(after)
    # Reject what could not be stored or hashed (e.g. NaN) before taking the lock.
    json.dumps([before, after], allow_nan=False)
    with nullcontext() if connection.in_atomic_block else transaction.atomic():
        head = _lock_head()
        occurred_at = timezone.now()
        fields = {
            "sequence": head.sequence + 1,
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
        record = AuditRecord.objects.create(**fields, hash=record_hash(**fields))
        AuditChainHead.objects.filter(pk=HEAD_ID).update(
            sequence=record.sequence, hash=record.hash, updated_at=occurred_at
        )
        transaction.on_commit(partial(audit_checkpoint_if_due, sequence=record.sequence), robust=True)
        return record


def checkpoint_message(*, sequence: int, chain_hash: str, created_at, key_fingerprint: str) -> bytes:
    """The bytes a checkpoint signature covers."""
    body = {
        "format": "qenex-audit-checkpoint-v1",
        "sequence": sequence,
        "chain_hash": chain_hash,
        "created_at": timestamp(created_at),
        "key_fingerprint": key_fingerprint,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def audit_checkpoint_create(*, force: bool = False) -> AuditCheckpoint | None:
    """Sign the current chain head with the ML-DSA-65 key and store the checkpoint.

    Return None (nothing written) when the trail is empty, or when the newest checkpoint already covers the
    head and ``force`` is false. Takes no lock: the head row is read as committed, and a record and the head
    move are committed together, so the signed (sequence, hash) always names a real record.
    """
    key = signing.signing_key()
    head = AuditChainHead.objects.filter(pk=HEAD_ID).first()
    if head is None or head.sequence == 0:
        return None
    latest = AuditCheckpoint.objects.order_by("-id").first()
    if latest is not None and latest.sequence == head.sequence and not force:
        return None
    public_raw = key.public_key().public_bytes_raw()
    key_fingerprint = signing.fingerprint(public_raw)
    created_at = timezone.now()
    message = checkpoint_message(
        sequence=head.sequence, chain_hash=head.hash, created_at=created_at, key_fingerprint=key_fingerprint
    )
    return AuditCheckpoint.objects.create(
        sequence=head.sequence,
        chain_hash=head.hash,
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
