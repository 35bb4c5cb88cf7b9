"""Health and system status: unauthenticated, and they reveal no customer data."""

from __future__ import annotations

import time

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import health
from apps.core.status import system_status

STARTED_AT = time.time()


class HealthView(APIView):
    """Readiness (``/health`` and ``/health/ready``): 503 when a required dependency is down."""

    public = True
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(summary="Readiness: database and Redis status", responses={200: dict, 503: dict})
    def get(self, request):
        state = health.readiness()
        return Response(state.body, status=state.http_status)


class LivenessView(APIView):
    """Liveness (``/health/live``): the process answers. Always 200; it touches no dependency."""

    public = True
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(summary="Liveness", responses={200: dict})
    def get(self, request):
        return Response({"status": "ok"})


class SystemStatusView(APIView):
    """What is really running. Public; software versions only for API keys and staff where the docs are closed."""

    public = True

    @extend_schema(summary="Version, components and enabled features", responses={200: dict})
    def get(self, request):
        user = request.user
        include_versions = settings.QENEX_API_DOCS_PUBLIC or bool(user and user.is_authenticated)
        report = system_status(include_versions=include_versions)
        report["uptime_seconds"] = int(time.time() - STARTED_AT)
        return Response(report)
