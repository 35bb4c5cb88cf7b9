"""Health and system status: unauthenticated, and they reveal no customer data."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.status import system_status

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


def health_report() -> tuple[dict, int]:
    """Return the /health body and status: 200 when this process can serve, 503 otherwise."""
    db_ok = _database_ok()
    body = {"status": "ok" if db_ok else "unavailable", "database": "ok" if db_ok else "down"}
    return body, 200 if db_ok else 503


class HealthView(APIView):
    """Liveness/readiness. Probes reach it at any Host over plain HTTP (apps.core.middleware.ProbeMiddleware)."""

    public = True
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(summary="Liveness and readiness", responses={200: dict, 503: dict})
    def get(self, request):
        body, status = health_report()
        return Response(body, status=status)


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
