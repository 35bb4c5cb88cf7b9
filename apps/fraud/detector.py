"""The seed's call: ``is_fraud, probability, analysis = await FraudDetector().predict(transaction)``.

``transaction`` is the seed's dict: ``amount`` (major units), ``merchant_category`` (an MCC such as ``"5732"``; a
name the model never saw, like ``"electronics"``, counts as unknown), ``country``, ``account_age_days``,
``daily_count`` (the customer's transactions in the last 24 h) and ``velocity_score`` (read as the transactions in
the last hour). Optional: ``average_amount`` (the customer's usual amount; default ``amount``), ``counterparty_id``,
``channel`` (``card`` or ``transfer``), ``timestamp`` (ISO 8601; default now), ``currency`` (default EUR), and
``customer_id``: with it, the customer's real history is read from the ledger and payments instead of being
built from ``daily_count`` / ``velocity_score``; and ``device_id`` (the device the customer uses, as a payment's
``device_id``): it is compared by its blind index, like a payment's, with the customer's earlier payments
(``new_device``; without ``customer_id`` there is no history to know it from, so a named device is new) and with
every customer's payments from it in the last 30 days (``device_customers_30d``).

The same model, features and thresholds as the inline checks: ``is_fraud`` is ``probability >= 0.8`` (block),
``analysis["decision"]`` is ``block``, ``review`` (>= 0.5) or ``pass``, with the top contributing features. With fraud
detection switched off or no model in production: ``(False, 0.0, {"scored": False, "reason": ...})``.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connections
from django.utils import timezone

from . import runtime, scoring
from .features import FEATURE_NAMES, History


def _history_from_counts(
    *, at: datetime, daily_count: int, last_hour: int, amount: float, counterparty: str
) -> History:
    history = History()
    last_hour = min(last_hour, daily_count)
    times = [at - timedelta(hours=1) + timedelta(minutes=60 * (k + 1) / (last_hour + 1)) for k in range(last_hour)]
    earlier = daily_count - last_hour
    times += [at - timedelta(hours=24) + timedelta(hours=23 * (k + 1) / (earlier + 1)) for k in range(earlier)]
    for moment in sorted(times):
        history.append(moment.timestamp(), amount, counterparty)
    return history


def _device_index(device_id: str) -> str:
    """A device id as payments store it (their blind index), so it matches the customer's earlier payments."""
    if not device_id:
        return ""
    from apps.payments.models import PaymentOrder
    from apps.security.fields import blind_index_field_for

    return blind_index_field_for(model=PaymentOrder, source="device_id").index_value(device_id, model=PaymentOrder)


def _predict(transaction: dict[str, Any]) -> tuple[bool, float, dict[str, Any]]:
    loaded = runtime.current()
    if loaded is None:
        reason = "fraud detection is switched off" if not runtime.enabled() else "no fraud model is in production"
        return False, 0.0, {"scored": False, "model": None, "reason": reason}
    at = datetime.fromisoformat(transaction["timestamp"]) if transaction.get("timestamp") else timezone.now()
    if timezone.is_naive(at):
        at = at.replace(tzinfo=UTC)
    amount = float(transaction["amount"])
    currency = transaction.get("currency", "EUR")
    customer_id = str(transaction.get("customer_id", ""))
    counterparty = str(transaction.get("counterparty_id", "unknown"))
    age = transaction.get("account_age_days")
    subject = scoring.Transaction(
        kind="api", customer_id=customer_id, account="", counterparty_id=counterparty,
        amount_minor=round(amount * 100), currency=currency, at=at, channel=transaction.get("channel", "card"),
        country=str(transaction.get("country", "")), merchant_category=str(transaction.get("merchant_category", "")),
        account_opened=at - timedelta(days=float(age)) if age is not None else None,
        device_id=_device_index(str(transaction.get("device_id") or "")),
    )
    histories: dict[str, History] = {}
    if not customer_id:
        histories["customer"] = _history_from_counts(
            at=at, daily_count=int(transaction.get("daily_count", 0)),
            last_hour=round(float(transaction.get("velocity_score", 0))),
            amount=float(transaction.get("average_amount", amount)), counterparty="",
        )
        histories["counterparty"] = History()
    score = scoring.score(loaded, subject, **histories)
    analysis = {
        "scored": True,
        "model": score.model_version,
        "decision": score.decision,
        "explanation": score.explanation() if score.decision != "pass" else [],
        "features": dict(zip(FEATURE_NAMES, score.vector, strict=True)),
    }
    from django.conf import settings

    return score.probability >= settings.QENEX_FRAUD_BLOCK_THRESHOLD, score.probability, analysis


def _predict_in_worker(transaction: dict[str, Any]) -> tuple[bool, float, dict[str, Any]]:
    try:
        return _predict(transaction)
    finally:
        if threading.current_thread() is not threading.main_thread():
            connections.close_all()  # the worker thread's connection would otherwise stay open after the call


class FraudDetector:
    """The seed's fraud detector over the production model (``apps.fraud``)."""

    async def predict(self, transaction: dict[str, Any]) -> tuple[bool, float, dict[str, Any]]:
        return await sync_to_async(_predict_in_worker, thread_sensitive=True)(transaction)
