"""Error pages (JSON in the API's error shape for API paths, HTML elsewhere) and the Prometheus scrape view."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django_prometheus.exports import ExportToDjangoView


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or request.path in ("/health", "/metrics")


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "field": None}}, status=status)


def not_found(request, exception=None):
    if _wants_json(request):
        return _error("not_found", "no such endpoint", 404)
    return render(request, "errors/404.html", status=404)


def server_error(request):
    if _wants_json(request):
        return _error("internal_error", "internal error; it has been logged", 500)
    return render(request, "errors/500.html", status=500)


def _bearer(request: HttpRequest) -> str:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition, for the scraper only.

    With ``QENEX_METRICS_TOKEN`` set the request must carry ``Authorization: Bearer <token>``. Without a token,
    production does not serve the metrics at all (404: they show the posted volume) and development/test
    serve them openly. ``metrics.enabled=false`` turns the endpoint off everywhere.
    """
    if not settings.QENEX["metrics"]["enabled"]:
        return _error("not_found", "no such endpoint", 404)
    token = settings.QENEX_METRICS_TOKEN
    if not token:
        if settings.QENEX_METRICS_REQUIRE_TOKEN:
            return _error("not_found", "no such endpoint", 404)
        return ExportToDjangoView(request)
    if not hmac.compare_digest(_bearer(request).encode(), token.encode()):
        response = _error("not_authenticated", "the metrics need 'Authorization: Bearer <scrape token>'", 401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return ExportToDjangoView(request)
