"""Exactness under faults: a posting process killed with SIGKILL, a PostgreSQL server restarted under load.

a) ``tests/ledger/ledger_worker.py`` posts a fixed series of transfers with deterministic idempotency keys against
   this test's database; it is killed at a random point, several times. After each kill nothing is half-written
   (every entry has its balanced postings and its audit record, cached balances equal the postings, every
   currency sums to zero) and what was committed is exactly a prefix of the series. Running the series again
   replays every committed key and posts the rest: in the end each key is posted exactly once.
b) A throwaway PostgreSQL cluster on its own port (never the shared server) serves the app (``manage.py serve``);
   8 client threads post transfers with unique keys over HTTP and retry a retriable answer (503
   ``service_unavailable`` / ``outcome_unknown``) with the same key. The cluster is restarted mid-storm. Every
   answer is a success or a retriable 503, the same app process serves again afterwards, and every key is
   posted exactly once with all invariants holding.

Set QENEX_CRASH_SEED to replay a run's kill points (the seed is in every assertion message).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from apps.ledger import selectors
from apps.ledger.models import JournalEntry
from tests.factories import funded_account
from tests.ledger.invariants import ledger_violations
from tests.ledger.ledger_worker import series_step
from tests.throwaway import AppServer, PostgresCluster, app_env, manage, wait_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WORKER = ROOT / "tests" / "ledger" / "ledger_worker.py"
SEED = int(os.environ.get("QENEX_CRASH_SEED", random.SystemRandom().randrange(2**32)))
# This helper's port range (see the task): the throwaway cluster and the app server it serves.
CLUSTER_PORT = int(os.environ.get("QENEX_CRASH_PG_PORT", "18301"))
APP_PORT = int(os.environ.get("QENEX_CRASH_APP_PORT", "18310"))


def _worker(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _worker_env(tmp_path) -> dict[str, str]:
    """The environment of a worker process against this test's database."""
    db = connection.settings_dict
    return app_env(
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        tmp_path / "var",
        REDIS_URL="",
        PYTHONPATH=str(ROOT),
        # A restarted process keeps its configured key; test mode would draw a new one, and request fingerprints
        # (keyed with it) would then call every retry a different request.
        QENEX_SECRET_KEY="crash-test-" + "k" * 50,
    )


def _committed(prefix: str) -> list[int]:
    """The series positions posted so far under ``prefix`` (from their idempotency keys), in order."""
    keys = JournalEntry.objects.filter(idempotency_key__startswith=f"{prefix}-").values_list(
        "idempotency_key", flat=True
    )
    return sorted(int(key.rsplit("-", 1)[1]) for key in keys)


def _after_series(opening: dict[str, int], ids: list[str], count: int) -> dict[str, int]:
    """Each account's balance once the first ``count`` transfers of the series are posted exactly once."""
    expected = dict(opening)
    for i in range(count):
        source, target, amount_minor = series_step(i, ids)
        expected[source] -= amount_minor
        expected[target] += amount_minor
    return expected


def _answers(process: subprocess.Popen[str], at_most: int | None = None) -> list[dict]:
    """Read the worker's JSON lines: ``at_most`` of them (the worker keeps running), or all until it exits."""
    lines = []
    while at_most is None or len(lines) < at_most:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(json.loads(line))
    return lines


# --- a) kill -9 a posting process ----------------------------------------------------------------------------

SERIES = 400
KILLS = 3


@pytest.mark.django_db(transaction=True)
def test_a_killed_posting_process_leaves_whole_entries_and_a_rerun_posts_each_key_once(on_postgresql, tmp_path):
    rng = random.Random(SEED)
    accounts = [funded_account("10000.00", owner_id=f"crash-{i}") for i in range(4)]
    ids = [a.public_id for a in accounts]
    opening = {a.public_id: selectors.balance_get(account=a).ledger_minor for a in accounts}
    env = _worker_env(tmp_path)
    prefix = f"crash-{SEED}"
    args = ("transfers", prefix, str(SERIES), *ids)

    def committed() -> list[int]:
        return _committed(prefix)

    for kill in range(KILLS):
        before = len(committed())
        process = _worker(env, *args)
        # Killed after a random number of answers, a random instant later: often inside a transaction.
        seen = _answers(process, at_most=before + rng.randint(5, 60))
        time.sleep(rng.uniform(0, 0.02))
        process.kill()
        process.wait(30)
        assert process.returncode == -9, (SEED, process.stderr.read()[-2000:])
        process.stderr.close()
        assert ledger_violations(with_audit=True) == {}, SEED
        done = committed()
        # Sequential: what committed is exactly the first keys, at least every one answered before the kill.
        assert done == list(range(len(done))), (SEED, done)
        assert len(done) >= len(seen), (SEED, len(seen), len(done))
        # Every key answered in this run that was committed before it was a replay, the rest new postings.
        assert [a["replayed"] for a in seen] == [a["i"] < before for a in seen], (SEED, kill)

    before = len(committed())
    process = _worker(env, *args)
    answers = _answers(process)
    _, errors = process.communicate(timeout=120)
    assert process.returncode == 0, errors[-3000:]
    assert [a["i"] for a in answers] == list(range(SERIES))
    assert Counter(a["replayed"] for a in answers) == Counter({True: before, False: SERIES - before}), SEED
    assert committed() == list(range(SERIES))
    assert ledger_violations(with_audit=True) == {}, SEED
    assert {a.public_id: selectors.balance_get(account=a).ledger_minor for a in accounts} == _after_series(
        opening, ids, SERIES
    )


BATCH_SIZE = 50
BATCH_SERIES = 2000  # 40 batches: enough that a kill lands before the end


@pytest.mark.django_db(transaction=True)
def test_a_process_killed_mid_batch_commits_whole_batches_and_a_rerun_posts_each_key_once(on_postgresql, tmp_path):
    rng = random.Random(SEED + 1)
    accounts = [funded_account("10000.00", owner_id=f"crash-batch-{i}") for i in range(4)]
    ids = [a.public_id for a in accounts]
    opening = {a.public_id: selectors.balance_get(account=a).ledger_minor for a in accounts}
    env = _worker_env(tmp_path)
    prefix = f"crash-batch-{SEED}"
    args = ("batches", prefix, str(BATCH_SERIES), str(BATCH_SIZE), *ids)

    def committed() -> list[int]:
        return _committed(prefix)

    for _kill in range(KILLS):
        before = len(committed())
        process = _worker(env, *args)
        seen = _answers(process, at_most=before // BATCH_SIZE + rng.randint(0, 2))
        time.sleep(rng.uniform(0, 0.1))  # often in the middle of a batch's transaction
        process.kill()
        process.wait(30)
        finished = process.returncode == 0  # the series ended before the kill landed: nothing left to kill
        assert finished or process.returncode == -9, (SEED, process.stderr.read()[-2000:])
        process.stderr.close()
        assert ledger_violations(with_audit=True) == {}, SEED
        done = committed()
        # All or nothing per batch: what committed is exactly the first whole batches.
        assert done == list(range(len(done))) and len(done) % BATCH_SIZE == 0, (SEED, len(done))
        assert len(done) >= len(seen) * BATCH_SIZE, (SEED, len(seen), len(done))
        if finished:
            assert done == list(range(BATCH_SERIES)), SEED
            break

    before = len(committed())
    process = _worker(env, *args)
    answers = _answers(process)
    _, errors = process.communicate(timeout=120)
    assert process.returncode == 0, errors[-3000:]
    assert sum(a["replayed"] for a in answers) == before, SEED
    assert committed() == list(range(BATCH_SERIES))
    assert ledger_violations(with_audit=True) == {}, SEED
    assert {a.public_id: selectors.balance_get(account=a).ledger_minor for a in accounts} == _after_series(
        opening, ids, BATCH_SERIES
    )


# --- b) restart PostgreSQL during a storm ---------------------------------------------------------------------

THREADS = 8
SCOPES = "accounts:read,accounts:write,transactions:read,transactions:write"
RETRIABLE = {"service_unavailable", "outcome_unknown"}


@pytest.fixture(scope="module")
def storm_stack(tmp_path_factory):
    cluster = PostgresCluster(port=CLUSTER_PORT)
    server = None
    try:
        cluster.init_migrated()
        cluster.start()
        var_dir = tmp_path_factory.mktemp("storm-var")
        # No velocity rule: one client posting hundreds of transfers must not turn them into approval requests.
        env = app_env(cluster.url("qenex"), var_dir, REDIS_URL="", QENEX_APPROVAL_VELOCITY_WINDOW="0")
        out = manage(env, "create_api_client", "storm-test", "--scopes", SCOPES, "--all-customers")
        token = next(word for word in out.split() if word.startswith("qnx_"))
        server = AppServer(env, var_dir / "server.log", port=APP_PORT)
        wait_for(lambda: server.call("GET", "/health")[0] == 200, "the app to be ready")
        yield cluster, server, token, env
    finally:
        if server is not None:
            server.stop()
        cluster.destroy()


def _open_account(server: AppServer, token: str) -> str:
    body = {"owner_id": "storm", "account_type": "CHECKING", "currency": "USD", "initial_balance": "5000.00"}
    status, _, answer = server.call("POST", "/api/v1/accounts", body, token=token)
    assert status == 201, answer
    return answer["id"]


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_b_a_postgresql_restart_mid_storm_loses_and_duplicates_nothing(storm_stack, mode):
    cluster, server, token, env = storm_stack
    accounts = [_open_account(server, token) for _ in range(THREADS)]
    run = f"storm-{mode}-{SEED}"
    stop = threading.Event()
    lock = threading.Lock()
    answers: Counter[str] = Counter()
    unexpected: list[tuple] = []
    posted: dict[str, tuple[str, str, int]] = {}  # key -> (from, to, amount_minor), once the client saw success

    def client(thread: int) -> None:
        rng = random.Random(f"{SEED}-{thread}")
        n = 0
        while not stop.is_set():
            key = f"{run}-{thread}-{n}"
            source, target = rng.sample(accounts, 2)
            amount_minor = rng.randint(1, 99)
            body = {
                "type": "TRANSFER",
                "from_account": source,
                "to_account": target,
                "amount": f"0.{amount_minor:02d}",
                "currency": "USD",
            }
            deadline = time.monotonic() + 120
            while True:  # the same key until it succeeds: a retried request must never post twice
                try:
                    status, headers, answer = server.call(
                        "POST", "/api/v1/transactions", body, token=token, headers={"Idempotency-Key": key}
                    )
                except OSError as exc:  # the app server itself must keep answering
                    status, headers, answer = 0, {}, {"error": {"code": repr(exc)}}
                code = answer.get("error", {}).get("code") if isinstance(answer, dict) else None
                with lock:
                    answers[f"{status} {code or ''}".strip()] += 1
                if status in (200, 201):
                    with lock:
                        posted[key] = (source, target, amount_minor)
                    break
                if status != 503 or code not in RETRIABLE or int(headers.get("Retry-After", "0")) <= 0:
                    with lock:
                        unexpected.append((key, status, answer))
                    return
                if time.monotonic() > deadline:
                    with lock:
                        unexpected.append((key, "gave up", answer))
                    return
                time.sleep(0.05)
            n += 1

    def successes() -> int:
        with lock:
            return answers["201"] + answers["200"]

    threads = [threading.Thread(target=client, args=(t,), daemon=True) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: successes() >= 40 or unexpected, "the storm to get going", timeout=120)
        cluster.stop(mode)  # every open connection dies, transactions in flight with them
        time.sleep(0.5)
        cluster.start()
        after_restart = successes()
        wait_for(lambda: successes() >= after_restart + 40 or unexpected, "postings after the restart", timeout=120)
    finally:
        stop.set()
        for thread in threads:
            thread.join(150)
    assert not any(thread.is_alive() for thread in threads)
    print(f"restart -m {mode}: {len(posted)} keys posted; answers seen: {dict(sorted(answers.items()))}")
    assert unexpected == [], (SEED, unexpected[:5], answers)
    assert sum(count for answer, count in answers.items() if answer.startswith("503")) > 0, answers  # it did hit

    # The same process serves again: new connections work without restarting it.
    assert server.process.poll() is None
    wait_for(lambda: server.call("GET", "/health/ready")[0] == 200, "readiness after the restart", timeout=30)

    done = subprocess.run(
        [sys.executable, str(WORKER), "check", f":{run}-"],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["violations"] == {}, report["violations"]
    in_database = {key.split(":", 1)[1]: tuple(row) for key, row in report["entries"].items()}
    assert in_database == posted  # no key lost, none posted without the client knowing, each exactly once
    expected = dict.fromkeys(accounts, 500_000)
    for source, target, amount_minor in posted.values():
        expected[source] -= amount_minor
        expected[target] += amount_minor
    balances = {}
    for account in accounts:
        status, _, body = server.call("GET", f"/api/v1/accounts/{account}/balance", token=token)
        assert status == 200, body
        balances[account] = int(Decimal(body["balance"]).scaleb(2))
    assert balances == expected
