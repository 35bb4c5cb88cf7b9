"""What a client is told when a dependency (PostgreSQL) fails under its request: 503, never 500.

The code says whether the request's effect is known:

* ``service_unavailable`` - the request certainly changed nothing: the connection failed before or while
  its transaction ran (connect refused, "the database system is starting up", a connection that broke
  mid-transaction, which PostgreSQL rolls back). Retrying, with the same ``Idempotency-Key``, is safe.
* ``outcome_unknown`` - the connection broke while COMMIT was in flight (the server may have committed
  before the socket died), or the request had already committed a transaction before the failure. The
  client must not assume either way: retry with the same ``Idempotency-Key`` (an earlier success is
  replayed, not posted twice) or read the resource.

Both carry ``Retry-After``. A COMMIT the server refused with a reason (a constraint, a serialization
failure) is not an outage and is not handled here. Writes that matter run in transactions; the few
autocommit housekeeping updates (an API key's last use) are not part of a request's outcome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# Set by apps.core.backends.postgresql on the exception a COMMIT raised.
DURING_COMMIT = "qenex_during_commit"
# SQLSTATE classes with which the server says it rolled the transaction back, even when raised at COMMIT:
# 40 transaction rollback (serialization failure, deadlock), 23 integrity (a deferred constraint), 25 state.
_ROLLED_BACK_CLASSES = ("40", "23", "25")

SERVICE_UNAVAILABLE = "service_unavailable"
OUTCOME_UNKNOWN = "outcome_unknown"


@dataclass(frozen=True)
class Outage:
    code: str
    message: str
    http_status: int = 503
    retry_after: int = RETRY_AFTER_SECONDS

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "field": None}}


def commits_so_far() -> int:
    """Successful COMMITs on this thread's connection; the middleware notes it when a request starts."""
    return getattr(connection, "commits_done", 0)


def _sqlstate(exc: BaseException) -> str | None:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)


def database_outage(exc: BaseException, request=None) -> Outage | None:
    """Return the 503 answer for a database failure ``exc``, or None when ``exc`` is not one."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return None
    sqlstate = _sqlstate(exc) or ""
    at_commit = getattr(exc, DURING_COMMIT, False) and not sqlstate.startswith(_ROLLED_BACK_CLASSES)
    started = getattr(request, "db_commits_at_start", None)
    committed_before = started is not None and commits_so_far() > started
    logger.warning(
        "database unavailable (%s, sqlstate %s%s%s): %s",
        exc.__class__.__name__,
        sqlstate or "none",
        ", during COMMIT" if at_commit else "",
        ", after an earlier commit of this request" if committed_before else "",
        str(exc).strip().splitlines()[0] if str(exc).strip() else "",
    )
    if at_commit:
        return Outage(
            OUTCOME_UNKNOWN,
            "the database connection broke while the change was being committed; it may or may not have been "
            "applied. Retry with the same Idempotency-Key, or read the resource, before acting on it",
        )
    if committed_before:
        return Outage(
            OUTCOME_UNKNOWN,
            "the database became unavailable after part of this request was committed. Retry with the same "
            "Idempotency-Key, or read the resource, before acting on it",
        )
    return Outage(
        SERVICE_UNAVAILABLE,
        "the database is unavailable; nothing was changed. Retry later (with the same Idempotency-Key)",
    )
