"""Risk assessment (``features.risk_assessment``): a 0-100 score with reasons, for a customer or one transaction.

Rules first (what compliance's KYC rating and the AML rules can cite), the fraud model's probability on top when a
model is in production:

- confirmed fraud on the customer in the last 90 days (+40), open fraud alerts (+10 each, at most +20);
- for a transaction: the model's probability (up to +50), an amount at least 5x the customer's 30-day average
  (+15), a counterparty they have not paid in 30 days (+10), a destination country other than their own (+10),
  between 00:00 and 06:00 UTC (+5), 5 or more transactions in the last hour (+10).

Level: low < 30 <= medium < 60 <= high. Switched off (``QENEX_ENABLE_RISK_ASSESSMENT=false``): None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from . import runtime, scoring
from .features import INDEX
from .models import AlertStatus, FraudAlert, FraudLabel


@dataclass(frozen=True)
class RiskAssessment:
    score: int
    level: str
    reasons: list[str] = field(default_factory=list)
    fraud_probability: float | None = None
    model_version: str | None = None

    def as_dict(self) -> dict:
        return {"score": self.score, "level": self.level, "reasons": self.reasons,
                "fraud_probability": self.fraud_probability, "model_version": self.model_version}


def _level(score: int) -> str:
    return "high" if score >= 60 else "medium" if score >= 30 else "low"


def risk_assess(*, customer_id: str, transaction: scoring.Transaction | None = None) -> RiskAssessment | None:
    if not settings.QENEX_FEATURES.get("risk_assessment"):
        return None
    score, reasons = 0, []
    since = timezone.now() - timedelta(days=90)
    confirmed = FraudLabel.objects.filter(customer_id=customer_id, is_fraud=True, occurred_at__gte=since).count()
    if confirmed:
        score += 40
        reasons.append(f"{confirmed} confirmed fraud(s) in the last 90 days")
    open_alerts = FraudAlert.objects.filter(customer_id=customer_id, status=AlertStatus.OPEN).count()
    if open_alerts:
        score += min(10 * open_alerts, 20)
        reasons.append(f"{open_alerts} open fraud alert(s)")
    probability = version = None
    if transaction is not None:
        loaded = runtime.current()
        if loaded is not None:
            scored = scoring.score(loaded, transaction)
            probability, version, vector = scored.probability, scored.model_version, scored.vector
            score += round(50 * probability)
            reasons.append(f"fraud model {version}: probability {probability:.2f}")
        else:
            vector = scoring.vector_of(None, transaction)
        if vector:
            if vector[INDEX["amount_to_avg_30d"]] >= 5:
                score += 15
                reasons.append(f"amount {vector[INDEX['amount_to_avg_30d']]:.1f}x the customer's 30-day average")
            if vector[INDEX["new_counterparty"]]:
                score += 10
                reasons.append("a counterparty the customer has not paid in 30 days")
            if vector[INDEX["foreign_country"]]:
                score += 10
                reasons.append("destination country differs from the customer's")
            if vector[INDEX["is_night"]]:
                score += 5
                reasons.append("between 00:00 and 06:00 UTC")
            if vector[INDEX["cust_count_1h"]] >= 5:
                score += 10
                reasons.append(f"{int(vector[INDEX['cust_count_1h']])} transactions in the last hour")
    score = min(score, 100)
    return RiskAssessment(score, _level(score), reasons, probability, version)
