"""PostgreSQL backend (django-prometheus's instrumented one) that knows when a failure hit a COMMIT.

A connection that breaks while COMMIT is in flight leaves the outcome unknown: the server may have committed
before the socket died. Every other failure before COMMIT certainly rolled back. The API must tell a client
which of the two happened (``apps.core.outage``), so the backend marks the exception raised by COMMIT and
counts successful commits (a request that committed once and then failed is not "nothing happened").
"""

from __future__ import annotations

from django.db import DatabaseError
from django_prometheus.db.backends.postgresql import base as instrumented

from apps.core.outage import DURING_COMMIT


class DatabaseWrapper(instrumented.DatabaseWrapper):
    commits_done: int = 0  # successful COMMITs on this wrapper (per thread), across reconnects

    def _commit(self):
        try:
            result = super()._commit()
        except DatabaseError as exc:
            setattr(exc, DURING_COMMIT, True)
            raise
        self.commits_done += 1
        return result
