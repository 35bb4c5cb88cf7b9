"""Request id: taken from ``X-Request-ID`` when a proxy sets a well-formed one, otherwise generated; echoed back.

The id reaches the response headers, the logs and the audit trail (``request_id``, 64 characters), so a
client-chosen value is kept only when it is 1-64 characters of ``[A-Za-z0-9._:-]``; anything else (a newline,
spaces, other bytes, too long) is replaced, never reflected.
"""

import re
import uuid

from django.urls import Resolver404, resolve

from . import request_context
from .outage import commits_so_far

_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id_from(incoming: str) -> str:
    """Return ``incoming`` when it is a well-formed request id, else a fresh one."""
    # fullmatch, not match(^...$): "$" also matches before a trailing newline.
    return incoming if _WELL_FORMED.fullmatch(incoming) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_from(request.headers.get("X-Request-ID", ""))
        request.db_commits_at_start = commits_so_far()  # so an outage after a commit is not "nothing changed"
        token = request_context.publish(request)  # read by the audit trail: request id, client IP, principal
        try:
            response = self.get_response(request)
        finally:
            request_context.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


class RefuseHostileRequestMiddleware:
    """Answer in the API's JSON error shape, before any view runs, what would otherwise be a 500 or HTML.

    A NUL in the path or query string reaches PostgreSQL (which refuses NUL in text) as a 500; a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE makes Django answer with an HTML 400 page. Here they are 400
    ``invalid_characters`` and 413 ``request_too_large``. A view that takes a file upload declares the largest
    multipart body it accepts (``max_body_bytes``, set by ``apps.portal.uploads.accepts_upload``); it limits the
    file itself while the body is read.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.http import JsonResponse

        from apps.core.api.exception_handler import error_body

        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit and request.content_type == "multipart/form-data":
            limit = max(limit, _upload_limit(request))
        if limit is not None and length > limit:
            message = f"request body is larger than {limit} bytes"
            return JsonResponse(error_body("request_too_large", message), status=413)
        if "\x00" in request.path:
            return JsonResponse(error_body("invalid_characters", "the path must not contain NUL"), status=400)
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                message = "query parameters must not contain NUL"
                return JsonResponse(error_body("invalid_characters", message, name.replace("\x00", "")), status=400)
        return self.get_response(request)


def _upload_limit(request) -> int:
    """The largest body the view of ``request`` accepts as a file upload (0: no upload view)."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return 0
    return getattr(match.func, "max_body_bytes", 0)


# Liveness/readiness and the Prometheus scrape: answered before SecurityMiddleware and CommonMiddleware.
PROBE_PATHS = frozenset({"/health", "/health/ready", "/health/live", "/metrics"})


class ProbeMiddleware:
    """Serve the probe and scrape endpoints whatever the Host header and scheme.

    Docker's HEALTHCHECK asks for ``127.0.0.1:8080``, the kubelet and Prometheus for the pod IP, all over plain
    HTTP without ``X-Forwarded-Proto``. Behind ``ALLOWED_HOSTS`` and ``SECURE_SSL_REDIRECT`` they would get 400
    DisallowedHost or 301. These two exact paths (GET/HEAD only) build no absolute URLs and set no cookies, so
    the Host header is irrelevant to them; every other path keeps the full host and HTTPS checks. Placed right
    after ``PrometheusBeforeMiddleware`` and before ``SecurityMiddleware``; the views themselves decide access
    (``/metrics`` wants the scrape token in production).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info not in PROBE_PATHS or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        match = resolve(request.path_info)
        response = match.func(request, *match.args, **match.kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()  # a DRF Response: the handler would render it after the middleware
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Cache-Control", "no-store")
        return response
