"""One place that turns every refused request into ``{"error": {"code", "message", "field"}}``.

Domain errors carry their own code and status; DRF's own errors (bad JSON, failed validation, missing
credentials, throttling) get stable codes too, so a client can branch on ``error.code`` alone.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.db import domain_error_for
from apps.core.errors import DomainError
from apps.core.outage import database_outage


def error_body(code: str, message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message, "field": field}
    body.update(extra)
    return {"error": body}


def _first_validation_error(detail: Any, prefix: str = "") -> tuple[str | None, str, str]:
    """Return (field, message, code) of the first error in a DRF ValidationError detail tree."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = None if key == "non_field_errors" else (f"{prefix}.{key}" if prefix else str(key))
            field, message, code = _first_validation_error(value, name or prefix)
            return field or name, message, code
    if isinstance(detail, list) and detail:
        return _first_validation_error(detail[0], prefix)
    code = getattr(detail, "code", "invalid") or "invalid"
    return (prefix or None), str(detail), code


_CODE_NAMES = {
    "required": "missing_field",
    "null": "missing_field",
    "blank": "missing_field",
    "invalid_choice": "invalid_choice",
    "max_length": "too_long",
    "invalid": "invalid_input",
}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    outage = database_outage(exc, context.get("request"))
    if outage is not None:
        return Response(outage.body(), status=outage.http_status, headers={"Retry-After": str(outage.retry_after)})
    exc = domain_error_for(exc) or exc
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.field), status=exc.http_status)
    if isinstance(exc, Http404):
        return Response(error_body("not_found", "not found"), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        field, message, code = _first_validation_error(exc.detail)
        return Response(
            error_body(_CODE_NAMES.get(code, code), message, field, details=exc.detail),
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ParseError):
        code = "malformed_json"
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        code = "unsupported_media_type"
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        code = "not_authenticated" if isinstance(exc, exceptions.NotAuthenticated) else "authentication_failed"
    elif isinstance(exc, exceptions.Throttled):
        code = "rate_limited"
    elif isinstance(exc, exceptions.PermissionDenied):
        code = getattr(exc, "default_code", "permission_denied")
        code = "permission_denied" if code == "permission_denied" else code
    elif isinstance(exc, exceptions.MethodNotAllowed):
        code = "method_not_allowed"
    elif isinstance(exc, exceptions.NotFound):
        code = "not_found"
    else:
        code = getattr(exc, "default_code", "error")
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    response.data = error_body(code, str(detail))
    return response
