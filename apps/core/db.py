"""Database helpers: retry of transient concurrency failures and vendor checks."""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import DataError, IntegrityError, OperationalError, connection, transaction

from .errors import AmountTooLarge, DomainError, PeriodClosed

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# PostgreSQL SQLSTATEs that mean "the transaction lost a race; run it again": serialization_failure,
# deadlock_detected, lock_not_available (NOWAIT). SQLite reports "database is locked".
RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}


# numeric_value_out_of_range: a bigint sum or cast overflowed.
NUMERIC_OUT_OF_RANGE = "22003"
# Raised by the period-close trigger (apps/ledger/migrations/0004_period_closing.py): a posting dated into a
# closed period. In class 23 (integrity constraint violation), so drivers report it as an IntegrityError.
PERIOD_CLOSED = "23Q01"


def _sqlstate(exc: BaseException) -> str | None:
    cause = getattr(exc, "__cause__", None)
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)


def is_numeric_overflow(exc: BaseException) -> bool:
    """True when the database (or the driver, before sending) refused a number too large for its column."""
    if isinstance(exc, OverflowError):
        return True  # the sqlite3 driver refuses an int beyond 64 bits itself
    cause = getattr(exc, "__cause__", None)
    return isinstance(exc, DataError) and (getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)) == (
        NUMERIC_OUT_OF_RANGE
    )


def domain_error_for(exc: BaseException) -> DomainError | None:
    """Return the coded refusal for a database error a caller caused, or None for a genuine fault.

    The one mapping of database errors to domain errors: the services' retry wrapper and the API's error
    handler both use it, so an overflow the services did not foresee is a 422, never a 500.
    """
    if is_numeric_overflow(exc):
        return AmountTooLarge("a number in this request is beyond what the ledger can store")
    if isinstance(exc, IntegrityError) and _sqlstate(exc) == PERIOD_CLOSED:
        return PeriodClosed(str(exc.__cause__ or exc).splitlines()[0])
    return None


def is_retryable(exc: BaseException) -> bool:
    cause = getattr(exc, "__cause__", None)
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(exc)


def retry_on_conflict(attempts: int = 8) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run the wrapped function again when the database reports a deadlock or serialization failure.

    Wrap the *outermost* transaction (the function that opens ``atomic(durable=True)``): a retry inside a
    transaction that already failed cannot succeed. The caller never sees the transient error. A numeric
    overflow is not retried: it becomes its domain error (``domain_error_for``).
    """

    def decorator(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            for attempt in range(1, attempts + 1):
                try:
                    return func(*args, **kwargs)
                except OperationalError as exc:
                    if attempt == attempts or not is_retryable(exc) or connection.in_atomic_block:
                        raise
                    # Lost a race (deadlock, serialization failure): back off with jitter so the same two
                    # transactions do not collide again in lock step.
                    logger.info("retrying %s after %s (attempt %d)", func.__name__, exc.__cause__ or exc, attempt)
                    time.sleep(random.uniform(0, 0.002 * 2**attempt))
                except (DataError, OverflowError) as exc:
                    refusal = domain_error_for(exc)
                    if refusal is None:
                        raise
                    raise refusal from exc
                except IntegrityError as exc:
                    refusal = domain_error_for(exc)
                    if refusal is not None:
                        raise refusal from exc
                    # Two requests with one idempotency key raced past the look-up; the loser runs again and
                    # now finds the winner's row, answering with it (or 409 if its request differs).
                    if attempt == attempts or "idempotency_key" not in str(exc) or connection.in_atomic_block:
                        raise
                    logger.info("retrying %s after %s (attempt %d)", func.__name__, exc.__class__.__name__, attempt)
                    time.sleep(random.uniform(0, 0.005 * 2**attempt))
            raise AssertionError("unreachable")  # pragma: no cover

        return wrapper

    return decorator


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


_inherited_pools: list[object] = []  # kept alive: collecting them would close sockets the parent still uses


def forget_inherited_connections() -> None:
    """In a forked child: drop the parent's connection pools and connections without closing them.

    A forked process (Celery's prefork pool, a benchmark's workers) inherits the parent's sockets. Closing them
    would end the parent's sessions, and using them would interleave two processes' traffic on one session
    (one process's BEGIN left open holding the other's row locks). The child opens its own on first use.
    """
    from django.db import connections

    try:
        from django.db.backends.postgresql.base import DatabaseWrapper
    except ImportError:  # pragma: no cover - psycopg not installed (SQLite only)
        return
    _inherited_pools.extend(DatabaseWrapper._connection_pools.values())
    DatabaseWrapper._connection_pools = {}
    for conn in connections.all(initialized_only=True):
        if conn.vendor == "postgresql" and conn.connection is not None:
            _inherited_pools.append(conn.connection)
            conn.connection = None


def on_commit_robust(func: Callable[..., object], /, **kwargs: object) -> None:
    """``transaction.on_commit(lambda: func(**kwargs), robust=True)``: after COMMIT, a failure is logged, not raised.

    Not ``on_commit(partial(...), robust=True)``: Django logs a robust callback's failure with ``func.__qualname__``,
    which a ``functools.partial`` lacks, so the logging itself raised AttributeError out of the commit, into a caller
    whose change had committed, and the callbacks queued after it never ran.
    """

    def after_commit() -> None:
        func(**kwargs)

    after_commit.__qualname__ = f"{getattr(func, '__qualname__', repr(func))} (after commit)"
    transaction.on_commit(after_commit, robust=True)
