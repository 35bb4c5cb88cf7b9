"""Payment metrics, recorded where the work happens (services), so API, SDK and worker paths all count.

Transitions count after COMMIT (a rolled-back transition never happened). ``qenex_payments_open`` is read when
scraped: one grouped count of the payments not yet final, by rail and status (FAILED ones are the dead letters an
operator must retry or cancel; HELD ones wait for an officer), over the (status, rail) index.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db import connection
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric

logger = logging.getLogger(__name__)

PAYMENT_TRANSITIONS_TOTAL = Counter(
    "qenex_payment_transitions_total", "Payment status changes, by rail and new status", ["rail", "status"]
)
PAYMENT_SUBMISSION_SECONDS = Histogram(
    "qenex_payment_submission_seconds",
    "Time for a network to answer one submission with a receipt (or to fail to)",
    ["rail", "outcome"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
PAYMENT_ANSWERS_TOTAL = Counter(
    "qenex_payment_answers_total", "Network answers read from the feeds", ["rail", "result"]
)


class OpenPaymentsCollector:
    def collect(self) -> Iterator[Metric]:
        from .selectors import payment_counts_open

        family = GaugeMetricFamily(
            "qenex_payments_open",
            "Payments not yet final, by rail and status (FAILED: dead letters; HELD: waiting for an officer)",
            labels=["rail", "status"],
        )
        try:
            for (rail, status), count in sorted(payment_counts_open().items()):
                family.add_metric([rail, status], count)
        except Exception:  # noqa: BLE001 - a database that is down leaves the gauge empty; /health reports it
            logger.debug("could not count open payments", exc_info=True)
        finally:
            if not connection.in_atomic_block:
                connection.close()  # a scrape thread must not keep a connection open
        yield family


OPEN_PAYMENTS = OpenPaymentsCollector()
