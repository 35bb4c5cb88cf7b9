"""Celery tasks of data-subject rights."""

from celery import shared_task

from .services import erasures_execute_due


@shared_task(name="apps.privacy.tasks.execute_due_erasures")
def execute_due_erasures() -> list[str]:
    """Execute the approved erasures whose retention has ended (safe to run twice: executed ones are skipped)."""
    return erasures_execute_due()
