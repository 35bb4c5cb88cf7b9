"""Signed checkpoints copied off the database: one JSON object per line, appended, never rewritten.

Whoever controls the database can delete its checkpoints, and whoever also holds the signing key can sign
new ones over a rewritten chain. A copy on storage they cannot rewrite (a WORM bucket, an append-only file
on another host, a log pipeline) keeps the original signatures: ``verify_audit --checkpoints FILE`` checks the
chain against them. Each line carries everything the signature covers, so the file verifies on its own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from .chain import timestamp
from .models import AuditCheckpoint

FORMAT = "qenex-audit-checkpoint-v1"  # a checkpoint of the single chain, from before sharding
FORMAT_SHARDED = "qenex-audit-checkpoint-v2"  # carries "heads": every shard head it signed
FIELDS = ("sequence", "chain_hash", "created_at", "algorithm", "key_fingerprint", "public_key", "signature")


class CheckpointFileError(ValueError):
    """A line of a checkpoint file is not a checkpoint."""


def to_line(cp: AuditCheckpoint) -> str:
    body = {
        "format": FORMAT if cp.heads is None else FORMAT_SHARDED,
        "sequence": cp.sequence,
        "chain_hash": cp.chain_hash,
        "created_at": timestamp(cp.created_at),
        "algorithm": cp.algorithm,
        "key_fingerprint": cp.key_fingerprint,
        "public_key": cp.public_key,
        "signature": cp.signature,
    }
    if cp.heads is not None:
        body["heads"] = cp.heads
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def from_line(line: str, source: str) -> AuditCheckpoint:
    """Return an unsaved checkpoint (``pk`` None, ``source`` naming the line) from one line of the file."""
    try:
        body = json.loads(line)
        if not isinstance(body, dict) or body.get("format") not in (FORMAT, FORMAT_SHARDED):
            raise CheckpointFileError(f"{source}: not a {FORMAT_SHARDED} (or {FORMAT}) line")
        created_at = dt.datetime.strptime(body["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
        values = {name: body[name] for name in FIELDS if name != "created_at"}
        if not isinstance(values["sequence"], int) or isinstance(values["sequence"], bool):
            raise CheckpointFileError(f"{source}: sequence must be an integer")
        values["heads"] = body["heads"] if body["format"] == FORMAT_SHARDED else None
        if values["heads"] is not None and not isinstance(values["heads"], list):
            raise CheckpointFileError(f"{source}: heads must be a list")
    except (ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, CheckpointFileError):
            raise
        raise CheckpointFileError(f"{source}: {exc.__class__.__name__}: {exc}") from None
    checkpoint = AuditCheckpoint(created_at=created_at, **values)
    checkpoint.source = source
    return checkpoint


def read(path: Path) -> list[AuditCheckpoint]:
    """Every checkpoint in the file, in file order; raise ``CheckpointFileError`` naming a bad line."""
    checkpoints = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                checkpoints.append(from_line(line, f"{path}:{number}"))
    return checkpoints


def append(handle: IO[str], checkpoints: Iterable[AuditCheckpoint]) -> int:
    """Write one line per checkpoint and flush it to the device; return how many were written."""
    written = 0
    for cp in checkpoints:
        handle.write(to_line(cp) + "\n")
        written += 1
    handle.flush()
    try:
        os.fsync(handle.fileno())
    except (OSError, ValueError):  # a pipe or terminal: nothing to sync
        pass
    return written
