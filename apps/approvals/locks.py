"""One maker's operations on an account run one at a time while the four-eyes gate decides and executes them.

Without this, two concurrent requests by the same maker could each see the other's amount missing from the
velocity sum and both pass. The gate takes a PostgreSQL session advisory lock per (maker, account) — in sorted
order, so two requests of one maker never wait on each other in a cycle — before it reads the velocity sum,
and releases it after the operation's own transaction has committed. Other makers are not held up. The
approved execution of a request takes no such lock (it is not weighed again). SQLite serialises every write
already, so there it is a no-op.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


def _key(actor: str, ref: str) -> int:
    """A signed 64-bit advisory-lock key for (maker, account)."""
    digest = hashlib.blake2b(f"four-eyes|{actor}|{ref}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def maker_serialized(*, actor: str, refs: list[str]) -> Iterator[None]:
    if connection.vendor != "postgresql" or not refs:
        yield
        return
    keys = sorted({_key(actor, ref) for ref in refs})
    taken: list[int] = []
    try:
        with connection.cursor() as cursor:
            # One round trip for all of them, taken in ascending order (the subquery's order is the call order).
            # If the statement fails part-way, the connection is closed below, which drops what it took.
            taken = keys
            cursor.execute(_LOCK_ALL, [keys])
        yield
    finally:
        _release(taken)


_LOCK_ALL = "SELECT count(pg_advisory_lock(k)) FROM (SELECT k FROM unnest(%s::bigint[]) AS k ORDER BY k OFFSET 0) s"
_UNLOCK_ALL = "SELECT count(pg_advisory_unlock(k)) FROM unnest(%s::bigint[]) AS k"


def _release(taken: list[int]) -> None:
    """Unlock; if the database is gone, closing our side ends the session, which releases them too.

    The operation has committed by now: a failure here must not turn its response into an error.
    """
    if not taken:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(_UNLOCK_ALL, [taken])
    except DatabaseError:
        logger.warning("four-eyes gate: could not release advisory locks; closing the connection to drop them")
        connection.close()
