"""Card authorisation benchmark: the issuer host as its own process, ISO 8583 over TCP on 127.0.0.1.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/bench_cards.py
    .venv/bin/python bench/bench_cards.py --quick         # a short smoke run (small counts)

It creates its own database (``qenex_cards_bench``, dropped and re-created each run), issues ``--cards`` cards on
funded accounts, starts ``manage.py run_card_host`` on a free port and, after a warm-up, measures:
  (a) 0100 authorisations one at a time on one switch connection: p50/p99 as the switch sees them;
  (b) 0100 authorisations from ``--connections`` concurrent switch connections: authorisations/s and p50/p99;
  (c) 0220 clearings (for less than authorised) of approvals from (a), one at a time: p50/p99.
Every authorisation is a full one: card by blind index, status/expiry/limits, the check registry, card lock, ledger
hold (account lock, available funds), answer record and two audit records. Each answer's response code is counted;
the run fails if any is not 00. The target (issue 13) is p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "qenex_cards_bench"
TARGET_P99_MS = 50.0


def _with_db(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path="/" + name))


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _machine() -> str:
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


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * q) - 1))]


def _line(name: str, latencies: list[float], seconds: float) -> str:
    ordered = sorted(latencies)
    p99 = _percentile(ordered, 0.99) * 1000
    return (
        f"{name}: {len(ordered)} in {seconds:.2f} s = {len(ordered) / seconds:.0f}/s; "
        f"p50 {statistics.median(ordered) * 1000:.2f} ms, p99 {p99:.2f} ms "
        f"(target p99 < {TARGET_P99_MS:.0f} ms: {'met' if p99 < TARGET_P99_MS else 'NOT met'})"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _issue_cards(count: int) -> list[str]:
    from apps.cards.services import card_issue
    from apps.ledger.services import account_open
    from apps.payments.formats.cards import luhn_check_digit

    pans = []
    for n in range(count):
        account = account_open(
            owner_id=f"bench-{n}", account_type="CHECKING", currency="USD", initial_balance="1000000.00"
        )
        body = f"4{900000000 + n:014d}"
        pan = body + str(luhn_check_digit(body))
        card_issue(
            account=account.public_id,
            pan=pan,
            expiry_year=2030,
            expiry_month=12,
            per_transaction_limit="1000.00",
            daily_limit="1000000.00",
        )
        pans.append(pan)
    return pans


def _authorise_many(port: int, pans: list[str], count: int, seed: int, codes: Counter, keep: list | None = None):
    from apps.cards.switch import CardSwitch

    rng = random.Random(seed)
    latencies = []
    with CardSwitch("127.0.0.1", port, terminal_id=f"BENCH{seed:03d}") as switch:
        for _ in range(count):
            request = switch.authorisation_request(pan=rng.choice(pans), amount_minor=rng.randint(100, 9999))
            started = time.perf_counter()
            answer = switch.send(request)
            latencies.append(time.perf_counter() - started)
            codes[answer.response_code] += 1
            if keep is not None:
                keep.append(answer)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=200)
    parser.add_argument("--sequential", type=int, default=1000, help="(a) authorisations")
    parser.add_argument("--concurrent", type=int, default=2000, help="(b) authorisations in total")
    parser.add_argument("--connections", type=int, default=4, help="(b) concurrent switch connections")
    parser.add_argument("--clearings", type=int, default=300, help="(c)")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run, not a measurement")
    args = parser.parse_args()
    if args.quick:
        args.cards, args.sequential, args.concurrent, args.clearings, args.warmup = 20, 100, 200, 30, 20

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must point at PostgreSQL")
    _admin(base, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    _admin(base, f"CREATE DATABASE {BENCH_DB}")
    db_url = _with_db(base, BENCH_DB)
    os.environ.update(DATABASE_URL=db_url, QENEX_ENV="development", DJANGO_SETTINGS_MODULE="qenex.settings")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0].split(" on ")[0]
    print(f"machine: {_machine()}")
    print(f"server: {server}; cards: {args.cards}; connections for (b): {args.connections}")
    pans = _issue_cards(args.cards)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connections.close_all()

    port = _free_port()
    env = {**os.environ, "QENEX_VAR_DIR": str(settings.VAR_DIR), "QENEX_LOG_LEVEL": "WARNING"}
    host = subprocess.Popen(
        [sys.executable, "manage.py", "run_card_host", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or host.poll() is not None:
                    raise SystemExit("the card host did not start") from None
                time.sleep(0.1)
        codes: Counter = Counter()
        _authorise_many(port, pans, args.warmup, 0, codes)

        approvals: list = []
        started = time.perf_counter()
        sequential = _authorise_many(port, pans, args.sequential, 1, codes, approvals)
        print(_line("(a) 0100 sequential", sequential, time.perf_counter() - started))

        results: list[list[float]] = [[] for _ in range(args.connections)]
        thread_codes = [Counter() for _ in range(args.connections)]
        share = args.concurrent // args.connections

        def client(i: int) -> None:
            results[i] = _authorise_many(port, pans, share, 100 + i, thread_codes[i])

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.connections)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        concurrent = [value for part in results for value in part]
        for part in thread_codes:
            codes.update(part)
        print(_line(f"(b) 0100 on {args.connections} connections", concurrent, time.perf_counter() - started))

        from apps.cards.switch import CardSwitch

        clearing, clear_codes = [], Counter()
        with CardSwitch("127.0.0.1", port, terminal_id="BENCH001") as switch:
            started = time.perf_counter()
            for answer in approvals[: args.clearings]:
                begun = time.perf_counter()
                cleared = switch.advise(answer, amount_minor=max(1, answer.amount - 50))
                clearing.append(time.perf_counter() - begun)
                clear_codes[cleared.response_code] += 1
            print(_line("(c) 0220 clearing for less", clearing, time.perf_counter() - started))
        print(f"response codes: 0110 {dict(codes)}, 0230 {dict(clear_codes)}")
        if set(codes) != {"00"} or set(clear_codes) != {"00"}:
            raise SystemExit("some answers were not 00: the figures above are not of approvals only")
    finally:
        host.terminate()
        host.wait(timeout=20)


if __name__ == "__main__":
    main()
