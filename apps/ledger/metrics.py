"""The seed's ``qenex_*`` transaction metrics, exported by django-prometheus at /metrics."""

from prometheus_client import Counter, Histogram

TRANSACTIONS_TOTAL = Counter("qenex_transactions_total", "Ledger transactions posted", ["type", "currency"])
TRANSACTION_ERRORS_TOTAL = Counter(
    "qenex_transaction_errors_total", "Posting requests refused or failed", ["type", "code"]
)
TRANSACTION_AMOUNT_SUM = Counter(
    "qenex_transaction_amount_sum", "Posted volume in major units of the currency", ["type", "currency"]
)
TRANSACTION_DURATION = Histogram(
    "qenex_transaction_duration_seconds",
    "Time to post one transaction (locks, checks, writes)",
    ["type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
