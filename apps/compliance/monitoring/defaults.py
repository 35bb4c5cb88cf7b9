"""The rule set a new installation starts with (written by migration compliance.0003): every kind, active.

Officers tune them in the admin (each change is a new version). Parameters left out take ``rules.DEFAULTS``; an
empty ``threshold`` is ``compliance.aml_threshold``.
"""

from __future__ import annotations

DEFAULT_RULES = [
    # (code, name, kind, schedule, severity, parameters)
    (
        "ctr-cash",
        "Cash over the CTR threshold per customer per business day",
        "cash_over_threshold",
        "real_time",
        2,
        {},
    ),
    (
        "structuring",
        "Several cash deposits just under the threshold",
        "structuring",
        "real_time",
        3,
        {"lower_percent": 80, "min_count": 3, "window_days": 3},
    ),
    (
        "rapid-movement",
        "Money in and out again within 24 hours",
        "rapid_movement",
        "real_time",
        3,
        {"hours": 24, "min_amount": "5000", "out_percent": 80},
    ),
    (
        "velocity",
        "More than 20 transactions in an hour",
        "velocity",
        "windowed",
        2,
        {"window_minutes": 60, "max_count": 20},
    ),
    (
        "high-risk-country",
        "Payment to a FATF call-for-action country",
        "high_risk_country",
        "real_time",
        3,
        {"countries": ["KP", "IR", "MM"]},
    ),
    (
        "dormant",
        "A dormant account (180 days) suddenly moves money",
        "dormant_activity",
        "real_time",
        2,
        {"dormant_days": 180, "min_amount": "1000"},
    ),
    (
        "round-amounts",
        "Three round amounts (multiples of 1,000) in a week",
        "round_amounts",
        "windowed",
        1,
        {"multiple": "1000", "min_amount": "3000", "min_count": 3, "window_days": 7},
    ),
    (
        "expected-activity",
        "Three times the expected monthly activity in 30 days",
        "expected_activity",
        "windowed",
        2,
        {"window_days": 30, "multiple_of_expected": 3},
    ),
    (
        "new-counterparty-large",
        "10,000 or more to a counterparty not paid in a year",
        "new_counterparty_large",
        "real_time",
        2,
        {"min_amount": "10000", "lookback_days": 365},
    ),
]


def create_default_rules(apps, schema_editor) -> None:
    """Write the default rules, version 1, with the migration's historical models (no audit record: set-up)."""
    rule_model = apps.get_model("compliance", "MonitoringRule")
    version_model = apps.get_model("compliance", "MonitoringRuleVersion")
    for code, name, kind, schedule, severity, parameters in DEFAULT_RULES:
        rule, created = rule_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "schedule": schedule,
                "severity": severity,
                "parameters": parameters,
                "active": True,
                "version": 1,
                "updated_by": "migration",
            },
        )
        if created:
            version_model.objects.create(
                rule=rule,
                version=1,
                kind=kind,
                schedule=schedule,
                parameters=parameters,
                severity=severity,
                active=True,
                created_by="migration",
            )
