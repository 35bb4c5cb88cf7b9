"""Celery tasks over ledger services: take ids, call a service, safe to run twice."""

from celery import shared_task

from .services import holds_expire


@shared_task(name="apps.ledger.tasks.expire_holds")
def expire_holds() -> int:
    return holds_expire()
