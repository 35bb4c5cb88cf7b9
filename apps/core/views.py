"""Error pages: JSON in the API's error shape for API paths, HTML elsewhere."""

import sys

from django.http import JsonResponse
from django.shortcuts import render

from apps.core.outage import database_outage


def _wants_json(request) -> bool:
    return request.path.startswith(("/api/", "/health"))


def not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"error": {"code": "not_found", "message": "no such endpoint", "field": None}}, status=404)
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # Django calls this inside its ``except`` block, so the exception is at hand: a database outage outside a
    # DRF view (middleware, the portal, the admin) is a 503, not a 500.
    outage = database_outage(sys.exc_info()[1], request)
    if outage is not None:
        if _wants_json(request):
            response = JsonResponse(outage.body(), status=outage.http_status)
        else:
            response = render(request, "errors/503.html", {"outage": outage}, status=outage.http_status)
        response["Retry-After"] = str(outage.retry_after)
        return response
    if _wants_json(request):
        body = {"error": {"code": "internal_error", "message": "internal error; it has been logged", "field": None}}
        return JsonResponse(body, status=500)
    return render(request, "errors/500.html", status=500)
