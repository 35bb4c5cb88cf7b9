"""What is really running, for ``/api/v1/system/status``: database, broker, Celery workers and beat, features.

Reads only. Each probe is bounded (Redis 1 s, Celery ping 0.5 s) and caught, so a broker that is down makes the
report "degraded", never a 500. The Celery and broker probes are cached per process for ``CACHE_SECONDS``, so a
public endpoint cannot be used to flood the broker with pings.
"""

from __future__ import annotations

import platform
import threading
import time
from datetime import timedelta
from typing import Any

import celery
import django
from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.core import health

CACHE_SECONDS = 10.0
PING_TIMEOUT_SECONDS = 0.5
# Beat sends expire-holds every minute and the database scheduler saves last_run_at every few minutes.
BEAT_STALE_AFTER = timedelta(minutes=10)
# The seed's feature flags that have an implementation here register a probe (``register_feature``) saying whether
# it really runs and what it runs with (apps.fraud: the model version loaded, or "no model"). A flag set to true
# without a probe is reported as configured, not as running.
_feature_probes: dict[str, Any] = {}


def register_feature(name: str, probe) -> None:
    """``probe() -> {"running": bool, ...details}``, asked only while the flag is on."""
    _feature_probes[name] = probe

_lock = threading.Lock()
_cached: tuple[float, dict[str, Any]] | None = None


def database_status() -> dict[str, Any]:
    # The same check readiness uses (apps.core.health): one rule for "the database answers".
    return {"status": health.database_status(), "vendor": connection.vendor}


def _database_version() -> str:
    try:
        if connection.vendor == "postgresql":
            major, minor = divmod(connection.pg_version, 10000)
            return f"{major}.{minor}"
        return getattr(connection.Database, "sqlite_version", "")
    except Exception:  # noqa: BLE001
        return ""


def broker_status() -> dict[str, Any]:
    if not settings.REDIS_URL:
        return {"status": "not configured"}
    try:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
        return {"status": "ok", "redis_version": client.info("server").get("redis_version", "")}
    except Exception:  # noqa: BLE001
        return {"status": "down"}


def workers_status(*, broker: str) -> dict[str, Any]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "eager", "detail": "tasks run inside the web process; no worker is needed"}
    if broker != "ok":
        return {"status": "unknown", "detail": f"the broker is {broker}"}
    try:
        from qenex.celery import app

        replies = app.control.ping(timeout=PING_TIMEOUT_SECONDS) or []
    except Exception:  # noqa: BLE001
        return {"status": "down", "answered": 0}
    return {"status": "ok" if replies else "down", "answered": len(replies)}


def beat_status() -> dict[str, Any]:
    try:
        from django.db.models import Max
        from django_celery_beat.models import PeriodicTask

        last = PeriodicTask.objects.aggregate(last=Max("last_run_at"))["last"]
    except Exception:  # noqa: BLE001
        return {"status": "unknown"}
    if last is None:
        return {"status": "never ran"}
    stale = timezone.now() - last > BEAT_STALE_AFTER
    return {"status": "stale" if stale else "ok", "last_run_at": last.isoformat()}


def features_status() -> dict[str, dict[str, Any]]:
    report: dict[str, dict[str, Any]] = {}
    for name, enabled in settings.QENEX_FEATURES.items():
        entry: dict[str, Any] = {"configured": bool(enabled), "running": False}
        probe = _feature_probes.get(name)
        if enabled and probe is not None:
            try:
                entry.update(probe())
            except Exception:  # noqa: BLE001 - a probe that fails reports the feature as not running
                entry["running"] = False
        report[name] = entry
    return report


def _background() -> tuple[dict[str, Any], str]:
    """Broker, workers and beat, and the Redis version: cached, since they cost round trips and a ping."""
    global _cached
    with _lock:
        now = time.monotonic()
        if _cached is None or now - _cached[0] >= CACHE_SECONDS:
            broker = broker_status()
            components = {
                "broker": {"status": broker["status"]},
                "workers": workers_status(broker=broker["status"]),
                "beat": beat_status(),
            }
            _cached = (now, {"components": components, "redis_version": broker.get("redis_version", "")})
        return _cached[1]["components"], _cached[1]["redis_version"]


def clear_cache() -> None:
    global _cached
    with _lock:
        _cached = None


def system_status(*, include_versions: bool) -> dict[str, Any]:
    """Return the status report; ``include_versions`` adds software versions (not for anonymous production callers)."""
    database = database_status()
    background, redis_version = _background()
    components = {"database": database, **background}
    background_ok = settings.CELERY_TASK_ALWAYS_EAGER or all(
        components[name]["status"] == "ok" for name in ("broker", "workers", "beat")
    )
    report: dict[str, Any] = {
        "status": "operational" if database["status"] == "ok" and background_ok else "degraded",
        "version": settings.QENEX_VERSION,
        "environment": settings.QENEX_ENV,
        "components": components,
        "features": features_status(),
    }
    if include_versions:
        report["versions"] = {
            "qenex": settings.QENEX_VERSION,
            "python": platform.python_version(),
            "django": django.get_version(),
            "celery": celery.__version__,
            "database": _database_version(),
            "redis": redis_version,
        }
    return report
