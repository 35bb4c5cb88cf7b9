"""Reads of screening alerts and the allow/block lists (never write, never lock)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q, QuerySet

from apps.core.errors import NotFound

from .alert_models import AlertStatus, AllowListEntry, BlockListEntry, RescreenRun, ScreeningAlert, SubjectType

# Alerts that stop a customer's money: not yet decided, or decided a true match.
STOPPING = (AlertStatus.OPEN, AlertStatus.CONFIRMED)


class AlertNotFound(NotFound):
    code = "alert_not_found"


def alert_get(*, public_id: str) -> ScreeningAlert:
    alert = ScreeningAlert.objects.filter(public_id=public_id).first()
    if alert is None:
        raise AlertNotFound(f"no screening alert {public_id}", field="alert")
    return alert


def alert_list(
    *, status: str | None = None, subject_type: str | None = None, subject_id: str | None = None
) -> QuerySet[ScreeningAlert]:
    qs = ScreeningAlert.objects.order_by("-id")
    if status:
        qs = qs.filter(status=status)
    if subject_type:
        qs = qs.filter(subject_type=subject_type)
    if subject_id:
        qs = qs.filter(subject_id=subject_id)
    return qs


DECIDED = (AlertStatus.CLEARED, AlertStatus.CONFIRMED)


def decision_list(
    *,
    decision: str | None = None,
    officer: str | None = None,
    decided_from: datetime | None = None,
    decided_until: datetime | None = None,
) -> QuerySet[ScreeningAlert]:
    """Decided alerts (cleared or confirmed), latest decision first: who decided what, when and why.

    ``decision`` is ``cleared`` or ``confirmed``; ``officer`` the deciding user's name; [from, until) the decision time.
    """
    qs = ScreeningAlert.objects.filter(status__in=DECIDED).order_by("-decided_at", "-id")
    if decision:
        qs = qs.filter(status=decision)
    if officer:
        qs = qs.filter(decided_by=officer)
    if decided_from is not None:
        qs = qs.filter(decided_at__gte=decided_from)
    if decided_until is not None:
        qs = qs.filter(decided_at__lt=decided_until)
    return qs


def subject_alert_statuses(*, subject_type: str, subject_id: str) -> set[str]:
    return set(
        ScreeningAlert.objects.filter(subject_type=subject_type, subject_id=subject_id)
        .values_list("status", flat=True)
        .distinct()
    )


def open_alert_count(*, subject_type: str, subject_id: str) -> int:
    return ScreeningAlert.objects.filter(
        subject_type=subject_type, subject_id=subject_id, status=AlertStatus.OPEN
    ).count()


def customers_with_stopping_hits(*, owner_ids: Iterable[str]) -> set[str]:
    """The customers among ``owner_ids`` with an open or confirmed screening alert (one query)."""
    owner_ids = [o for o in owner_ids if o]
    if not owner_ids:
        return set()
    return set(
        ScreeningAlert.objects.filter(
            subject_type=SubjectType.CUSTOMER, owner_id__in=owner_ids, status__in=STOPPING
        ).values_list("owner_id", flat=True)
    )


def customers_of_accounts_with_stopping_hits(*, accounts: list[str]) -> set[str]:
    """The owners of ``accounts`` with an open or confirmed customer alert: one query (accounts as a subquery)."""
    from apps.accounts.selectors import owner_ids_query

    accounts = [a for a in accounts if a]
    if not accounts:
        return set()
    return set(
        ScreeningAlert.objects.filter(
            subject_type=SubjectType.CUSTOMER,
            owner_id__in=owner_ids_query(public_ids=accounts),
            status__in=STOPPING,
        ).values_list("owner_id", flat=True)
    )


def allow_list(*, active: bool = True) -> QuerySet[AllowListEntry]:
    qs = AllowListEntry.objects.order_by("-id")
    return qs.filter(revoked_at__isnull=True) if active else qs


def block_list(*, active: bool = True) -> QuerySet[BlockListEntry]:
    qs = BlockListEntry.objects.order_by("-id")
    return qs.filter(revoked_at__isnull=True) if active else qs


def rescreen_get(*, public_id: str) -> RescreenRun:
    run = RescreenRun.objects.filter(public_id=public_id).first()
    if run is None:
        raise NotFound(f"no rescreen run {public_id}", field="run", code="rescreen_not_found")
    return run


# --- data-subject rights (apps.privacy calls these) -------------------------------------------------------------
def alerts_of_subject(*, subject_id: str) -> QuerySet[ScreeningAlert]:
    """Screening alerts on the customer (onboarding, rescreen) or stopping their money (their payments)."""
    return ScreeningAlert.objects.filter(
        Q(subject_type=SubjectType.CUSTOMER, subject_id=subject_id) | Q(owner_id=subject_id)
    )


def subject_decided_alerts(*, subject_id: str) -> list[dict]:
    """The alerts on the customer a subject-access export may show: cleared ones only. Open and confirmed ones
    are left out (telling the subject about a suspicion is tipping-off, AMLD art. 39; GDPR art. 23)."""
    return [
        {
            "id": a.public_id,
            "list": a.list_code,
            "status": a.status,
            "decided_at": a.decided_at.isoformat() if a.decided_at else None,
        }
        for a in alert_list(subject_type=SubjectType.CUSTOMER, subject_id=subject_id, status=AlertStatus.CLEARED)
    ]
