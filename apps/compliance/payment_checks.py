"""Sanctions screening of both parties of every payment, plugged into the gateway's check registry.

A potential match holds the payment (HELD: the money is not reserved or sent until an officer releases or
rejects it); the reason names the list entries and scores, never the screened names (they are PII, and the
reason is stored in the payment's history in clear).
"""

from __future__ import annotations

from apps.payments import checks

from .screening import screen_name

NAME = "compliance.sanctions"


def sanctions_check(payment) -> checks.CheckResult:
    found = []
    for role, name, country in (
        ("debtor", payment.debtor_name, payment.debtor_country),
        ("creditor", payment.creditor_name, payment.creditor_country),
    ):
        if not name:
            continue
        result = screen_name(name=name, country=country or None)
        if result.decision == "potential_match":
            best = result.hits[0]
            found.append(f"{role} ~ {best.list} {best.entry_id} (score {best.score:.2f})")
    if found:
        return checks.CheckResult.hold("sanctions screening: " + "; ".join(found), code="sanctions_hit")
    return checks.CheckResult.passed()


def register() -> None:
    checks.register(NAME, sanctions_check)
