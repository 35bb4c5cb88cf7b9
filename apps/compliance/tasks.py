"""Celery tasks of AML monitoring and reporting: each takes ids or a day, calls one service, is safe to run twice."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from .monitoring import services as monitoring


@shared_task(acks_late=True)
def monitor_transactions(*, transaction_ids: list[str]) -> int:
    """Real-time rules on what one posting transaction committed; the number of alerts raised."""
    return len(monitoring.transactions_evaluate(transaction_ids=transaction_ids))


@shared_task(acks_late=True)
def monitor_payment(*, payment_id: str) -> int:
    """The payment rules on a committed payment. The payment check now evaluates them inline (so that a hit can hold
    the money); kept for tasks queued before that and for re-evaluating a payment by hand."""
    return len(monitoring.payment_evaluate(payment_id=payment_id))


@shared_task(acks_late=True)
def monitoring_sweep() -> int:
    """Beat: every rule over what was posted since the last sweep (windowed rules, and a catch-up of the others),
    and the alerts of payments held without one."""
    result = monitoring.monitoring_sweep()
    return len(result.alerts) + len(result.orphaned_holds) if result else 0


@shared_task(acks_late=True)
def generate_ctrs(*, day: str | None = None) -> int:
    """Beat, daily: a CTR draft for each customer whose cash in or out on the business day is over the threshold."""
    from .reports import services as reports

    return len(reports.ctrs_generate(day=date.fromisoformat(day) if day else None))


@shared_task(acks_late=True)
def generate_fbars(*, year: int | None = None) -> int:
    """Beat, yearly (January): an FBAR draft for each US-person customer whose foreign accounts' aggregate maximum
    value last year was more than USD 10,000 (FinCEN's due date is April 15th)."""
    from .reports import services as reports

    return len(reports.fbars_generate(year=year))
