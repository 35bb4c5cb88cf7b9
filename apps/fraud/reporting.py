"""What the fraud app reports elsewhere: the system status of its two features, and the model-quality gauges.

``qenex_model_accuracy{model}`` and ``qenex_false_positive_rate{model}`` are computed at scrape time from the labels
analysts recorded in the last ``QENEX_FRAUD_METRICS_WINDOW_DAYS`` days (label ``model``: the version in production):

- false-positive rate = flags cleared as not fraud / flags decided (the share of the model's alerts that were
  wrong; 1 - precision of its flags);
- accuracy = (flags confirmed as fraud + labelled transactions the model passed that were legitimate) / all labels
  in the window (a fraud the model passed, once labelled, counts against it).

With no label in the window the gauges have no sample (no made-up value).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from apps.core import metrics, status

from . import runtime, selectors


def model_quality() -> list[tuple[str, float | None, float | None]]:
    counts = selectors.label_counts(since=timezone.now() - timedelta(days=settings.QENEX_FRAUD_METRICS_WINDOW_DAYS))
    flagged = counts["flagged_fraud"] + counts["flagged_legit"]
    total = flagged + counts["missed_fraud"] + counts["passed_legit"]
    if not total:
        return []
    production = selectors.production_model()
    label = production.version if production else "none"
    accuracy = (counts["flagged_fraud"] + counts["passed_legit"]) / total
    false_positive_rate = counts["flagged_legit"] / flagged if flagged else None
    return [(label, round(accuracy, 6), round(false_positive_rate, 6) if false_positive_rate is not None else None)]


def fraud_detection_status() -> dict:
    report = runtime.status()
    return {"running": report["model"] != "no model", **report}


def risk_assessment_status() -> dict:
    loaded = runtime.current()
    return {"running": True, "model": loaded.version if loaded else "rules only"}


def register() -> None:
    metrics.set_model_quality_source(model_quality)
    status.register_feature("fraud_detection", fraud_detection_status)
    status.register_feature("risk_assessment", risk_assessment_status)
