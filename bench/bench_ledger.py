"""Ledger posting benchmark, compared with pgbench's tpcb-like script on the same server in the same run.

    make bench                                   # defaults below, against the local PostgreSQL
    .venv/bin/python bench/bench_ledger.py --transfers 4000 --clients 4 --accounts 200

What it does:
1. creates a scratch database ``qenex_bench`` on the server of DATABASE_URL, migrates it, opens
   ``--accounts`` funded accounts;
2. warms up (``--warmup`` transfers), runs ANALYZE;
3. posts ``--transfers`` transfers between random accounts from ``--clients`` worker processes (each its
   own connection, each transfer with an idempotency key, exactly as the API posts them) and records
   each call's latency;
4. initialises pgbench (scale 1 per client, in ``qenex_pgbench``), warms it up, runs ANALYZE, and runs
   the built-in ``tpcb-like`` script with the same client count for ``--pgbench-seconds``;
5. prints our TPS, p50/p99 latency, pgbench's TPS and the ratio ours/pgbench.

The ratio is the figure to watch: the machine is shared and noisy, so absolute numbers drift from run
to run, while both sides of the ratio see the same machine at the same time. A tpcb-like transaction is
5 statements (3 updates, 1 select, 1 insert); a QENEX transfer locks two accounts, checks holds and
idempotency, writes an entry, two postings and two balances, and runs the deferred balance trigger.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _with_db(url: str, name: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path="/" + name))


def _psql_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _setup_django(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ["QENEX_ENV"] = "test"
    os.environ.setdefault("QENEX_CELERY_EAGER", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qenex.settings")
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)


def _worker(args: tuple[int, int, list[str], int]) -> list[float]:
    worker_id, count, account_ids, seed = args
    from django.db import connections

    connections.close_all()  # never share the parent's connection after fork
    from apps.ledger.services import post_transfer

    rng = random.Random(seed)
    latencies = []
    for _ in range(count):
        src, dst = rng.sample(account_ids, 2)
        started = time.perf_counter()
        post_transfer(
            from_account=src,
            to_account=dst,
            amount=f"{rng.randint(1, 500)}.{rng.randint(0, 99):02d}",
            currency="USD",
            idempotency_key=f"bench-{uuid.uuid4()}",
        )
        latencies.append(time.perf_counter() - started)
    connections.close_all()
    return latencies


def run_qenex(db_url: str, *, accounts: int, transfers: int, clients: int, warmup: int) -> dict[str, float]:
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", verbosity=0)
    from apps.ledger.services import account_open

    ids = [
        account_open(
            owner_id=f"bench-{i}", account_type="CHECKING", currency="USD", initial_balance="100000000.00"
        ).public_id
        for i in range(accounts)
    ]
    ctx = mp.get_context("fork")
    connections.close_all()
    with ctx.Pool(clients) as pool:
        pool.map(_worker, [(i, max(1, warmup // clients), ids, 1000 + i) for i in range(clients)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connections.close_all()
    per_client = transfers // clients
    with ctx.Pool(clients) as pool:
        started = time.perf_counter()
        results = pool.map(_worker, [(i, per_client, ids, i) for i in range(clients)])
        elapsed = time.perf_counter() - started
    latencies = sorted(lat for chunk in results for lat in chunk)
    # Conservation check: a benchmark that lost money would be measuring the wrong thing.
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(ledger_minor), 0) FROM ledger_accountbalance WHERE currency = 'USD'")
        total = cursor.fetchone()[0]
    if total != 0:
        raise SystemExit(f"ledger does not sum to zero after the run: {total}")
    return {
        "tps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "count": len(latencies),
        "seconds": elapsed,
    }


def run_pgbench(url: str, *, clients: int, seconds: int) -> dict[str, float]:
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        raise SystemExit("pgbench not found: install postgresql-contrib / postgresql-client")
    parsed = urlparse(url)
    env = {**os.environ, "PGPASSWORD": parsed.password or ""}
    common = ["-h", parsed.hostname or "127.0.0.1", "-p", str(parsed.port or 5432), "-U", parsed.username or "postgres"]
    _psql_admin(url, "DROP DATABASE IF EXISTS qenex_pgbench")
    _psql_admin(url, "CREATE DATABASE qenex_pgbench")
    subprocess.run(
        [pgbench, *common, "-i", "-q", "-s", str(max(1, clients)), "qenex_pgbench"],
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [pgbench, *common, "-c", str(clients), "-j", str(clients), "-T", "3", "-b", "tpcb-like", "qenex_pgbench"],
        env=env,
        check=True,
        capture_output=True,
    )  # warm-up
    _run_sql(_with_db(url, "qenex_pgbench"), "ANALYZE")
    out = subprocess.run(
        [
            pgbench,
            *common,
            "-c",
            str(clients),
            "-j",
            str(clients),
            "-T",
            str(seconds),
            "-r",
            "-b",
            "tpcb-like",
            "qenex_pgbench",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out).group(1))
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    _psql_admin(url, "DROP DATABASE IF EXISTS qenex_pgbench")
    return {"tps": tps, "avg_ms": float(latency.group(1)) if latency else float("nan")}


def _run_sql(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transfers", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=400)
    parser.add_argument("--pgbench-seconds", type=int, default=20)
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must point at PostgreSQL")
    _psql_admin(base, "DROP DATABASE IF EXISTS qenex_bench WITH (FORCE)")
    _psql_admin(base, "CREATE DATABASE qenex_bench")
    _setup_django(_with_db(base, "qenex_bench"))
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0].split(" on ")[0]

    print(f"machine: {os.cpu_count()} CPUs; server: {server}; clients: {args.clients}")
    print(f"setup: {args.accounts} accounts, {args.warmup} warm-up transfers, ANALYZE before each measurement")
    ours = run_qenex(
        _with_db(base, "qenex_bench"),
        accounts=args.accounts,
        transfers=args.transfers,
        clients=args.clients,
        warmup=args.warmup,
    )
    connection.close()
    _psql_admin(base, "DROP DATABASE IF EXISTS qenex_bench WITH (FORCE)")
    print(
        f"qenex post_transfer: {ours['count']} transfers in {ours['seconds']:.1f} s = {ours['tps']:.0f} TPS, "
        f"p50 {ours['p50_ms']:.2f} ms, p99 {ours['p99_ms']:.2f} ms"
    )
    pg = run_pgbench(base, clients=args.clients, seconds=args.pgbench_seconds)
    print(
        f"pgbench tpcb-like:   {pg['tps']:.0f} TPS, average latency {pg['avg_ms']:.2f} ms "
        f"({args.pgbench_seconds} s, {args.clients} clients)"
    )
    print(f"ratio qenex/pgbench: {ours['tps'] / pg['tps']:.3f}")


if __name__ == "__main__":
    main()
