"""Reads of approval requests. Never write, never lock."""

from __future__ import annotations

from django.db.models import QuerySet

from .errors import ApprovalNotFound
from .models import ApprovalRequest


def approval_list(*, status: str | None = None, kind: str | None = None) -> QuerySet:
    qs = ApprovalRequest.objects.select_related("maker", "maker_client", "checker")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def approval_get(*, public_id: str) -> ApprovalRequest:
    approval = (
        ApprovalRequest.objects.select_related("maker", "maker_client", "checker").filter(public_id=public_id).first()
    )
    if approval is None:
        raise ApprovalNotFound(f"no approval request {public_id}", field="approval")
    return approval


def approval_exists_for_key(*, idempotency_key: str) -> bool:
    return ApprovalRequest.objects.filter(idempotency_key=idempotency_key).exists()
