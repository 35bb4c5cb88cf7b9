"""Request id: taken from ``X-Request-ID`` when a proxy sets one, otherwise generated; echoed back."""

import re
import uuid

from django.urls import resolve

from . import request_context

_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _SAFE.match(incoming) else uuid.uuid4().hex
        token = request_context.publish(request)  # read by the audit trail: request id, client IP, principal
        try:
            response = self.get_response(request)
        finally:
            request_context.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


# Liveness/readiness and the Prometheus scrape: answered before SecurityMiddleware and CommonMiddleware.
PROBE_PATHS = frozenset({"/health", "/metrics"})


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
