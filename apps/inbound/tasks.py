"""Celery tasks over the inbound services: they take ids, call one service, and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def send_inbound_return(*, inbound_id: str) -> str:
    return services.inbound_return_send(inbound_id=inbound_id)


@shared_task
def inbound_tick() -> dict[str, int]:
    return services.inbound_tick()


@shared_task(acks_late=True)
def send_recall_answer(*, recall_id: str) -> str:
    return services.recall_answer_send(recall_id=recall_id)
