"""Celery tasks over data-protection services: safe to run twice, safe to run on a schedule."""

from celery import shared_task

from .services import kek_rotate_if_due


@shared_task(name="apps.security.tasks.rotate_keys_if_due")
def rotate_keys_if_due() -> dict | None:
    """Rotate the KEK when ``security.key_rotation_days`` have passed, and finish any pending re-wrap."""
    report = kek_rotate_if_due()
    if report is None:
        return None
    return {
        "kek_id": report.kek_id,
        "to_version": report.to_version,
        "rewrapped": report.rewrapped,
        "failed": report.failed,
        "remaining": report.remaining,
    }
