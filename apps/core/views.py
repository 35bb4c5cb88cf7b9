"""Error pages: JSON in the API's error shape for API paths, HTML elsewhere."""

from django.http import JsonResponse
from django.shortcuts import render


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or request.path == "/health"


def not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"error": {"code": "not_found", "message": "no such endpoint", "field": None}}, status=404)
    return render(request, "errors/404.html", status=404)


def server_error(request):
    if _wants_json(request):
        body = {"error": {"code": "internal_error", "message": "internal error; it has been logged", "field": None}}
        return JsonResponse(body, status=500)
    return render(request, "errors/500.html", status=500)
