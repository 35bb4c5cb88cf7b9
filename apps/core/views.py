"""Error pages (JSON in the API's error shape for API paths, HTML elsewhere) and the Prometheus scrape view."""

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from prometheus_client import CONTENT_TYPE_LATEST

from apps.core.metrics import exposition, scrape_refusal
from apps.core.outage import database_outage


def _wants_json(request) -> bool:
    return request.path.startswith(("/api/", "/health")) or request.path == "/metrics"


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "field": None}}, status=status)


def not_found(request, exception=None):
    if _wants_json(request):
        return _error("not_found", "no such endpoint", 404)
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # Django calls this inside its ``except`` block, so the exception is at hand: a database outage outside a
    # DRF view (middleware, the portal, the admin) is a 503, not a 500.
    outage = database_outage(sys.exc_info()[1], request)
    if outage is not None:
        if _wants_json(request):
            response = JsonResponse(outage.body(), status=outage.http_status)
        else:
            # Without the request: its context processors (the portal's menu) read the user from the database
            # that just went away, and would raise again inside this handler (a bare 500).
            response = HttpResponse(
                loader.render_to_string("errors/503.html", {"outage": outage}), status=outage.http_status
            )
        response["Retry-After"] = str(outage.retry_after)
        return response
    if _wants_json(request):
        return _error("internal_error", "internal error; it has been logged", 500)
    return render(request, "errors/500.html", status=500)


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition, for the scraper only (the same rule and content as the ``metrics.port`` listener)."""
    refusal = scrape_refusal(request.headers.get("Authorization", ""))
    if refusal is not None:
        status, code, message = refusal
        response = _error(code, message, status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
