"""PostgreSQL backend (django-prometheus's instrumented one) that knows when a failure hit a COMMIT, and
whose connection pool recovers at once when the server comes back.

A connection that breaks while COMMIT is in flight leaves the outcome unknown: the server may have committed
before the socket died. Every other failure before COMMIT certainly rolled back. The API must tell a client
which of the two happened (``apps.core.outage``), so the backend marks the exception raised by COMMIT and
counts successful commits (a request that committed once and then failed is not "nothing happened").

After a PostgreSQL restart every idle connection in the pool is dead, but nothing notices until one is
handed out. psycopg_pool checks a connection before handing it out (Django passes ``check`` when
CONN_HEALTH_CHECKS is on) and, on a dead one, pauses 1 s, 2 s, 4 s ... before taking the next, so with three
or more dead ones the request hits the pool timeout: a 503 while the server is already back (measured:
the first one or two requests after ``pg_ctl restart``). Here the first dead connection found makes the pool
sweep all its idle ones (``ConnectionPool.check``), which starts their replacements at once; after the one
pause the request gets a fresh connection.
"""

from __future__ import annotations

from functools import partial

from django.db import DatabaseError
from django_prometheus.db.backends.postgresql import base as instrumented
from psycopg_pool import ConnectionPool

from apps.core.outage import DURING_COMMIT


def check_or_sweep(pool: ConnectionPool, conn) -> None:
    """Check ``conn`` as psycopg_pool does; when it is dead, first sweep the pool's other idle connections."""
    try:
        ConnectionPool.check_connection(conn)
    except Exception:
        pool.check()  # discards every dead idle connection and starts its replacement
        raise


class DatabaseWrapper(instrumented.DatabaseWrapper):
    commits_done: int = 0  # successful COMMITs on this wrapper (per thread), across reconnects

    @property
    def pool(self) -> ConnectionPool | None:
        pool = super().pool
        # Django built it with check=ConnectionPool.check_connection (CONN_HEALTH_CHECKS); psycopg_pool takes the
        # check only as a constructor argument that Django fills in, so it is replaced here, once.
        if pool is not None and pool._check is ConnectionPool.check_connection:
            pool._check = partial(check_or_sweep, pool)
        return pool

    def _commit(self):
        try:
            result = super()._commit()
        except DatabaseError as exc:
            setattr(exc, DURING_COMMIT, True)
            raise
        self.commits_done += 1
        return result
