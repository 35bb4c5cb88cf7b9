"""Retention rules per record kind, in days after the customer relationship ends.

``QENEX_PRIVACY_RETENTION_DAYS`` (Django setting or environment variable, JSON object) overrides any of the
defaults below, e.g. ``{"aml": 3650}``. An erasure is executed when the longest rule of the record kinds the
customer has passes (0 = nothing holds it).
"""

from __future__ import annotations

import json
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_RETENTION_DAYS = {
    "kyc": 5 * 365,  # identity and due-diligence records (AMLD art. 40: 5 years after the relationship)
    "transactions": 5 * 365,  # postings and their accounts (AMLD art. 40; commercial law may ask for more)
    "payments": 5 * 365,  # payment orders and messages
    "screening": 5 * 365,  # sanctions screening results and alerts
    "cards": 5 * 365,  # card records (transactions on them)
    # AML alerts, cases and reports: 5 years after the later of the relationship's end and the record's own end
    # (decision, closure, filing). Never erased: kept with their processing restricted until then (retain_until).
    "aml": 5 * 365,  # AMLD art. 40; 31 CFR 1010.430 (BSA records and SARs: 5 years)
    "fraud": 0,  # fraud alerts and labels: legitimate interest, no legal hold of their own (an open alert holds)
    "consents": 0,  # consent history: no legal hold of its own
}


def retention_days() -> dict[str, int]:
    raw = getattr(settings, "QENEX_PRIVACY_RETENTION_DAYS", None) or os.environ.get("QENEX_PRIVACY_RETENTION_DAYS")
    rules = dict(DEFAULT_RETENTION_DAYS)
    if raw:
        try:
            override = raw if isinstance(raw, dict) else json.loads(raw)
            rules.update({str(k): int(v) for k, v in override.items()})
        except (ValueError, TypeError, AttributeError) as exc:
            raise ImproperlyConfigured("QENEX_PRIVACY_RETENTION_DAYS must be a JSON object of day counts") from exc
    if any(v < 0 for v in rules.values()):
        raise ImproperlyConfigured("QENEX_PRIVACY_RETENTION_DAYS: day counts must be >= 0")
    return rules
