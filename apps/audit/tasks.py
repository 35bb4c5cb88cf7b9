"""Celery tasks over audit services: safe to run twice (a second run finds the head already signed)."""

from celery import shared_task

from .services import audit_checkpoint_create


@shared_task(name="apps.audit.tasks.audit_checkpoint")
def audit_checkpoint() -> int | None:
    """Sign every shard's current head; return the newest record's sequence signed, or None when nothing was new."""
    checkpoint = audit_checkpoint_create()
    return checkpoint.sequence if checkpoint is not None else None
