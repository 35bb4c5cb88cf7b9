"""The four-eyes gate of the API: run an operation now, or answer 202 with an approval request instead.

Every maker passes through it alike — a staff user signed in with a session or an API client with a key (a
machine maker). What needs approval is decided by ``apps.approvals.policy``; this module only applies it:
- a retry whose Idempotency-Key already made an approval request answers with that request (202), and one whose
  key already made a posting goes to the service, which answers with that posting, so a retry never changes
  route when the velocity sum moves;
- otherwise, holding the maker's per-account lock (``apps.approvals.locks``), it asks the policy and either
  submits the operation for approval or runs it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from rest_framework import status
from rest_framework.response import Response

from apps.approvals import policy, selectors, services
from apps.approvals.locks import maker_serialized
from apps.core.api.idempotency import actor_of
from apps.ledger.movements import Movement

from .serializers import ApprovalSerializer


def is_staff_session(request) -> bool:
    return request.user.is_authenticated and getattr(request.user, "api_key", None) is None


def maker_of(request):
    """The request's maker: its API client, or the staff user."""
    key = getattr(request.user, "api_key", None)
    return request.user if key is None else key.client


def jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as plain JSON: decimals become strings (amounts travel as strings), absent fields drop."""
    return json.loads(json.dumps({k: v for k, v in payload.items() if v is not None}, cls=DjangoJSONEncoder))


def submit_for_approval(request, *, kind: str, payload: dict[str, Any], idempotency_key: str | None = None) -> Response:
    approval = services.approval_request(
        kind=kind, payload=jsonable(payload), maker=maker_of(request), idempotency_key=idempotency_key
    )
    return Response(ApprovalSerializer(approval).data, status=status.HTTP_202_ACCEPTED)


def four_eyes(
    request,
    *,
    kind: str,
    payload: dict[str, Any],
    movements: list[Movement],
    run: Callable[[], Response],
    idempotency_key: str | None = None,
    done_before: bool = False,
    always: bool = False,
) -> Response:
    """Answer 202 with an approval request when the policy (or ``always``) says so, else ``run()`` the operation.

    ``done_before``: the idempotency key already produced the direct result (the service replays it).
    """
    if idempotency_key and selectors.approval_exists_for_key(idempotency_key=idempotency_key):
        return submit_for_approval(request, kind=kind, payload=payload, idempotency_key=idempotency_key)
    if done_before:
        return run()
    actor = actor_of(request)
    with maker_serialized(actor=actor, refs=[m.ref for m in movements]):
        if always or policy.approval_reason(actor=actor, movements=movements):
            return submit_for_approval(request, kind=kind, payload=payload, idempotency_key=idempotency_key)
        return run()
