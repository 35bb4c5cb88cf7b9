"""What AML monitoring costs a posting: deposits with the default rule set on vs ``transaction_monitoring`` off.

    DATABASE_URL=postgres://... .venv/bin/python bench/bench_aml_monitoring.py --deposits 300

Runs against the database of DATABASE_URL (migrated; it opens its own accounts there). Celery runs inline, so each
deposit's time includes its after-commit evaluation of the real-time rules (the worst case for the caller: with a
broker the posting only enqueues the task). The deposits are spread over 30 customers with amounts from 100.00 to
9,900.00, so the rules have history to read; prints p50/p99 per deposit for both settings and the alerts raised.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deposits", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("QENEX_ENV", "development")
    os.environ.pop("REDIS_URL", None)
    os.environ["QENEX_CELERY_EAGER"] = "true"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qenex.settings")
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)
    from django.conf import settings

    from apps.compliance.aml_models import AmlAlert, MonitoringRule
    from apps.ledger.services import account_open, post_deposit

    run = f"bench-{int(time.time())}"
    accounts = [
        account_open(owner_id=f"{run}-{n}", account_type="CHECKING", currency="USD", name="Bench Customer")
        for n in range(30)
    ]
    rng = random.Random(42)
    active = MonitoringRule.objects.filter(active=True, schedule="real_time").count()

    def measure(monitoring: bool) -> list[float]:
        compliance = {**settings.QENEX["compliance"], "transaction_monitoring": monitoring}
        settings.QENEX = {**settings.QENEX, "compliance": compliance}
        latencies = []
        for _ in range(args.deposits):
            account = rng.choice(accounts)
            amount = f"{rng.randint(1, 99) * 100}.00"
            started = time.perf_counter()
            post_deposit(to_account=account.public_id, amount=amount, currency="USD")
            latencies.append(time.perf_counter() - started)
        return sorted(latencies)

    measure(False)  # warm-up
    off = measure(False)
    before = AmlAlert.objects.filter(owner_id__startswith=run).count()
    on = measure(True)
    raised = AmlAlert.objects.filter(owner_id__startswith=run).count() - before

    def line(name: str, values: list[float]) -> str:
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        return f"{name}: p50 {statistics.median(values) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms per deposit"

    print(f"{args.deposits} deposits each, 30 customers, {active} active real-time rules")
    print(line("monitoring off", off))
    print(line("monitoring on ", on))
    print(f"alerts raised with monitoring on: {raised}")
    print(f"machine: {os.cpu_count()} CPUs; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
