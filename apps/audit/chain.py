"""The hash chain's arithmetic: canonical serialisation of a record and its BLAKE2b-512 hash.

Pure functions, no database: the service uses them to append and ``verification`` to recompute.
The serialisation is JSON with sorted keys, no whitespace, UTF-8, and a version tag, over every stored
field except ``hash`` itself and the global ordering column ``sequence`` (assigned by the database at
INSERT, after the hash is computed); ``before``/``after`` are normalised first (see ``normalise``) so that
what is hashed is exactly what the database gives back.

Two formats: ``qenex-audit-v2`` hashes the shard and the position in it; ``qenex-audit-v1`` is how records
were hashed while the trail was one chain (position as ``sequence``, no shard). Those records became shard 0
with unchanged positions, so their stored hashes still verify.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

GENESIS_HASH = "0" * 128  # prev_hash of each shard's record 1
FORMATS = {1: "qenex-audit-v1", 2: "qenex-audit-v2"}  # chain_format -> version tag


def shard_of(*, object_type: str, object_id: str, shards: int) -> int:
    """Return the shard of an object's records: a stable hash, so one object's history stays in one chain.

    Stable across processes, machines and Python versions (BLAKE2b, not ``hash()``).
    """
    digest = hashlib.blake2b(f"{object_type}\x00{object_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def heads_digest(heads: list[list]) -> str:
    """Return the hex BLAKE2b-512 of a canonical list of shard heads ``[[shard, shard_sequence, hash], ...]``."""
    canonical = json.dumps(heads, separators=(",", ":"))
    return hashlib.blake2b(canonical.encode(), digest_size=64).hexdigest()


def normalise(value: Any) -> Any:
    """Return ``value`` as plain JSON that survives a round trip through PostgreSQL ``jsonb`` unchanged.

    Non-integer numbers become strings (``jsonb`` would rewrite ``-0.0`` or ``1e2``; money is a string here
    anyway), as do Decimals, dates, UUIDs and enums; mapping keys become strings; tuples and sets become lists.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float | Decimal):
        return str(value)
    if isinstance(value, Enum):
        return normalise(value.value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(normalise(v) for v in value)
    return str(value)


def timestamp(value: dt.datetime) -> str:
    """Microsecond UTC timestamp, the precision PostgreSQL stores."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_hash(
    *,
    chain_format: int,
    shard: int,
    shard_sequence: int,
    occurred_at: dt.datetime,
    actor: str,
    actor_user_id: int | None,
    actor_api_client_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    before: Any,
    after: Any,
    request_id: str,
    source_ip: str,
    prev_hash: str,
) -> str:
    """Return the hex BLAKE2b-512 of the record's canonical serialisation (which includes ``prev_hash``)."""
    content = {
        "format": FORMATS[chain_format],
        "sequence": shard_sequence,
        "occurred_at": timestamp(occurred_at),
        "actor": actor,
        "actor_user_id": actor_user_id,
        "actor_api_client_id": actor_api_client_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before": before,
        "after": after,
        "request_id": request_id,
        "source_ip": source_ip,
        "prev_hash": prev_hash,
    }
    if chain_format != 1:
        content["shard"] = shard
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.blake2b(canonical.encode("utf-8"), digest_size=64).hexdigest()


HASHED_FIELDS = (
    "chain_format",
    "shard",
    "shard_sequence",
    "occurred_at",
    "actor",
    "actor_user_id",
    "actor_api_client_id",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "request_id",
    "source_ip",
    "prev_hash",
)
