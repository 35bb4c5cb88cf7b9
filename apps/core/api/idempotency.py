"""Reading the Idempotency-Key of an API request and scoping it to the caller.

Keys are scoped per API client (or staff user), so two clients that happen to pick the same key never
see each other's results.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from apps.core.errors import InvalidInput
from apps.core.idempotency import check_key


def caller_scope(request) -> str:
    key = getattr(request.user, "api_key", None)
    if key is not None:
        return f"client{key.client_id}"
    return f"user{request.user.pk}"


def idempotency_key_from(request, body_key: str | None = None, *, required: bool) -> str | None:
    """Return the caller-scoped key from the ``Idempotency-Key`` header or the body's ``idempotency_key``."""
    header = request.headers.get("Idempotency-Key")
    if header is not None and body_key is not None and header != body_key:
        raise InvalidInput("Idempotency-Key header and idempotency_key field differ", field="idempotency_key")
    raw = header if header is not None else body_key
    if raw is None:
        if required:
            raise InvalidInput(
                "an Idempotency-Key header is required so that a retried request is never posted twice",
                field="idempotency_key",
                code="idempotency_key_required",
            )
        return None
    check_key(raw)
    return f"{caller_scope(request)}:{raw}"


def actor_of(request) -> str:
    return str(request.user)


def keyed_response(data: Any, *, replayed: bool, created_status: int = 201) -> Response:
    """The answer to a keyed write: ``created_status`` the first time; 200 and ``Idempotent-Replayed`` on a replay.

    One rule for postings, holds and account openings, so a client can always tell a retry from a new write.
    """
    response = Response(data, status=200 if replayed else created_status)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def idempotency_header(description: str, *, required: bool = True) -> OpenApiParameter:
    """The ``Idempotency-Key`` header parameter of a keyed write, for its OpenAPI operation."""
    return OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=required, description=description)
