"""Reads and posting at scale: a ledger filled by ``manage.py generate_history`` against an empty one, in one run.

    .venv/bin/python bench/bench_history.py --size small                 # generates into qenex_bench_history
    .venv/bin/python bench/bench_history.py --database qenex_history      # an existing generated database

What it does, on the PostgreSQL server of DATABASE_URL:
1. with ``--size``: drops and creates ``qenex_bench_history``, migrates it and runs ``generate_history`` there
   (printing how long it took); with ``--database``: uses that database as it is (never drops it);
2. warms up (a pass of each query), runs ANALYZE, then times ``--samples`` statement pages (50 lines, through the
   API view in-process: key check, selectors, pagination, serialisation) for random customer accounts and random
   date ranges (a random start in the history, 1-90 days long; half the samples then follow the page's ``next``
   link), and ``--samples`` balance-as-of calls (the API view) for random accounts at random past instants;
   prints p50/p99 of each and the EXPLAIN (ANALYZE, BUFFERS) plans of both queries for the busiest customer
   account and for the busiest account of all (a bank CASH account);
3. posting TPS: ``--clients`` processes call ``apps.ledger.services.post_transfer`` between random accounts
   (``--tps-accounts`` funded EUR accounts, amounts 0.01-1.00) on the big database, and the same on a freshly
   migrated empty database (``qenex_bench_empty``, same number of accounts opened through the services), after a
   warm-up and ANALYZE on each; prints both and the ratio big/empty.

The machine is shared, so absolute figures drift between runs; both sides of the TPS ratio run minutes apart.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
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
    return urlunparse(urlparse(url)._replace(path="/" + name))


def _admin(url: str, sql: str) -> None:
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

    logging.disable(logging.WARNING)


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{mem_kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        mem = "RAM unknown"
    return f"{platform.node()}: {cpu}, {os.cpu_count()} CPUs, {mem}, {platform.system()} {platform.release()}"


# --- phase: reads (in a child process bound to the big database) --------------------------------------


def phase_reads(samples: int, seed: int) -> dict:
    import datetime as dt

    from django.db import connection
    from rest_framework.test import APIClient

    from apps.accounts.models import BANK_OWNER_ID, Account
    from apps.iam.models import SCOPES
    from apps.iam.services import api_client_create
    from apps.ledger import selectors

    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), min(posted_at), max(posted_at) FROM ledger_journalentry")
        entries, first, last = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM ledger_posting")
        postings = cursor.fetchone()[0]
        cursor.execute("SELECT version(), current_setting('shared_buffers')")
        version, shared_buffers = cursor.fetchone()
    customers = list(Account.objects.exclude(owner_id=BANK_OWNER_ID).order_by("pk").values_list("public_id", flat=True))
    issued = api_client_create(
        name=f"bench-history-{uuid.uuid4().hex[:8]}", scopes=sorted(SCOPES), owner_ids=[], all_customers=True
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.token}")
    span = (last - first).total_seconds()

    def statement(account: str, follow: bool) -> list[float]:
        start = first + dt.timedelta(seconds=rng.random() * span)
        end = start + dt.timedelta(days=rng.randint(1, 90))
        times = []
        t = time.perf_counter()
        response = api.get(
            f"/api/v1/accounts/{account}/statement",
            {"from": start.isoformat(), "to": end.isoformat(), "limit": 50},
        )
        times.append(time.perf_counter() - t)
        if response.status_code != 200:
            raise SystemExit(f"statement answered {response.status_code}: {response.content[:300]!r}")
        following = response.json()["next"]
        if follow and following:
            t = time.perf_counter()
            response = api.get(following)
            times.append(time.perf_counter() - t)
            assert response.status_code == 200
        return times

    def balance(account: str) -> float:
        at = first + dt.timedelta(seconds=rng.random() * span)
        t = time.perf_counter()
        response = api.get(f"/api/v1/accounts/{account}/balance", {"as_of": at.isoformat()})
        elapsed = time.perf_counter() - t
        if response.status_code != 200:
            raise SystemExit(f"balance answered {response.status_code}: {response.content[:300]!r}")
        return elapsed

    # Warm-up: a pass of each query over other random accounts, then fresh statistics.
    for _ in range(max(50, samples // 5)):
        statement(rng.choice(customers), follow=False)
        balance(rng.choice(customers))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    statement_times: list[float] = []
    for i in range(samples):
        statement_times += statement(rng.choice(customers), follow=i % 2 == 0)
    balance_times = [balance(rng.choice(customers)) for _ in range(samples)]

    # EXPLAIN of the two queries the views run, for the busiest customer account and the busiest account of all.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.account_id FROM ledger_posting p JOIN accounts_account a ON a.id = p.account_id"
            " WHERE a.owner_id <> %s GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
            [BANK_OWNER_ID],
        )
        busiest_customer = cursor.fetchone()[0]
        cursor.execute(
            "SELECT account_id, count(*) FROM ledger_posting GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
        )
        busiest_any, busiest_any_count = cursor.fetchone()
    plans = {}
    middle = first + (last - first) / 2
    for label, pk in (("busiest customer account", busiest_customer), ("busiest account (bank GL)", busiest_any)):
        account = Account.objects.get(pk=pk)
        count = account.postings.count()
        page = selectors.statement_lines(account=account, start=middle, end=middle + dt.timedelta(days=30))
        # What StatementPagination asks for a page after a cursor: posted_at > position, ordered, 51 rows.
        page = page.filter(posted_at__gt=middle + dt.timedelta(days=3))[:51]
        plans[f"statement page, {label} ({count:,} postings)"] = page.explain(analyze=True, buffers=True)
        as_of = (
            account.postings.filter(posted_at__lte=middle)
            .order_by("-posted_at", "-id")
            .values_list("balance_after_minor", flat=True)[:1]
        )
        plans[f"balance as of, {label}"] = as_of.explain(analyze=True, buffers=True)
    return {
        "postings": postings,
        "entries": entries,
        "customers": len(customers),
        "history": f"{first:%Y-%m-%d} .. {last:%Y-%m-%d}",
        "postgres": f"{version.split(' on ')[0]}, shared_buffers {shared_buffers}",
        "busiest_any_postings": busiest_any_count,
        "statement": _percentiles(statement_times),
        "balance_as_of": _percentiles(balance_times),
        "plans": plans,
    }


# --- phase: posting TPS (in a child process bound to one database) -------------------------------------


def _tps_worker(args: tuple[int, list[str], int]) -> tuple[list[float], int]:
    count, account_ids, seed = args
    from django.db import connections

    from apps.core.errors import DomainError
    from apps.ledger.services import post_transfer

    rng = random.Random(seed)
    latencies, refused = [], 0
    for _ in range(count):
        src, dst = rng.sample(account_ids, 2)
        started = time.perf_counter()
        try:
            post_transfer(
                from_account=src,
                to_account=dst,
                amount=f"0.{rng.randint(1, 99):02d}",
                currency="EUR",
                idempotency_key=f"bench-{uuid.uuid4()}",
            )
        except DomainError:
            refused += 1
        latencies.append(time.perf_counter() - started)
    connections.close_all()
    return latencies, refused


def phase_tps(*, clients: int, transfers: int, accounts: int, warmup: int, fresh: bool, seed: int) -> dict:
    from django.core.management import call_command
    from django.db import connection, connections

    from apps.accounts.models import BANK_OWNER_ID

    if fresh:
        call_command("migrate", verbosity=0)
        from apps.accounts.services import account_open

        ids = [
            account_open(
                owner_id=f"bench-{i}", account_type="CHECKING", currency="EUR", initial_balance="1000.00"
            ).public_id
            for i in range(accounts)
        ]
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.public_id FROM accounts_account a JOIN ledger_accountbalance b ON b.account_id = a.id"
                " WHERE a.owner_id <> %s AND a.currency = 'EUR' AND a.status = 'ACTIVE' AND b.ledger_minor >= 100000"
                " ORDER BY random() LIMIT %s",
                [BANK_OWNER_ID, accounts],
            )
            ids = [row[0] for row in cursor.fetchall()]
        if len(ids) < 2:
            raise SystemExit("the database has too few funded EUR accounts for the TPS phase")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ledger_posting")
        postings_before = cursor.fetchone()[0]
    # Spawned, not forked: this process has threads (the live-update publisher) that a fork would copy mid-lock.
    ctx = mp.get_context("spawn")
    connections.close_all()
    pool_args = {"initializer": _setup_django, "initargs": (os.environ["DATABASE_URL"],)}
    with ctx.Pool(clients, **pool_args) as pool:
        pool.map(_tps_worker, [(max(1, warmup // clients), ids, seed + 1000 + i) for i in range(clients)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connections.close_all()
    with ctx.Pool(clients, **pool_args) as pool:
        pool.map(_tps_worker, [(1, ids, seed + 2000 + i) for i in range(clients)])  # every worker started and set up
        started = time.perf_counter()
        results = pool.map(_tps_worker, [(transfers // clients, ids, seed + i) for i in range(clients)])
        elapsed = time.perf_counter() - started
    latencies = [lat for chunk, _ in results for lat in chunk]
    refused = sum(r for _, r in results)
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(ledger_minor), 0) FROM ledger_accountbalance WHERE currency = 'EUR'")
        if cursor.fetchone()[0] != 0:
            raise SystemExit("EUR does not sum to zero after the TPS run")
    return {
        "postings_before": postings_before,
        "accounts": len(ids),
        "tps": (len(latencies) - refused) / elapsed,
        "refused": refused,
        **_percentiles(latencies),
    }


# --- orchestration ---------------------------------------------------------------------------------------


def _child(db_url: str, phase: str, **options) -> dict:
    """Run a phase in a fresh interpreter bound to ``db_url`` (Django binds one database per process)."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", phase, "--child-db", db_url, "--child-options", json.dumps(options)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise SystemExit(f"{phase} phase on {db_url} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _print_latency(name: str, figures: dict) -> None:
    print(
        f"  {name:<34} n={figures['n']:>5}  p50 {figures['p50_ms']:7.2f} ms  p99 {figures['p99_ms']:7.2f} ms"
        f"  max {figures['max_ms']:7.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--size", choices=["small", "medium", "large"], help="generate into qenex_bench_history")
    which.add_argument("--database", help="an existing database filled by generate_history (left as it is)")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--transfers", type=int, default=4000, help="per TPS run")
    parser.add_argument("--tps-accounts", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-db", help=argparse.SUPPRESS)
    parser.add_argument("--child-options", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        _setup_django(args.child_db)
        options = json.loads(args.child_options)
        result = phase_reads(**options) if args.child == "reads" else phase_tps(**options)
        print(json.dumps(result, default=str))
        return

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must point at PostgreSQL")
    print(f"machine: {machine()} (shared with other work; figures drift between runs)")
    if args.size:
        big = _with_db(base, "qenex_bench_history")
        _admin(base, "DROP DATABASE IF EXISTS qenex_bench_history WITH (FORCE)")
        _admin(base, "CREATE DATABASE qenex_bench_history")
        env = {**os.environ, "DATABASE_URL": big, "QENEX_ENV": "test"}
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "manage.py", "generate_history", "--size", args.size, "--seed", str(args.seed)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        print(f"generate_history --size {args.size}: {time.perf_counter() - started:.1f} s wall")
        print("  " + out.strip().splitlines()[-1])
    else:
        big = _with_db(base, args.database or "qenex_history")
    reads = _child(big, "reads", samples=args.samples, seed=args.seed)
    print(
        f"database: {urlparse(big).path[1:]}: {reads['postings']:,} postings, {reads['entries']:,} entries,"
        f" {reads['customers']:,} customer accounts, history {reads['history']}; {reads['postgres']}"
    )
    print("reads (API views in-process, after warm-up and ANALYZE):")
    _print_latency("statement page (50 lines)", reads["statement"])
    _print_latency("balance as of a past instant", reads["balance_as_of"])
    for title, plan in reads["plans"].items():
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) {title}:")
        print("\n".join("    " + line for line in plan.splitlines()))

    empty = _with_db(base, "qenex_bench_empty")
    _admin(base, "DROP DATABASE IF EXISTS qenex_bench_empty WITH (FORCE)")
    _admin(base, "CREATE DATABASE qenex_bench_empty")
    tps_options = {
        "clients": args.clients,
        "transfers": args.transfers,
        "accounts": args.tps_accounts,
        "warmup": args.warmup,
        "seed": args.seed,
    }
    on_empty = _child(empty, "tps", fresh=True, **tps_options)
    on_big = _child(big, "tps", fresh=False, **tps_options)
    _admin(base, "DROP DATABASE IF EXISTS qenex_bench_empty WITH (FORCE)")
    print(f"\nposting TPS ({args.clients} clients, post_transfer between {args.tps_accounts} random EUR accounts):")
    for name, run in (("empty database", on_empty), (f"{on_big['postings_before']:,} postings", on_big)):
        print(
            f"  {name:<22} {run['tps']:8.1f} transfers/s  p50 {run['p50_ms']:6.2f} ms  p99 {run['p99_ms']:6.2f} ms"
            f"  (n={run['n']}, refused {run['refused']})"
        )
    print(f"  ratio big/empty: {on_big['tps'] / on_empty['tps']:.2f} (target >= 0.8)")


if __name__ == "__main__":
    main()
