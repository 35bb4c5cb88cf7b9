"""Profile single transfers on one connection: statements per transfer and where the Python time goes.

    .venv/bin/python bench/profile_transfer.py [--transfers 2000] [--top 30]

Creates (and drops) a scratch database ``qenex_profile`` on the configured PostgreSQL, opens 200 funded
accounts, then posts ``--transfers`` keyed transfers from one process: prints the statements one transfer
runs (Django's CaptureQueriesContext), the wall time per transfer, and cProfile's top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_ledger import _open_accounts, _psql_admin, _setup_django, _with_db  # noqa: E402

DB = "qenex_profile"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transfers", type=int, default=2000)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    _psql_admin(base, f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    _psql_admin(base, f"CREATE DATABASE {DB}")
    try:
        _setup_django(_with_db(base, DB))
        from django.core.management import call_command
        from django.db import connection, connections
        from django.test.utils import CaptureQueriesContext

        from apps.ledger.services import post_transfer

        call_command("migrate", verbosity=0)
        ids = _open_accounts(200)
        rng = random.Random(1)

        def one() -> None:
            src, dst = rng.sample(ids, 2)
            post_transfer(
                from_account=src, to_account=dst, amount="1.25", currency="USD", idempotency_key=f"p-{uuid.uuid4()}"
            )

        for _ in range(200):
            one()
        with CaptureQueriesContext(connection) as queries:
            one()
        print(f"statements per transfer: {len(queries.captured_queries)}")
        for q in queries.captured_queries:
            print("  ", " ".join(q["sql"].split())[:150])
        started = time.perf_counter()
        for _ in range(args.transfers):
            one()
        wall = (time.perf_counter() - started) / args.transfers
        cpu_started = time.process_time()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.transfers):
            one()
        profiler.disable()
        cpu = (time.process_time() - cpu_started) / args.transfers
        print(f"one client: {wall * 1000:.2f} ms per transfer (wall), Python CPU {cpu * 1000:.2f} ms (profiled)")
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        connections.close_all()
    finally:
        _psql_admin(base, f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
