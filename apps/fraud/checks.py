"""Inline fraud scoring in the check registry (``apps.core.checks``): postings that move money out, payments, cards.

Score >= ``QENEX_FRAUD_BLOCK_THRESHOLD`` (0.8): the transaction is blocked — rejected, or held for an officer,
per channel (``QENEX_FRAUD_BLOCK_ACTIONS``, default posting=reject, payment=hold, card_authorisation=reject).
Score >= ``QENEX_FRAUD_REVIEW_THRESHOLD`` (0.5): it passes and an alert goes to the review queue. Either way the
alert carries the features that raised the score most.

The alert is written after COMMIT of whatever transaction the check runs in (``transaction.on_commit``): a payment
check runs inside the order's transaction and must not write, and a refused payment leaves no alert of a payment
that does not exist; posting checks run before their transaction, so there it is written at once. Scoring only
reads (no row locks). With fraud detection switched off or no model in production each check returns at once.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from apps.core import checks as registry
from apps.core.checks import CheckResult

from . import runtime, scoring

logger = logging.getLogger(__name__)
NAME = "fraud.model"
CODE = "fraud_suspected"


def block_action(kind: str) -> str:
    actions = dict(
        part.strip().split("=", 1) for part in settings.QENEX_FRAUD_BLOCK_ACTIONS.split(",") if "=" in part
    )
    action = actions.get(kind, "reject").strip()
    return action if action in ("hold", "reject") else "reject"


def _record_later(score: scoring.Score, action: str) -> None:
    from .services import alert_record

    def record() -> None:
        try:
            alert_record(score=score, action=action)
        except Exception:  # noqa: BLE001 - the transaction is decided; a lost alert is logged, not raised
            logger.exception("fraud alert for %s could not be recorded", score.transaction.reference or "a posting")

    transaction.on_commit(record)


def _decide(transaction_: scoring.Transaction | None, loaded: runtime.Loaded) -> CheckResult:
    if transaction_ is None:
        return CheckResult.passed()
    score = scoring.score(loaded, transaction_)
    details = {"score": round(score.probability, 4), "model": score.model_version}
    if score.decision == "pass":
        return CheckResult.passed(**details)
    if score.decision == "review":
        _record_later(score, "passed")
        return CheckResult.passed(**details, review=True)
    action = block_action(transaction_.kind)
    _record_later(score, "held" if action == "hold" else "rejected")
    top = ", ".join(item["feature"] for item in score.explanation(top=3))
    reason = f"fraud score {score.probability:.2f} (model {score.model_version}; top features: {top or 'n/a'})"
    if action == "hold":
        return CheckResult.hold(reason, code=CODE, **details)
    return CheckResult.reject(reason, code=CODE, **details)


def posting_check(subject) -> CheckResult:
    if not getattr(subject, "moves_money_out", False):
        return CheckResult.passed()
    loaded = runtime.current()
    if loaded is None:
        return CheckResult.passed()
    return _decide(scoring.from_posting(subject), loaded)


def payment_check(payment) -> CheckResult:
    loaded = runtime.current()
    if loaded is None:
        return CheckResult.passed()
    return _decide(scoring.from_payment(payment), loaded)


def card_check(subject) -> CheckResult:
    loaded = runtime.current()
    if loaded is None:
        return CheckResult.passed()
    return _decide(scoring.from_card(subject), loaded)


def register() -> None:
    registry.register("posting", NAME, posting_check)
    registry.register("payment", NAME, payment_check)
    registry.register("card_authorisation", NAME, card_check)
