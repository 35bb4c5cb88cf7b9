"""Celery tasks over the payment services: they take ids, call one service, and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def submit_payment(*, payment_id: str) -> str:
    outcome = services.payment_submit(payment_id=payment_id)
    # Inline (eager) Celery has no countdown: the resend is left to beat's requeue instead of spinning now.
    if outcome.retry_in is not None and not submit_payment.app.conf.task_always_eager:
        submit_payment.apply_async(kwargs={"payment_id": payment_id}, countdown=outcome.retry_in)
    return outcome.status


@shared_task
def poll_acks() -> dict[str, int]:
    return services.network_tick()


@shared_task
def ach_cutoff() -> dict[str, int]:
    return services.ach_cutoff_tick()
