"""Celery tasks over the reconciliation services: they take ids, call one service, and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task
def reconcile_due() -> list[str]:
    """Daily (beat): reconcile every imported statement that has no run yet."""
    return [run.public_id for run in services.reconciliation_run_due(actor="beat")]


@shared_task
def reconcile_statement(*, statement_id: str) -> str:
    return services.reconciliation_run(statement_id=statement_id, actor="task").public_id
