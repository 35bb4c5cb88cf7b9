"""Celery tasks over the webhook services: take ids, call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from . import selectors, services


@shared_task(name="apps.events.tasks.webhooks_tick")
def webhooks_tick() -> int:
    """Beat, every few seconds: new events into deliveries, then one delivery task per delivery that is due."""
    services.webhooks_dispatch()
    due = selectors.deliveries_due(now=timezone.now())
    for delivery_id in due:
        transaction.on_commit(lambda d=delivery_id: webhook_deliver.delay(d))
    return len(due)


@shared_task(name="apps.events.tasks.webhook_deliver")
def webhook_deliver(delivery_id: str) -> str | None:
    result = services.webhook_deliver(delivery_id=delivery_id)
    return result.status if result else None


@shared_task(name="apps.events.tasks.outbox_prune")
def outbox_prune() -> int:
    """Beat, hourly: delete relayed outbox rows past their retention, in bounded batches."""
    return services.outbox_prune()
