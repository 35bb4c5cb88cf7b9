"""Celery tasks of screening: take ids, call one service, safe to retry (a rescreen adds no alert twice)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="compliance.rescreen", acks_late=True)
def rescreen(*, run_id: str) -> dict:
    from .alerts import rescreen_run

    run = rescreen_run(run_id=run_id)
    return {"run": run.public_id, "status": run.status, "done": run.done, "alerts_raised": run.alerts_raised}
