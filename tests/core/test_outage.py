"""A database failure under a request is a 503 that says whether anything changed; never a 500.

The full story (PostgreSQL stopped and restarted under a running server) is in ``test_outage_cluster.py``;
these tests hold the pieces: the response built after COMMIT needs no database, and each kind of failure
gets its code.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client
from psycopg_pool import PoolTimeout

from apps.core.outage import DURING_COMMIT, OUTCOME_UNKNOWN, SERVICE_UNAVAILABLE, database_outage
from apps.ledger import services
from tests.factories import funded_account
from tests.staff import make_staff

pytestmark = pytest.mark.django_db


class DatabaseGone:
    """An execute wrapper that fails every statement as a vanished server would."""

    def __init__(self, error: Exception | None = None) -> None:
        self.refused: list[str] = []
        self.error = error or OperationalError("server closed the connection unexpectedly (test)")

    def __call__(self, execute, sql, params, many, context):
        if "pg_advisory_unlock" not in sql:  # the four-eyes gate's release; it tolerates a lost connection
            self.refused.append(sql)
        raise self.error


@contextmanager
def database_gone_after(monkeypatch, service_name: str):
    """Let the real service run and commit, then take the database away before the view serialises."""
    gone = DatabaseGone()
    real = getattr(services, service_name)

    def then_gone(**kwargs):
        result = real(**kwargs)
        connection.execute_wrappers.append(gone)
        return result

    monkeypatch.setattr(services, service_name, then_gone)
    try:
        yield gone
    finally:
        if gone in connection.execute_wrappers:
            connection.execute_wrappers.remove(gone)


def test_a_posting_response_is_built_from_memory_after_commit(api, monkeypatch):
    source, target = funded_account("100.00"), funded_account("0.00")
    body = {"type": "TRANSFER", "from_account": source.public_id, "to_account": target.public_id}
    with database_gone_after(monkeypatch, "post_by_type") as gone:
        response = api.post(
            "/api/v1/transactions",
            {**body, "amount": "30.00", "currency": "USD"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="after-commit-1",
        )
    assert gone.refused == [], gone.refused
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["reversed_by"] is None
    assert {(p["account"], p["amount"], p["balance_after"]) for p in data["postings"]} == {
        (source.public_id, "-30.00", "70.00"),
        (target.public_id, "30.00", "30.00"),
    }


def test_a_reversal_response_is_built_from_memory_after_commit(api, monkeypatch):
    account = funded_account("100.00")
    posted = services.post_withdrawal(from_account=account.public_id, amount="10.00", currency="USD")
    with database_gone_after(monkeypatch, "post_reversal") as gone:
        response = api.post(
            f"/api/v1/transactions/{posted.entry.public_id}/reverse",
            {},
            format="json",
            HTTP_IDEMPOTENCY_KEY="after-commit-2",
        )
    assert gone.refused == [] and response.status_code == 201, (gone.refused, response.content)
    assert response.json()["reverses"] == posted.entry.public_id


def test_a_void_response_is_built_from_memory_after_commit(api, monkeypatch):
    account = funded_account("100.00")
    hold = services.hold_place(account=account.public_id, amount="5.00", currency="USD").hold
    with database_gone_after(monkeypatch, "hold_void") as gone:
        response = api.post(f"/api/v1/holds/{hold.public_id}/void", {}, format="json")
    assert gone.refused == [] and response.status_code == 200, (gone.refused, response.content)
    assert response.json()["account"] == account.public_id


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("server closed the connection unexpectedly (test)"),
        OperationalError("terminating connection due to administrator command (test)"),
        OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused (test)'),
        InterfaceError("connection already closed (test)"),
    ],
    ids=["closed", "admin-shutdown", "refused", "interface-error"],
)
def test_a_read_while_the_database_is_gone_is_503_service_unavailable(api, error):
    api.get("/api/v1/accounts")  # authenticate once so the failure below is the read's, not the login's
    gone = DatabaseGone(error)
    with connection.execute_wrapper(gone):
        response = api.get("/api/v1/accounts")
    assert gone.refused
    assert response.status_code == 503, response.content
    assert response["Retry-After"].isdigit()
    assert response.json()["error"]["code"] == SERVICE_UNAVAILABLE


def _commit_failure(sqlstate: str | None) -> OperationalError:
    class Cause(Exception):
        pass

    cause = Cause("boom")
    cause.sqlstate = sqlstate
    exc = OperationalError("boom")
    exc.__cause__ = cause
    setattr(exc, DURING_COMMIT, True)
    return exc


def test_a_connection_lost_during_commit_is_outcome_unknown():
    assert database_outage(_commit_failure(None)).code == OUTCOME_UNKNOWN
    assert database_outage(_commit_failure("57P01")).code == OUTCOME_UNKNOWN  # admin shutdown mid-COMMIT


def test_a_commit_the_server_refused_with_a_reason_is_known_to_have_rolled_back():
    assert database_outage(_commit_failure("40001")).code == SERVICE_UNAVAILABLE  # serialization failure


def test_a_failure_after_an_earlier_commit_of_the_request_is_outcome_unknown():
    class Request:
        db_commits_at_start = -1  # one commit happened since the request started

    assert database_outage(OperationalError("gone"), Request()).code == OUTCOME_UNKNOWN
    assert database_outage(ValueError("not a database failure")) is None


def test_after_the_server_drops_every_idle_connection_the_pool_hands_out_a_live_one_at_once(on_postgresql, db):
    """What a PostgreSQL restart leaves behind: every idle pooled connection dead, unnoticed until handed out.

    psycopg_pool alone pauses 1 s, 2 s, 4 s between dead ones and times out (a 503 with the server back);
    the backend's check sweeps the pool at the first dead one (``apps.core.backends.postgresql``).
    """
    pool = connection.pool
    idle = [pool.getconn() for _ in range(5)]
    dead = {conn.info.backend_pid for conn in idle}
    for conn in idle:
        pool.putconn(conn)
    with connection.cursor() as cursor:  # every backend of this database but this test's own connection
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchone()[0] >= len(dead)
    started = time.monotonic()
    try:
        conn = pool.getconn(timeout=5)
    except PoolTimeout:
        pytest.fail("the pool kept handing out dead connections until it timed out")
    waited = time.monotonic() - started
    try:
        assert conn.info.backend_pid not in dead
        assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        pool.putconn(conn)
    assert waited < 2.5, waited  # one pause of the pool's check loop, not its whole backoff


def test_a_failed_reconnect_gives_up_within_seconds_so_recovery_is_not_held_back_by_backoff(on_postgresql):
    """psycopg_pool's default (retry for 300 s, pauses doubling) left requests timing out long after an outage."""
    assert connection.pool.reconnect_timeout <= 2


def test_a_database_lost_outside_the_api_is_a_503_page_with_retry_after_not_a_500(db):
    """Not a DRF view: the staff portal, whose session and user are read by middleware (``handler500``)."""
    browser = Client(raise_request_exception=False)
    browser.force_login(make_staff("outage-officer"))
    with connection.execute_wrapper(gone := DatabaseGone()):
        response = browser.get("/")
    assert gone.refused
    assert response.status_code == 503, response.content[:500]
    assert response["Retry-After"].isdigit()
    assert b"Service temporarily unavailable" in response.content  # the 503 page, not a traceback


