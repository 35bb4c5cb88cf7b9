"""The payment check registry: ``apps.core.checks`` bound to the ``payment`` kind.

A check takes the payment order (fields all set, nothing written yet) and answers pass, hold (an officer must
release or reject the payment) or reject. It runs inside the order's transaction and must not write.
"""

from __future__ import annotations

from apps.core import checks as _checks
from apps.core.checks import Check, CheckResult, Outcome, Verdict  # noqa: F401 (re-export)

KIND = "payment"


def register(name: str, check: Check) -> None:
    _checks.register(KIND, name, check)


def unregister(name: str) -> None:
    _checks.unregister(KIND, name)


def registered() -> tuple[str, ...]:
    return _checks.registered(KIND)


def run(payment: object) -> Outcome:
    return _checks.run(KIND, payment)
