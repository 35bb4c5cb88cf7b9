"""PostgreSQL stopped, restarted and cut off mid-COMMIT under the real ASGI server: 503s that say what
happened, never a 500, and the app recovers without a restart.

A throwaway cluster on its own port (initdb + pg_ctl), never the shared server; the app runs as
``manage.py serve`` (daphne) in its own process, pointed at it.
"""

from __future__ import annotations

import threading
import time

import pytest

from tests.throwaway import AppServer, PostgresCluster, app_env, manage, wait_for

pytestmark = pytest.mark.slow

SCOPES = "accounts:read,accounts:write,transactions:read,transactions:write"

# Fault injection inside the throwaway database: a deferred trigger that makes COMMIT take seconds while the
# flag table has a row, so the test can cut the connection while COMMIT is in flight.
SLOW_COMMIT_SQL = """
CREATE TABLE qenex_test_slow_commit (on_ boolean);
CREATE FUNCTION qenex_test_slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM qenex_test_slow_commit) THEN PERFORM pg_sleep(5); END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER qenex_test_slow_commit AFTER INSERT ON ledger_journalentry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION qenex_test_slow_commit();
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    cluster = PostgresCluster()
    server = None
    try:
        cluster.init_migrated()
        cluster.start()
        var_dir = tmp_path_factory.mktemp("outage-var")
        env = app_env(cluster.url("qenex"), var_dir, REDIS_URL="")
        cluster.psql(SLOW_COMMIT_SQL, database="qenex")
        out = manage(env, "create_api_client", "outage-test", "--scopes", SCOPES, "--all-customers")
        token = next(word for word in out.split() if word.startswith("qnx_"))
        server = AppServer(env, var_dir / "server.log")
        wait_for(lambda: server.call("GET", "/health")[0] == 200, "the app to be ready")
        yield cluster, server, token
    finally:
        if server is not None:
            server.stop()
        cluster.destroy()


def _account(server: AppServer, token: str, balance: str) -> str:
    status, _, body = server.call(
        "POST",
        "/api/v1/accounts",
        {"owner_id": "outage", "account_type": "CHECKING", "currency": "USD", "initial_balance": balance},
        token=token,
    )
    assert status == 201, body
    return body["id"]


def _transfer(server, token, key, source, target, amount="10.00", description=""):
    body = {
        "type": "TRANSFER",
        "from_account": source,
        "to_account": target,
        "amount": amount,
        "currency": "USD",
        "description": description,
    }
    return server.call("POST", "/api/v1/transactions", body, token=token, headers={"Idempotency-Key": key})


def _balance(server, token, account) -> str:
    status, _, body = server.call("GET", f"/api/v1/accounts/{account}/balance", token=token)
    assert status == 200, body
    return body["balance"]


def _assert_unavailable(response, code="service_unavailable"):
    status, headers, body = response
    assert status == 503, (status, body)
    assert body["error"]["code"] == code, body
    assert int(headers["Retry-After"]) > 0


def test_while_postgresql_is_down_clients_get_503_and_the_app_recovers(stack):
    cluster, server, token = stack
    source, target = _account(server, token, "100.00"), _account(server, token, "0.00")

    cluster.stop("fast")
    try:
        _assert_unavailable(_transfer(server, token, "down-1", source, target))
        _assert_unavailable(server.call("GET", f"/api/v1/accounts/{source}", token=token))
        assert server.call("GET", "/health/live")[0] == 200  # the process is alive: do not restart it
        status, _, health = server.call("GET", "/health/ready")
        assert status == 503 and health["database"] == "down", health

        # While the server starts up ("the database system is starting up"), every answer is a 503 or a
        # success, never a 500.
        cluster.start(wait=False)
        seen = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, _, body = server.call("GET", f"/api/v1/accounts/{source}", token=token)
            seen.add(status)
            assert status in (200, 503), (status, body)
            if status == 503:
                assert body["error"]["code"] == "service_unavailable", body
            if status == 200:
                break
            time.sleep(0.05)
        assert 200 in seen, seen
    finally:
        if not cluster.running():
            cluster.start()  # later tests need it

    # The refused transfer never happened: the same key now posts it, once.
    status, _, body = _transfer(server, token, "down-1", source, target)
    assert status == 201, body
    assert (_balance(server, token, source), _balance(server, token, target)) == ("90.00", "10.00")
    assert server.call("GET", "/health/ready")[0] == 200


def test_a_connection_cut_during_commit_is_outcome_unknown(stack):
    cluster, server, token = stack
    source, target = _account(server, token, "100.00"), _account(server, token, "0.00")
    cluster.psql("INSERT INTO qenex_test_slow_commit VALUES (true)", database="qenex")
    result: dict = {}

    def post() -> None:
        result["response"] = _transfer(server, token, "cut-1", source, target, description="slow")

    caller = threading.Thread(target=post)
    caller.start()
    try:
        wait_for(
            lambda: cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE query = 'COMMIT'", "qenex") == "1",
            "the posting to reach COMMIT",
            timeout=30,
        )
        cluster.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'COMMIT'")
        caller.join(30)
    finally:
        cluster.psql("DELETE FROM qenex_test_slow_commit", database="qenex")
    _assert_unavailable(result["response"], code="outcome_unknown")

    # The client does as told: retries with the same key. Whatever happened, money moves exactly once.
    status, _, body = _transfer(server, token, "cut-1", source, target, description="slow")
    assert status in (200, 201), body
    assert (_balance(server, token, source), _balance(server, token, target)) == ("90.00", "10.00")
