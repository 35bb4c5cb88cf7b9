"""Card authorisation metrics, recorded where the work happens (the services), whichever endpoint asked."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

CARD_MESSAGES_TOTAL = Counter(
    "qenex_card_messages_total", "ISO 8583 requests the issuer host answered", ["mti", "response_code"]
)
CARD_AUTHORISATION_SECONDS = Histogram(
    "qenex_card_authorisation_seconds",
    "Time to decide one 0100 (checks, hold, answer record)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
