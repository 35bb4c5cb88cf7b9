"""The seed's ``qenex_transaction*`` metrics, exported at /metrics and on ``metrics.port`` (apps.core.metrics).

Counts and volume are recorded after commit (apps.ledger.events), so a rolled-back posting is never counted.
Duration and refusals are recorded by :func:`posting_observed` around every entry point that posts: the API
views, the SDK (qenex.kernel) and executed approvals (apps.approvals.services).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from prometheus_client import Counter, Gauge, Histogram

from apps.core.errors import DomainError

TRANSACTIONS_TOTAL = Counter("qenex_transactions_total", "Ledger transactions posted", ["type", "currency"])
TRANSACTION_ERRORS_TOTAL = Counter(
    "qenex_transaction_errors_total", "Posting requests refused or failed", ["type", "code"]
)
# The seed's name has no _total, which prometheus_client appends to every Counter: so a gauge that only ever goes
# up ("sum" adds the processes' values and keeps those of processes that exited).
TRANSACTION_AMOUNT_SUM = Gauge(
    "qenex_transaction_amount_sum",
    "Posted volume in major units of the currency (only increases)",
    ["type", "currency"],
    multiprocess_mode="sum",
)
TRANSACTIONS_OVER_AML_THRESHOLD_TOTAL = Counter(
    "qenex_transactions_over_aml_threshold_total",
    "Postings of at least compliance.aml_threshold (major units of their currency)",
    ["type", "currency"],
)
TRANSACTION_DURATION = Histogram(
    "qenex_transaction_duration_seconds",
    "Time to post one transaction (locks, checks, writes)",
    ["type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)

T = TypeVar("T")


def posting_observed(entry_type: str, call: Callable[[], T]) -> T:
    """Run a posting service, recording its duration and, when refused, its error code."""
    started = time.perf_counter()
    try:
        return call()
    except DomainError as exc:
        TRANSACTION_ERRORS_TOTAL.labels(entry_type, exc.code).inc()
        raise
    except Exception:
        TRANSACTION_ERRORS_TOTAL.labels(entry_type, "internal_error").inc()
        raise
    finally:
        TRANSACTION_DURATION.labels(entry_type).observe(time.perf_counter() - started)
