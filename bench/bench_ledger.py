"""Ledger posting benchmark, against pgbench's tpcb-like script on the same server in the same run.

    make bench                                           # the defaults below, against the local PostgreSQL
    .venv/bin/python bench/bench_ledger.py --only a,d    # some of the figures
    .venv/bin/python bench/bench_ledger.py --quick       # a short smoke run (small counts)

Figures (each after a warm-up and ANALYZE, ``--clients`` processes with their own connection, every posting with
an idempotency key, as the API posts them):
  (a) single transfers between random accounts out of ``--accounts``;
  (b) single deposits, every one debiting the bank's CASH account, marked hot (``--hot-slots`` balance slots);
      the same with CASH an ordinary account is printed beside it;
  (c) batch posting: ``--batch-size`` transfers per batch (atomic mode), entries/s; each client posts among its
      own share of the accounts (a batch locks every account it touches, so two batches over the same accounts
      queue by design);
  (d) ``POST /api/v1/transactions`` over HTTP through the real ASGI server (``manage.py serve``, daphne) with
      ``--http-clients`` concurrent keep-alive clients, p50/p99 seen by the client;
  pgbench tpcb-like with ``--clients`` clients, and each ratio.

The ratios are the figures to watch: the machine is shared and noisy, so absolute numbers drift from run to run,
while both sides of a ratio see the same machine at the same time. A tpcb-like transaction is 5 statements
(3 updates, 1 select, 1 insert); a QENEX transfer locks two accounts, reads balances, holds and the idempotency
key, writes an entry, two postings and two balances in one statement, appends an audit record, and runs the
deferred invariant triggers at commit.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "qenex_bench"
TARGETS = {"a": 0.5, "b": 0.5, "c": 1.5}  # (a) and (c) against pgbench, (b) against (a); (d): p99 < 25 ms


def _with_db(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path="/" + name))


def _psql_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _setup_django(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ["QENEX_ENV"] = "test"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("QENEX_CELERY_EAGER", "true")
    # The bench owners are no customers: the KYC gate on account opening (apps.customers) is not what is measured.
    os.environ["QENEX_KYC_REQUIRED"] = "false"
    # AML transaction monitoring runs in the Celery workers in production; with no broker here Celery is eager and
    # would evaluate the rules inline in every posting process (about two thirds of a transfer's time when it was
    # measured): that is the monitoring's cost, not the ledger's, so the benchmark turns it off (and says so).
    config = ROOT / "var" / "bench_config.json"
    config.parent.mkdir(exist_ok=True)
    config.write_text(json.dumps({"compliance": {"transaction_monitoring": False}}))
    os.environ["QENEX_CONFIG"] = str(config)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qenex.settings")
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, max(0, int(len(sorted_values) * q) - 1))]


def _summary(latencies: list[float], elapsed: float, units: int | None = None) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "rate": (units if units is not None else len(ordered)) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": _percentile(ordered, 0.99) * 1000,
        "count": len(ordered),
        "seconds": elapsed,
    }


# --- worker processes (forked; each opens its own connection) ---------------------------------------------


def _worker(args: tuple[str, int, list[str], int, int]) -> list[float]:
    kind, count, account_ids, seed, batch_size = args
    from django.db import connections

    from apps.ledger.services import post_batch, post_deposit, post_transfer

    rng = random.Random(seed)
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        if kind == "transfer":
            src, dst = rng.sample(account_ids, 2)
            post_transfer(
                from_account=src,
                to_account=dst,
                amount=f"{rng.randint(1, 50)}.{rng.randint(0, 99):02d}",
                currency="USD",
                idempotency_key=f"bench-{uuid.uuid4()}",
            )
        elif kind == "deposit":
            post_deposit(
                to_account=rng.choice(account_ids),
                amount=f"{rng.randint(1, 50)}.{rng.randint(0, 99):02d}",
                currency="USD",
                idempotency_key=f"bench-{uuid.uuid4()}",
            )
        else:
            entries = []
            for _ in range(batch_size):
                src, dst = rng.sample(account_ids, 2)
                entries.append(
                    {
                        "type": "TRANSFER",
                        "from_account": src,
                        "to_account": dst,
                        "amount": f"{rng.randint(1, 50)}.{rng.randint(0, 99):02d}",
                        "currency": "USD",
                        "idempotency_key": f"bench-{uuid.uuid4()}",
                    }
                )
            result = post_batch(entries=entries, mode="atomic")
            assert result.count("posted") == batch_size
        latencies.append(time.perf_counter() - started)
    connections.close_all()
    return latencies


def _run_pool(kind: str, *, clients: int, per_client: int, shares: list[list[str]], batch_size: int = 0):
    from django.db import connection, connections

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connections.close_all()
    ctx = mp.get_context("fork")
    with ctx.Pool(clients) as pool:
        started = time.perf_counter()
        chunks = pool.map(
            _worker, [(kind, per_client, shares[i % len(shares)], 7919 * i + 1, batch_size) for i in range(clients)]
        )
        elapsed = time.perf_counter() - started
    return [lat for chunk in chunks for lat in chunk], elapsed


def _check_conservation() -> None:
    """A benchmark that lost or made money would be measuring the wrong thing."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT coalesce(sum(ledger_minor), 0) FROM ledger_accountbalance WHERE currency = 'USD')"
            " + (SELECT coalesce(sum(s.ledger_minor), 0) FROM ledger_balanceslot s"
            "    JOIN accounts_account a ON a.id = s.account_id WHERE a.currency = 'USD'),"
            " (SELECT count(*) FROM ledger_accountbalance b WHERE b.ledger_minor + coalesce((SELECT sum(s.ledger_minor)"
            "    FROM ledger_balanceslot s WHERE s.account_id = b.account_id), 0)"
            "    <> (SELECT coalesce(sum(p.amount_minor), 0) FROM ledger_posting p WHERE p.account_id = b.account_id))"
        )
        total, mismatched = cursor.fetchone()
    if total != 0 or mismatched != 0:
        raise SystemExit(f"ledger not exact after the run: USD sums to {total}, {mismatched} balance(s) off")


# --- (d): HTTP through the real server ---------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_http(
    db_url: str, ids: list[str], *, clients: int, requests: int, warmup: int, workers: int
) -> dict[str, float]:
    from apps.iam.services import api_client_create

    token = api_client_create(
        name=f"bench-{uuid.uuid4().hex[:8]}", scopes=["transactions:write"], all_customers=True
    ).token
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "QENEX_ENV": "test",
        "QENEX_API_HOST": "127.0.0.1",
        "QENEX_API_PORT": str(port),
        "QENEX_APPROVAL_THRESHOLD": "1000000000",
        "QENEX_APPROVAL_VELOCITY_WINDOW": "0",
        "QENEX_THROTTLE_API_KEY": "100000000/minute",
        "QENEX_THROTTLE_IP": "100000000/minute",
    }
    env.pop("REDIS_URL", None)
    log = open(ROOT / "var" / "bench_http_server.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--workers", str(workers)], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", "/health/live")
                probe.getresponse().read()
                break
            except OSError:
                time.sleep(0.3)
        else:
            raise SystemExit("the ASGI server did not start; see var/bench_http_server.log")

        def client(count: int, seed: int, out: list[float], errors: list[str]) -> None:
            rng = random.Random(seed)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for _ in range(count):
                src, dst = rng.sample(ids, 2)
                body = json.dumps(
                    {"type": "TRANSFER", "from_account": src, "to_account": dst, "amount": "1.00", "currency": "USD"}
                )
                headers = {
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": f"bench-{uuid.uuid4()}",
                }
                started = time.perf_counter()
                conn.request("POST", "/api/v1/transactions", body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                out.append(time.perf_counter() - started)
                if response.status != 201:
                    errors.append(f"{response.status} {payload[:200]!r}")

        def run(total: int) -> tuple[list[float], float, list[str]]:
            latencies: list[float] = []
            errors: list[str] = []
            threads = [
                threading.Thread(target=client, args=(total // clients, i, latencies, errors)) for i in range(clients)
            ]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return latencies, time.perf_counter() - started, errors

        run(warmup)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        latencies, elapsed, errors = run(requests)
        if errors:
            raise SystemExit(f"{len(errors)} HTTP request(s) failed, e.g. {errors[0]}")
        return _summary(latencies, elapsed)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


# --- pgbench -----------------------------------------------------------------------------------------------


def run_pgbench(url: str, *, clients: int, seconds: int) -> dict[str, float]:
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        raise SystemExit("pgbench not found: install postgresql-contrib / postgresql-client")
    parsed = urlparse(url)
    env = {**os.environ, "PGPASSWORD": parsed.password or ""}
    common = ["-h", parsed.hostname or "127.0.0.1", "-p", str(parsed.port or 5432), "-U", parsed.username or "postgres"]
    _psql_admin(url, "DROP DATABASE IF EXISTS qenex_pgbench")
    _psql_admin(url, "CREATE DATABASE qenex_pgbench")
    run = ["-c", str(clients), "-j", str(clients), "-b", "tpcb-like", "qenex_pgbench"]
    subprocess.run(
        [pgbench, *common, "-i", "-q", "-s", str(max(1, clients)), "qenex_pgbench"],
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run([pgbench, *common, "-T", "3", *run], env=env, check=True, capture_output=True)  # warm-up
    import psycopg

    with psycopg.connect(_with_db(url, "qenex_pgbench"), autocommit=True) as conn:
        conn.execute("ANALYZE")
    out = subprocess.run(
        [pgbench, *common, "-T", str(seconds), *run], env=env, check=True, capture_output=True, text=True
    ).stdout
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out).group(1))
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    _psql_admin(url, "DROP DATABASE IF EXISTS qenex_pgbench")
    return {"tps": tps, "avg_ms": float(latency.group(1)) if latency else float("nan")}


# --- main --------------------------------------------------------------------------------------------------


def _open_accounts(count: int) -> list[str]:
    from apps.ledger.services import account_open, post_batch

    ids = [
        account_open(owner_id=f"bench-{i % 97}", account_type="CHECKING", currency="USD").public_id
        for i in range(count)
    ]
    for start in range(0, count, 1000):
        post_batch(
            entries=[
                {
                    "type": "DEPOSIT",
                    "to_account": pid,
                    "amount": "10000000.00",
                    "currency": "USD",
                    "idempotency_key": f"fund-{pid}",
                }
                for pid in ids[start : start + 1000]
            ],
            mode="atomic",
        )
    return ids


def _machine() -> str:
    model = ""
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{platform.node()}: {os.cpu_count()} CPUs ({model}), load average {load}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--transfers", type=int, default=4000, help="(a) in total")
    parser.add_argument("--hot-postings", type=int, default=4000, help="(b) in total, for each of hot and cold")
    parser.add_argument("--hot-slots", type=int, default=16)
    parser.add_argument("--batches", type=int, default=16, help="(c) in total")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--http-requests", type=int, default=3200)
    parser.add_argument("--http-clients", type=int, default=16)
    parser.add_argument("--http-workers", type=int, default=2, help="(d) server processes (manage.py serve --workers)")
    parser.add_argument("--warmup", type=int, default=400)
    parser.add_argument("--pgbench-seconds", type=int, default=20)
    parser.add_argument("--only", default="a,b,c,d", help="comma-separated subset of a,b,c,d")
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run, not a measurement")
    args = parser.parse_args()
    if args.quick:
        args.transfers = args.hot_postings = 400
        args.batches, args.batch_size, args.http_requests, args.warmup = 4, 200, 320, 40
        args.accounts, args.pgbench_seconds = 200, 5
    only = set(args.only.split(","))

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must point at PostgreSQL")
    (ROOT / "var").mkdir(exist_ok=True)
    _psql_admin(base, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    _psql_admin(base, f"CREATE DATABASE {BENCH_DB}")
    db_url = _with_db(base, BENCH_DB)
    _setup_django(db_url)
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0].split(" on ")[0]
    print(f"machine: {_machine()}")
    print(
        f"server: {server}; clients: {args.clients}; accounts: {args.accounts}; http: {args.http_clients} clients,"
        f" {args.http_workers} server process(es); AML transaction monitoring off (a Celery worker's job)"
    )
    ids = _open_accounts(args.accounts)
    clients = args.clients
    results: dict[str, dict[str, float]] = {}
    _run_pool("transfer", clients=clients, per_client=max(1, args.warmup // clients), shares=[ids])  # warm-up

    if "a" in only:
        lat, elapsed = _run_pool("transfer", clients=clients, per_client=args.transfers // clients, shares=[ids])
        results["a"] = _summary(lat, elapsed)
    if "b" in only:
        from apps.accounts.models import AccountType
        from apps.ledger.services import account_set_hot
        from apps.ledger.services.gl import gl_account

        cash = gl_account(account_type=AccountType.CASH, currency="USD")
        lat, elapsed = _run_pool("deposit", clients=clients, per_client=args.hot_postings // clients, shares=[ids])
        results["b_cold"] = _summary(lat, elapsed)
        account_set_hot(public_id=cash.public_id, slots=args.hot_slots)
        lat, elapsed = _run_pool("deposit", clients=clients, per_client=args.hot_postings // clients, shares=[ids])
        results["b"] = _summary(lat, elapsed)
    if "c" in only:
        share = max(2, len(ids) // clients)
        shares = [ids[i * share : (i + 1) * share] for i in range(clients)]
        per_client = max(1, args.batches // clients)
        lat, elapsed = _run_pool(
            "batch", clients=clients, per_client=per_client, shares=shares, batch_size=args.batch_size
        )
        results["c"] = _summary(lat, elapsed, units=len(lat) * args.batch_size)
    if "d" in only:
        results["d"] = run_http(
            db_url,
            ids,
            clients=args.http_clients,
            requests=args.http_requests,
            warmup=max(args.http_clients, args.warmup // 2),
            workers=args.http_workers,
        )
    _check_conservation()
    connections.close_all()
    _psql_admin(base, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    pg = run_pgbench(base, clients=clients, seconds=args.pgbench_seconds)

    print(
        f"pgbench tpcb-like: {pg['tps']:.0f} TPS, average latency {pg['avg_ms']:.2f} ms "
        f"({clients} clients, {args.pgbench_seconds} s)"
    )
    rows = [("figure", "rate", "p50 ms", "p99 ms", "ratio", "target", "met")]

    def row(key: str, label: str, unit: str, ratio: float | None, target: str, met: bool | None) -> None:
        r = results[key]
        rows.append(
            (
                label,
                f"{r['rate']:.0f} {unit}",
                f"{r['p50_ms']:.1f}",
                f"{r['p99_ms']:.1f}",
                "" if ratio is None else f"{ratio:.2f}",
                target,
                "" if met is None else ("yes" if met else "NO"),
            )
        )

    if "a" in results:
        ratio = results["a"]["rate"] / pg["tps"]
        row("a", "(a) transfers, spread", "TPS", ratio, ">= 0.5x pgbench", ratio >= TARGETS["a"])
    if "b" in results:
        row("b_cold", "(b0) deposits via CASH, not hot", "TPS", None, "(baseline for b)", None)
        if "a" in results:
            ratio = results["b"]["rate"] / results["a"]["rate"]
            row(
                "b", f"(b) deposits via CASH, hot x{args.hot_slots}", "TPS", ratio, ">= 0.5x (a)", ratio >= TARGETS["b"]
            )
        else:
            row("b", f"(b) deposits via CASH, hot x{args.hot_slots}", "TPS", None, ">= 0.5x (a)", None)
    if "c" in results:
        ratio = results["c"]["rate"] / pg["tps"]
        row("c", f"(c) batch of {args.batch_size}", "entries/s", ratio, ">= 1.5x pgbench", ratio >= TARGETS["c"])
    if "d" in results:
        row(
            "d",
            f"(d) HTTP, {args.http_clients} clients, {args.http_workers} proc",
            "req/s",
            None,
            "p99 < 25 ms",
            results["d"]["p99_ms"] < 25,
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)))
    print(f"machine after the run: {_machine()}")


if __name__ == "__main__":
    main()
