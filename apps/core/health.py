"""Liveness and readiness: what a load balancer or Kubernetes asks before it sends traffic here.

Liveness is "this process answers" and is always 200 (restarting the app does not bring a database
back). Readiness names each dependency's state and is 503 when a *required* one is down:

* the database is always required;
* Redis (when configured) is required only when ``QENEX_THROTTLE_ON_REDIS_FAILURE=closed``, because then
  every API call is refused without it. With the default ``open`` the API keeps serving without rate
  limits, so readiness reports ``"redis": "down"`` and ``"status": "degraded"`` but stays 200 - taking
  every instance out of service because the rate limiter is down would turn a degradation into an outage.

The views only render what ``readiness()`` returns, so any view or probe can share the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import connection

OK, DOWN, NOT_CONFIGURED = "ok", "down", "not configured"


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return OK if cursor.fetchone() == (1,) else DOWN
    except Exception:  # noqa: BLE001 - any failure means "not usable"
        return DOWN


def redis_status() -> str:
    if not settings.REDIS_URL:
        return NOT_CONFIGURED
    try:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
        try:
            return OK if client.ping() else DOWN
        finally:
            client.close()
    except Exception:  # noqa: BLE001
        return DOWN


def redis_required() -> bool:
    return bool(settings.REDIS_URL) and settings.QENEX_THROTTLE_ON_REDIS_FAILURE == "closed"


@dataclass(frozen=True)
class Readiness:
    ready: bool
    body: dict

    @property
    def http_status(self) -> int:
        return 200 if self.ready else 503


def readiness() -> Readiness:
    """Check every dependency; ready when each required one is up."""
    states = {"database": database_status(), "redis": redis_status()}
    required = {"database"} | ({"redis"} if redis_required() else set())
    ready = all(states[name] == OK for name in required)
    degraded = any(state == DOWN for state in states.values())
    status = "unavailable" if not ready else ("degraded" if degraded else "ok")
    return Readiness(ready, {"status": status, **states})
