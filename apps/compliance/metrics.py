"""Screening metrics: every name screened (API, CLI, payments, onboarding) counts, by decision, with its time."""

from prometheus_client import Counter, Histogram

SCREENINGS_TOTAL = Counter("qenex_screenings_total", "Names screened against the sanctions lists", ["decision"])
SCREENING_SECONDS = Histogram(
    "qenex_screening_duration_seconds",
    "Time to screen one name against every loaded list",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
)
