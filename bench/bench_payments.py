"""Payments benchmark: payments accepted through the API, and settled end to end through a real Celery worker,
beat and the network sandbox, per rail.

    .venv/bin/python bench/bench_payments.py [--per-rail 100] [--network-delay 0.05] [--workers 2] [--database NAME]

Creates its own database (``--database``, default ``qenex_bench_payments``, on the server of DATABASE_URL, dropped
first) and uses Redis
(REDIS_URL, default db 10) as the broker. It starts ``manage.py run_network_sandbox --rail all`` (answers after
``--network-delay`` seconds), ``--workers`` Celery worker processes (solo pool each) and beat (feeds read every
0.2 s, an ACH file at every tick), then for each rail sends ``--per-rail`` payments through
``POST /api/v1/payments/send`` with Django's test client and a real key (authentication, validation, routing,
checks, the ledger hold, the audit record, the Celery hand-over), one after the other, and waits until each is
final.

Printed per rail: accepted/s and the API call's p50/p99; submitted/s through the worker (first QUEUED row to the
last SUBMITTED row: how fast the workers hand payments to the network; an ACH file takes a rail's payments at a
cut-off, so its figure is the file's); end-to-end settlement time (the payment's RECEIVED row to its SETTLED row in
its own history, so no polling error) p50/p99; and settled/s over the whole run (first accepted to last settled).
``swift_cover`` is a CBPR+ cover payment (pacs.008 + pacs.009 COV through a default USD correspondent).
Every payment must end SETTLED and the nostro must have received exactly the sum.
The network's delay is part of every settlement time: it is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "qenex_bench_payments"
RAILS = {
    "sepa": ("EUR", {"iban": "DE89370400440532013000", "name": "Jane Smith", "country": "DE"}, "standard"),
    "sepa_inst": ("EUR", {"iban": "DE89370400440532013000", "name": "Jane Smith", "country": "DE"}, "instant"),
    "ach": ("USD", {"aba": "021000021", "account": "123456789", "name": "John Smith", "country": "US"}, "standard"),
    "fedwire": ("USD", {"aba": "021000021", "account": "123456789", "name": "John Smith", "country": "US"}, "urgent"),
    "swift": ("USD", {"bic": "DEUTDEFFXXX", "account": "987654321", "name": "Jane Smith", "country": "DE"}, "standard"),
    "swift_cover": (
        "USD",
        {"bic": "BNPAFRPPXXX", "account": "987654321", "name": "Jane Smith", "country": "FR"},
        "standard",
    ),
}
COVER_CORRESPONDENT = "BOFAUS3NXXX"  # swift_cover: the default USD correspondent (and so a cover for BNPAFRPP)


def _with_db(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path="/" + name))


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


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * q) - 1))]


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = open(log, "wb")  # noqa: SIM115 - the process owns it
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-rail", type=int, default=100)
    parser.add_argument("--network-delay", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rails", default=",".join(RAILS))
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--database", default=BENCH_DB, help="the benchmark's own database (dropped first)")
    args = parser.parse_args()
    rails = [r for r in args.rails.split(",") if r]

    import psycopg

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/10")
    with psycopg.connect(_with_db(base, "postgres"), autocommit=True) as conn:
        if not args.database.replace("_", "").isalnum():
            raise SystemExit(f"--database {args.database!r}: letters, digits and _ only")
        conn.execute(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {args.database}")
    db_url = _with_db(base, args.database)
    workdir = ROOT / "var" / "bench-payments"
    workdir.mkdir(parents=True, exist_ok=True)

    from tests.network_sandbox import NetworkSandbox

    sandbox = NetworkSandbox(workdir, rail="all", delay=args.network_delay).start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "qenex.settings",
        "QENEX_ENV": "test",
        "QENEX_VAR_DIR": str(workdir / "var"),
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "QENEX_CELERY_EAGER": "false",
        "QENEX_CELERY_QUEUE": f"bench-payments-{os.getpid()}",
        "QENEX_PAYMENTS_NETWORK_URLS": f"*={sandbox.url}",
        "QENEX_PAYMENTS_POLL_SECONDS": "0.2",
        "QENEX_PAYMENTS_ACH_CUTOFFS": "*",
        "QENEX_PAYMENTS_DUPLICATE_WINDOW_SECONDS": "0",
        "QENEX_APPROVAL_THRESHOLD": "100000000",
        "QENEX_THROTTLE_API_KEY": "1000000/minute",
        "QENEX_THROTTLE_IP": "1000000/minute",
        # The bench's owner is no customer: the KYC gate on account opening (apps.customers) is not what is measured.
        "QENEX_KYC_REQUIRED": "false",
    }
    os.environ.update(env)
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    celery = [sys.executable, "-m", "celery", "-A", "qenex"]
    queue = env["QENEX_CELERY_QUEUE"]
    workers = [
        _start(
            [
                *celery,
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "-n",
                f"bench{i}@%h",
                "-l",
                "warning",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            env,
            workdir / f"worker{i}.log",
        )
        for i in range(args.workers)
    ]
    beat = _start(
        [
            *celery,
            "beat",
            "-l",
            "warning",
            "--scheduler",
            "celery.beat:PersistentScheduler",
            "-s",
            str(workdir / "beat"),
            "--max-interval",
            "1",
        ],
        env,
        workdir / "beat.log",
    )
    try:
        _run(args, rails)
    finally:
        for process in (*workers, beat):
            _stop(process)
        sandbox.stop()


def _event_at(events, ids: list[str], status: str, *, last: bool = False):
    """When the first (or last) of the payments ``ids`` moved to ``status``, from their histories."""
    found = events.objects.filter(payment__public_id__in=ids, to_status=status)
    return found.order_by("-occurred_at" if last else "occurred_at").values_list("occurred_at", flat=True)[0]


def _run(args: argparse.Namespace, rails: list[str]) -> None:
    from django.conf import settings
    from django.db import connection
    from rest_framework.test import APIClient

    from apps.accounts.models import AccountType
    from apps.accounts.selectors import internal_account_find
    from apps.iam.services import api_client_create
    from apps.ledger.selectors import balance_get
    from apps.ledger.services import account_open
    from apps.payments.models import PaymentEvent, PaymentOrder
    from apps.payments.services import correspondent_register
    from apps.payments.states import FINAL, PaymentStatus
    from qenex.celery import app

    app.conf.task_always_eager, app.conf.task_default_queue = False, os.environ["QENEX_CELERY_QUEUE"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0].split(" on ")[0]
    print(f"machine: {_machine()}")
    print(f"server: {server}; workers: {args.workers}; network delay: {args.network_delay}s; per rail: {args.per_rail}")
    issued = api_client_create(name="bench", scopes=["payments:write", "payments:read"], all_customers=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.token}")
    senders = {
        cur: account_open(currency=cur, initial_balance="100000000", owner_id="bench", account_type="CHECKING")
        for cur in ("EUR", "USD")
    }
    nostro_before = {}
    for cur in senders:
        nostro = internal_account_find(account_type=AccountType.NOSTRO, currency=cur)
        nostro_before[cur] = balance_get(account=nostro).ledger_minor if nostro else 0

    results = {}
    for rail in rails:
        currency, receiver, speed = RAILS[rail]
        if rail == "swift_cover":  # from here on every USD SWIFT payment to a non-correspondent goes with a cover
            correspondent_register(currency="USD", bic=COVER_CORRESPONDENT, is_default=True, actor="bench")
            settings.QENEX_PAYMENTS_SWIFT_FORMAT = "pacs008"  # routing runs here, in the API call
        sender = {"account": senders[currency].public_id, "name": "Acme Corp", "country": "US"}
        if rail in ("sepa", "sepa_inst"):
            sender = {**sender, "iban": "FR1420041010050500013M02606", "country": "FR"}
        ids, latencies = [], []
        started = time.perf_counter()
        for n in range(args.per_rail):
            body = {
                "sender": sender,
                "receiver": receiver,
                "amount": f"{10 + n % 90}.00",
                "currency": currency,
                "reference": f"BENCH-{rail.replace('_', '-')}-{n}",
                "speed": speed,
            }
            t0 = time.perf_counter()
            response = client.post("/api/v1/payments/send", body, format="json", HTTP_IDEMPOTENCY_KEY=f"{rail}-{n}")
            latencies.append(time.perf_counter() - t0)
            if response.status_code not in (201, 202):
                raise SystemExit(f"{rail}: {response.status_code} {response.content[:300]!r}")
            ids.append(response.json()["id"])
        accepted_seconds = time.perf_counter() - started
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            waiting = PaymentOrder.objects.filter(public_id__in=ids).exclude(status__in=FINAL).count()
            if not waiting:
                break
            time.sleep(0.2)
        statuses = dict(PaymentOrder.objects.filter(public_id__in=ids).values_list("public_id", "status"))
        unsettled = [pid for pid, status in statuses.items() if status != PaymentStatus.SETTLED]
        if unsettled:
            raise SystemExit(f"{rail}: {len(unsettled)} not settled, e.g. {unsettled[0]} {statuses[unsettled[0]]}")
        created = dict(
            PaymentEvent.objects.filter(payment__public_id__in=ids, to_status=PaymentStatus.RECEIVED).values_list(
                "payment__public_id", "occurred_at"
            )
        )
        settled = dict(
            PaymentEvent.objects.filter(payment__public_id__in=ids, to_status=PaymentStatus.SETTLED).values_list(
                "payment__public_id", "occurred_at"
            )
        )
        e2e = [(settled[pid] - created[pid]).total_seconds() for pid in ids]
        span = (max(settled.values()) - min(created.values())).total_seconds()
        submitting = (
            _event_at(PaymentEvent, ids, PaymentStatus.SUBMITTED, last=True)
            - _event_at(PaymentEvent, ids, PaymentStatus.QUEUED)
        ).total_seconds()
        results[rail] = {
            "accepted_per_s": len(ids) / accepted_seconds,
            "api_p50_ms": statistics.median(latencies) * 1000,
            "api_p99_ms": _percentile(latencies, 0.99) * 1000,
            "settle_p50_s": statistics.median(e2e),
            "settle_p99_s": _percentile(e2e, 0.99),
            "settled_per_s": len(ids) / span,
            "submitted_per_s": len(ids) / submitting if submitting > 0 else float("inf"),
        }
        print(
            f"{rail:10s} accepted {results[rail]['accepted_per_s']:7.1f}/s (API p50 {results[rail]['api_p50_ms']:6.1f} "
            f"ms, p99 {results[rail]['api_p99_ms']:6.1f} ms)  submitted by the workers "
            f"{results[rail]['submitted_per_s']:7.1f}/s  settled end to end p50 "
            f"{results[rail]['settle_p50_s']:6.2f} s, p99 {results[rail]['settle_p99_s']:6.2f} s, "
            f"{results[rail]['settled_per_s']:6.1f}/s",
            flush=True,
        )
    expected = {"EUR": 0, "USD": 0}
    for order in PaymentOrder.objects.all():
        expected[order.currency] += order.amount_minor
    for cur, sent in expected.items():
        nostro = internal_account_find(account_type=AccountType.NOSTRO, currency=cur)
        received = (balance_get(account=nostro).ledger_minor if nostro else 0) - nostro_before[cur]
        status = "exact" if received == sent else f"MISMATCH (sent {sent}, nostro {received})"
        print(f"nostro {cur}: {status}")
        if received != sent:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
