"""Health and system status: unauthenticated, and they reveal no customer data."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import health

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
    public = True
    authentication_classes: list = []

    @extend_schema(summary="Version, components and enabled features", responses={200: dict})
    def get(self, request):
        db_ok = health.database_status() == health.OK
        redis_state = health.redis_status()
        components = {
            "database": {"status": "ok" if db_ok else "down", "vendor": connection.vendor},
            "redis": {"status": redis_state},
            "celery": {"mode": "eager" if settings.CELERY_TASK_ALWAYS_EAGER else "worker"},
        }
        healthy = db_ok and redis_state != "down"
        return Response(
            {
                "status": "operational" if healthy else "degraded",
                "version": settings.QENEX_VERSION,
                "environment": settings.QENEX_ENV,
                "uptime_seconds": int(time.time() - STARTED_AT),
                "components": components,
                "features": settings.QENEX_FEATURES,
            }
        )
