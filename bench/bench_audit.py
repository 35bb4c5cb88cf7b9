"""Audited writes per second with one audit chain vs N chain shards, on the same server in the same run.

    .venv/bin/python bench/bench_audit.py                       # 8 processes, 1 vs 16 shards
    .venv/bin/python bench/bench_audit.py --workload transfer --writes 2000 --shards 16

What it does:
1. creates a scratch database ``qenex_bench_audit`` on the server of DATABASE_URL and migrates it;
2. for each round, runs the same workload from ``--clients`` worker processes (each its own connection)
   first with ``QENEX_AUDIT_CHAIN_SHARDS=1`` (every audited commit queues on one head row, as before
   sharding) and then with ``--shards``; a short warm-up and ANALYZE come before each measurement;
3. verifies the whole trail (``audit_chain_verify``): a benchmark that broke the chain measured nothing;
4. prints records/s for each setting, per round and over all rounds, and the ratio sharded / one chain.

Workloads: ``record`` - each write is its own transaction appending one audit record for a random object
(the audit trail's own cost: lock the shard head, insert, advance, commit); ``transfer`` - each write is a
ledger ``post_transfer`` between random accounts (locks two accounts, writes the postings, then the audit
record as its last write), the commit a real posting makes. Checkpoints are signed after commit at the
configured pace in both settings alike.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_ledger import _psql_admin, _setup_django, _with_db  # noqa: E402 - the scratch-database helpers

SCRATCH = "qenex_bench_audit"


def _close_connections() -> None:
    """Close this process's connections and its psycopg pool, so that no forked worker inherits a socket."""
    from django.db import connections

    connections.close_all()
    for conn in connections.all(initialized_only=True):
        if hasattr(conn, "close_pool"):
            conn.close_pool()


def _worker(args: tuple[str, int, list[str], int]) -> int:
    workload, count, account_ids, seed = args
    from django.db import transaction

    from apps.audit.services import audit_record
    from apps.ledger.services import post_transfer

    rng = random.Random(seed)
    for n in range(count):
        if workload == "record":
            with transaction.atomic(durable=True):
                audit_record(
                    action="bench.changed",
                    object_type="bench",
                    object_id=f"{seed}-{n}-{rng.randrange(10**9)}",
                    before={"n": n},
                    after={"n": n + 1},
                )
        else:
            src, dst = rng.sample(account_ids, 2)
            post_transfer(
                from_account=src, to_account=dst, amount="1.00", currency="USD", idempotency_key=f"b-{uuid.uuid4()}"
            )
    _close_connections()
    return count


def _measure(*, shards: int, workload: str, writes: int, clients: int, warmup: int, ids: list[str]) -> float:
    from django.conf import settings
    from django.db import connection

    settings.QENEX_AUDIT_CHAIN_SHARDS = shards  # the workers are forked after this: they see it
    ctx = mp.get_context("fork")
    _close_connections()
    with ctx.Pool(clients) as pool:
        pool.map(_worker, [(workload, max(1, warmup // clients), ids, 10_000 + i) for i in range(clients)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    _close_connections()
    per_client = writes // clients
    seed = random.randrange(10**6)
    with ctx.Pool(clients) as pool:
        started = time.perf_counter()
        done = sum(pool.map(_worker, [(workload, per_client, ids, seed + i) for i in range(clients)]))
        elapsed = time.perf_counter() - started
    return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", choices=["record", "transfer"], default="record")
    parser.add_argument("--writes", type=int, default=4000, help="audited writes per measurement")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--accounts", type=int, default=200, help="for --workload transfer")
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must point at PostgreSQL")
    _psql_admin(base, f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
    _psql_admin(base, f"CREATE DATABASE {SCRATCH}")
    _setup_django(_with_db(base, SCRATCH))
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0].split(" on ")[0]
    ids: list[str] = []
    if args.workload == "transfer":
        from apps.accounts.services import account_open

        ids = [
            account_open(
                owner_id=f"bench-{i}", account_type="CHECKING", currency="USD", initial_balance="100000000.00"
            ).public_id
            for i in range(args.accounts)
        ]
    print(f"machine: {os.cpu_count()} CPUs; server: {server}; clients: {args.clients} processes")
    print(f"workload: {args.workload}, {args.writes} audited writes per measurement, {args.rounds} round(s)")
    rates: dict[int, list[float]] = {1: [], args.shards: []}
    for round_number in range(1, args.rounds + 1):
        for shards in (1, args.shards):
            rate = _measure(
                shards=shards,
                workload=args.workload,
                writes=args.writes,
                clients=args.clients,
                warmup=args.warmup,
                ids=ids,
            )
            rates[shards].append(rate)
            print(f"round {round_number}: {shards:>4} shard(s): {rate:8.0f} records/s")

    from apps.audit.verification import audit_chain_verify

    report = audit_chain_verify()
    if not report.ok:
        raise SystemExit(f"the audit trail does not verify after the run: {report.problems[0]}")
    print(f"verified: {report.records_checked} records in {len(report.heads)} shard(s), intact")
    _close_connections()
    _psql_admin(base, f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
    one, many = (sum(rates[n]) / len(rates[n]) for n in (1, args.shards))
    print(f"mean over rounds: 1 shard {one:.0f} records/s, {args.shards} shards {many:.0f} records/s")
    print(f"ratio {args.shards} shards / 1 shard: {many / one:.2f}")


if __name__ == "__main__":
    main()
