"""Celery tasks of the fraud app: thin wrappers over one service each."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from . import services


@shared_task
def retrain(now: str | None = None) -> dict:
    """Daily (beat ``fraud-retrain``, QENEX_FRAUD_RETRAIN_AT): train a candidate, promote it if not worse.

    ``now`` (ISO 8601) stands in for the clock: which days are trained on and held out."""
    return services.model_retrain(now=datetime.fromisoformat(now) if now else None, actor="task:fraud_retrain")
