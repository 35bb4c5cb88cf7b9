"""Health and system status: unauthenticated, and they reveal no customer data."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

STARTED_AT = time.time()


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        return False


def _redis_status() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    try:
        import redis

        return "ok" if redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1).ping() else "down"
    except Exception:  # noqa: BLE001
        return "down"


class HealthView(APIView):
    public = True
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(summary="Liveness and readiness", responses={200: dict, 503: dict})
    def get(self, request):
        db_ok = _database_ok()
        body = {"status": "ok" if db_ok else "unavailable", "database": "ok" if db_ok else "down"}
        return Response(body, status=200 if db_ok else 503)


class SystemStatusView(APIView):
    public = True
    authentication_classes: list = []

    @extend_schema(summary="Version, components and enabled features", responses={200: dict})
    def get(self, request):
        db_ok = _database_ok()
        redis_state = _redis_status()
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
