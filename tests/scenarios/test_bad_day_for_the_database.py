"""Scenario 13, "A bad day for the database", as a worked example through real processes.

A throwaway PostgreSQL cluster on its own port (never the shared server) serves the bank through its real
ASGI server, ``manage.py serve`` with two daphne workers. Eight clients post a storm of transfers, each with
its own ``Idempotency-Key``; a client retries a 503 (or a dropped connection) with the same key, after the
``Retry-After`` the server asked for. Mid-storm the cluster is restarted (``pg_ctl restart -m fast``: every
session is terminated "due to administrator command", transactions in flight with it).

Then: every answer was a success or a 503 with a retriable code and Retry-After (never a 500); the restart
did hit someone (so the test can fail); the first request after PostgreSQL is back succeeds, and the same
server process keeps serving without a restart; every key is posted exactly once; each account's balance is
the opening balance plus the successful keys' transfers; the ledger invariants hold.

``tests/ledger/test_crash_recovery.py`` holds the engine to the same under ``-m immediate`` as well; this is
the customer-facing journey.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from tests.throwaway import AppServer, PostgresCluster, app_env, manage, wait_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 8
ACCOUNTS = 6
OPENING_MINOR = 500_000  # 5,000.00 USD each
SCOPES = "accounts:read,accounts:write,transactions:read,transactions:write"
RETRIABLE = {"service_unavailable", "outcome_unknown"}
SUCCESSES_EACH_SIDE = 30  # transfers posted before the restart, and again after it, before the storm ends


@pytest.fixture
def bank_on_a_throwaway_database(tmp_path):
    cluster = PostgresCluster()
    server = None
    try:
        cluster.init_migrated()
        cluster.start()
        env = app_env(
            cluster.url("qenex"),
            tmp_path / "var",
            REDIS_URL="",
            # No velocity rule: one client posting hundreds of transfers must not turn them into approvals.
            QENEX_APPROVAL_VELOCITY_WINDOW="0",
            # Two worker processes: both must hold the same key, or a retry that lands on the other worker
            # would fingerprint as a different request (test mode draws a key per process).
            QENEX_SECRET_KEY="bad-day-" + "k" * 50,
            QENEX_API_WORKERS="2",
        )
        out = manage(env, "create_api_client", "bad-day", "--scopes", SCOPES, "--all-customers")
        token = next(word for word in out.split() if word.startswith("qnx_"))
        server = AppServer(env, tmp_path / "server.log")
        wait_for(lambda: server.call("GET", "/health/ready")[0] == 200, "the bank to be ready")
        yield cluster, server, token, env
    finally:
        if server is not None:
            server.stop()
        cluster.destroy()


def _open_account(server: AppServer, token: str) -> str:
    body = {"owner_id": "bad-day", "account_type": "CHECKING", "currency": "USD", "initial_balance": "5000.00"}
    status, _, answer = server.call("POST", "/api/v1/accounts", body, token=token)
    assert status == 201, answer
    return answer["id"]


def _transfer(server: AppServer, token: str, key: str, source: str, target: str, amount_minor: int):
    body = {
        "type": "TRANSFER",
        "from_account": source,
        "to_account": target,
        "amount": f"{Decimal(amount_minor).scaleb(-2):.2f}",
        "currency": "USD",
    }
    return server.call("POST", "/api/v1/transactions", body, token=token, headers={"Idempotency-Key": key})


def test_a_postgresql_restart_mid_storm_answers_503_or_success_and_posts_each_key_once(
    bank_on_a_throwaway_database,
):
    cluster, server, token, env = bank_on_a_throwaway_database
    accounts = [_open_account(server, token) for _ in range(ACCOUNTS)]
    run = f"bad-day-{random.SystemRandom().randrange(10**9)}"
    stop = threading.Event()
    lock = threading.Lock()
    answers: Counter[str] = Counter()  # "201", "503 service_unavailable", "connection error", ...
    unexpected: list[tuple] = []
    posted: dict[str, tuple[str, str, int]] = {}  # key -> (from, to, amount_minor) once the client saw success

    def client(number: int) -> None:
        rng = random.Random(f"{run}-{number}")
        n = 0
        while not stop.is_set():
            key = f"{run}-{number}-{n}"
            source, target = rng.sample(accounts, 2)
            amount_minor = rng.randint(1, 999)
            give_up = time.monotonic() + 60
            while True:  # the same key until it succeeds: a retried request must never post twice
                try:
                    status, headers, answer = _transfer(server, token, key, source, target, amount_minor)
                except OSError:  # the server dropped the connection; the request may or may not have run
                    with lock:
                        answers["connection error"] += 1
                    time.sleep(0.2)
                    continue
                code = answer.get("error", {}).get("code") if isinstance(answer, dict) else None
                with lock:
                    answers[f"{status} {code or ''}".strip()] += 1
                if status in (200, 201):
                    with lock:
                        posted[key] = (source, target, amount_minor)
                    break
                retry_after = int(headers.get("Retry-After") or 0)
                if status != 503 or code not in RETRIABLE or retry_after <= 0 or time.monotonic() > give_up:
                    with lock:
                        unexpected.append((key, status, answer))
                    return
                time.sleep(retry_after)
            n += 1

    def successes() -> int:
        with lock:
            return answers["200"] + answers["201"]

    threads = [threading.Thread(target=client, args=(number,), daemon=True) for number in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: successes() >= SUCCESSES_EACH_SIDE or unexpected, "the storm to get going", timeout=60)
        cluster.restart("fast")  # returns once PostgreSQL accepts connections again
        # The first request after PostgreSQL is back succeeds: the server recovers by itself, at once.
        status, _, body = server.call("GET", f"/api/v1/accounts/{accounts[0]}/balance", token=token)
        assert status == 200, (status, body)
        after_restart = successes()
        wait_for(
            lambda: successes() >= after_restart + SUCCESSES_EACH_SIDE or unexpected,
            "postings after the restart",
            timeout=60,
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(90)
    assert not any(thread.is_alive() for thread in threads)
    print(f"{len(posted)} keys posted; answers: {dict(sorted(answers.items()))}")

    # 1. Success or a retriable 503 with Retry-After, never a 500; and the restart did refuse someone.
    assert unexpected == [], (unexpected[:5], answers)
    assert sum(count for answer, count in answers.items() if answer.startswith("503")) > 0, answers

    # 2. The same server process serves new work after recovery: no restart was needed.
    assert server.process.poll() is None
    assert server.call("GET", "/health/ready")[0] == 200
    status, _, body = _transfer(server, token, f"{run}-after", accounts[0], accounts[1], 1)
    assert status == 201, body
    posted[f"{run}-after"] = (accounts[0], accounts[1], 1)

    # 3. Each key posted exactly once: one journal entry per key the clients saw succeed, and no other.
    rows = cluster.psql(
        f"SELECT idempotency_key, count(*) FROM ledger_journalentry WHERE idempotency_key LIKE '%{run}-%' GROUP BY 1",
        database="qenex",
    )
    per_key = {key.split(":", 1)[-1]: int(count) for key, count in (row.split("|") for row in rows.splitlines())}
    assert per_key == dict.fromkeys(posted, 1)

    # 4. The ledger balances: invariants over the whole database, and the postings are the clients' transfers.
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "ledger" / "ledger_worker.py"), "check", f"{run}-"],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["violations"] == {}, report["violations"]
    assert {key.split(":", 1)[-1]: tuple(row) for key, row in report["entries"].items()} == posted

    # 5. Every balance is the opening balance plus the successful keys' transfers, read through the API.
    expected = dict.fromkeys(accounts, OPENING_MINOR)
    for source, target, amount_minor in posted.values():
        expected[source] -= amount_minor
        expected[target] += amount_minor
    balances = {}
    for account in accounts:
        status, _, body = server.call("GET", f"/api/v1/accounts/{account}/balance", token=token)
        assert status == 200, body
        balances[account] = int(Decimal(body["balance"]).scaleb(2))
    assert balances == expected
