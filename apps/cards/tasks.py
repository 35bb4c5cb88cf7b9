"""Celery tasks over card services: no arguments beyond ids, safe to run twice."""

from celery import shared_task

from .services import authorisations_expire


@shared_task(name="apps.cards.tasks.expire_authorisations")
def expire_authorisations() -> int:
    """Mark authorisations never cleared nor reversed, whose hold lapsed, as EXPIRED (beat, every minute)."""
    return authorisations_expire()
