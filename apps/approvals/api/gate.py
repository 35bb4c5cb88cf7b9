"""Four-eyes for staff using the API with a session: answer 202 with an approval request instead.

API-key clients are machine integrations governed by their scopes; they keep the direct behaviour.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from rest_framework import status
from rest_framework.response import Response

from apps.approvals import services
from apps.approvals.policy import posting_needs_approval

from .serializers import ApprovalSerializer


def is_staff_session(request) -> bool:
    return request.user.is_authenticated and getattr(request.user, "api_key", None) is None


def posting_needs_four_eyes(request, *, amount: object, currency: str) -> bool:
    return is_staff_session(request) and posting_needs_approval(amount=amount, currency=currency)


def jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as plain JSON: decimals become strings (amounts travel as strings), absent fields drop."""
    return json.loads(json.dumps({k: v for k, v in payload.items() if v is not None}, cls=DjangoJSONEncoder))


def submit_for_approval(request, *, kind: str, payload: dict[str, Any], idempotency_key: str | None = None) -> Response:
    approval = services.approval_request(
        kind=kind, payload=jsonable(payload), maker=request.user, idempotency_key=idempotency_key
    )
    return Response(ApprovalSerializer(approval).data, status=status.HTTP_202_ACCEPTED)


def account_status_four_eyes(request, *, account_id: str, status_to: str) -> Response | None:
    """Check a staff session's permission for this status change; an unfreeze becomes an approval request.

    Freezing needs ``accounts.freeze_account`` and happens at once; FROZEN -> ACTIVE needs
    ``accounts.unfreeze_account`` and a second person's approval; any other change needs
    ``accounts.change_account``. Return the 202 response, or None to let the view execute directly.
    """
    if not is_staff_session(request):
        return None
    from apps.accounts.models import AccountStatus
    from apps.accounts.selectors import account_get
    from apps.approvals.models import ApprovalKind
    from apps.iam.permissions import require_staff_permission

    current = account_get(public_id=account_id).status
    if current == AccountStatus.FROZEN and status_to == AccountStatus.ACTIVE:
        require_staff_permission(request, "accounts.unfreeze_account")
        return submit_for_approval(request, kind=ApprovalKind.ACCOUNT_UNFREEZE, payload={"account": account_id})
    require_staff_permission(
        request, "accounts.freeze_account" if status_to == AccountStatus.FROZEN else "accounts.change_account"
    )
    return None
