"""Payment metrics, recorded where the work happens (services), so API, SDK and worker paths all count.

Transitions count after COMMIT (a rolled-back transition never happened); a gauge of payments per status
would need a query per scrape, so dashboards sum the transition counters instead.
"""

from prometheus_client import Counter, Histogram

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
