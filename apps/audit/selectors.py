"""Every read of the audit trail the other layers need. Never writes, never locks."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from .models import AuditCheckpoint, AuditRecord


def audit_records_for_object(*, object_type: str, object_id: str) -> QuerySet[AuditRecord]:
    """Return the object's history, oldest first."""
    return AuditRecord.objects.filter(object_type=object_type, object_id=object_id).order_by("sequence")


def audit_records_by_actor(
    *, actor: str | None = None, user_id: int | None = None, api_client_id: int | None = None
) -> QuerySet[AuditRecord]:
    """Return what an actor did (by actor name, staff user id or API client id; all given must match)."""
    qs = AuditRecord.objects.all()
    if actor is not None:
        qs = qs.filter(actor=actor)
    if user_id is not None:
        qs = qs.filter(actor_user_id=user_id)
    if api_client_id is not None:
        qs = qs.filter(actor_api_client_id=api_client_id)
    return qs.order_by("sequence")


def audit_records_between(
    *, start: datetime | None = None, end: datetime | None = None, action: str | None = None
) -> QuerySet[AuditRecord]:
    """Return the records with ``start <= occurred_at < end`` (either bound optional), oldest first."""
    qs = AuditRecord.objects.all()
    if start is not None:
        qs = qs.filter(occurred_at__gte=start)
    if end is not None:
        qs = qs.filter(occurred_at__lt=end)
    if action is not None:
        qs = qs.filter(action=action)
    return qs.order_by("sequence")


def audit_checkpoint_latest() -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.order_by("-id").first()


def audit_checkpoints_after(*, sequence: int) -> QuerySet[AuditCheckpoint]:
    """Return the checkpoints that signed a record after ``sequence``, oldest first."""
    return AuditCheckpoint.objects.filter(sequence__gt=sequence).order_by("sequence", "id")
