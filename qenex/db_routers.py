"""Read replicas: explicitly marked read-only selectors read from the ``replica`` alias; everything else, and
every write, uses the primary.

A selector opts in by evaluating its queryset on ``read_alias()`` (statements, reports, dashboards); nothing is
routed implicitly, so a service's read-modify-write never meets replication lag. ``read_alias()`` answers the
primary when:
- no replica is configured (QENEX_DATABASE_REPLICA_URL unset), or
- the primary connection is inside a transaction (``atomic``): the read belongs to that transaction, or
- this request (or task) already wrote: read-your-own-writes. ``ReadYourWritesMiddleware`` watches every
  statement on the primary connection during a request and pins the rest of the request to the primary after
  the first one that is not a plain SELECT (the ORM's saves and the ledger's raw SQL alike).

The router itself sends every write to the primary (even a model instance read from the replica), allows
relations between the two aliases (they hold the same rows) and migrates only the primary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connections

PRIMARY = "default"
REPLICA = "replica"

_pinned: ContextVar[bool] = ContextVar("qenex_db_pinned_to_primary", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def pin_to_primary() -> None:
    """Send the rest of this request's (or task's) reads to the primary."""
    _pinned.set(True)


def pinned_to_primary() -> bool:
    return _pinned.get()


def read_alias() -> str:
    """The alias a read-only selector reads from now: the replica only when it is safe (see the module doc)."""
    if not replica_configured() or _pinned.get() or connections[PRIMARY].in_atomic_block:
        return PRIMARY
    return REPLICA


@contextmanager
def primary_pinning() -> Iterator[None]:
    """A unit of work (a request, a task) whose first write pins its later reads to the primary."""
    token = _pinned.set(False)

    def watch(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        if not _pinned.get() and not _read_only(sql):
            _pinned.set(True)
        return execute(sql, params, many, context)

    try:
        with connections[PRIMARY].execute_wrapper(watch):
            yield
    finally:
        _pinned.reset(token)


_WRITE_WORDS = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|FOR\s+(NO\s+KEY\s+)?UPDATE|FOR\s+(KEY\s+)?SHARE)\b", re.I)


def _read_only(sql: str) -> bool:
    """A plain read: SELECT/SHOW, or a WITH that modifies nothing; a locking read counts as a write."""
    head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    return head in {"SELECT", "SHOW", "WITH"} and not _WRITE_WORDS.search(sql)


class ReadYourWritesMiddleware:
    """Per request: after its first write on the primary, every ``read_alias()`` read goes to the primary."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        with primary_pinning():
            return self.get_response(request)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints) -> str | None:
        instance = hints.get("instance")
        if instance is not None and instance._state.db == REPLICA:
            return read_alias()  # a related object of a replica row: the replica, unless that became unsafe
        return PRIMARY

    def db_for_write(self, model, **hints) -> str:
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool | None:
        return db == PRIMARY
