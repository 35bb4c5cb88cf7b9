"""Redis dies under the API: the rate limiter follows QENEX_THROTTLE_ON_REDIS_FAILURE, readiness says so.

A throwaway redis-server on its own port that the test kills; never the shared one on 6379.
"""

from __future__ import annotations

import logging

import pytest
from prometheus_client import REGISTRY

from apps.iam.throttling import StoreFailureRule
from tests.throwaway import RedisServer

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def redis_server(tmp_path, settings, monkeypatch):
    server = RedisServer(tmp_path / "redis")
    settings.REDIS_URL = server.url()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url(),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    monkeypatch.setattr(StoreFailureRule, "_last_warning", 0.0)
    yield server
    server.kill()


def _unavailable(scope: str, outcome: str) -> float:
    labels = {"scope": scope, "outcome": outcome}
    return REGISTRY.get_sample_value("qenex_rate_limiter_unavailable_total", labels) or 0.0


def test_redis_down_lets_api_calls_through_by_default_with_a_warning_and_a_metric(api, redis_server, caplog):
    assert api.get("/api/v1/accounts").status_code == 200
    before = _unavailable("api_key", "allowed")
    redis_server.kill()
    with caplog.at_level(logging.WARNING, logger="apps.iam.throttling"):
        responses = [api.get("/api/v1/accounts") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert _unavailable("api_key", "allowed") == before + 3
    warnings = [r for r in caplog.records if "rate limiter store unavailable" in r.getMessage()]
    assert len(warnings) == 1  # once per minute, not once per call


def test_redis_down_refuses_api_calls_when_the_rule_is_closed(api, redis_server, settings):
    settings.QENEX_THROTTLE_ON_REDIS_FAILURE = "closed"
    assert api.get("/api/v1/accounts").status_code == 200
    redis_server.kill()
    response = api.get("/api/v1/accounts")
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "rate_limiter_unavailable"
    assert int(response["Retry-After"]) > 0
    # The failed-key throttle is asked first (before the key is checked), so it may be the one that refuses.
    assert _unavailable("auth_failures", "refused") + _unavailable("api_key", "refused") >= 1


def test_readiness_reports_redis_and_needs_it_only_when_the_rule_is_closed(anon, redis_server, settings):
    ready = anon.get("/health/ready")
    assert (ready.status_code, ready.json()) == (200, {"status": "ok", "database": "ok", "redis": "ok"})
    redis_server.kill()
    degraded = anon.get("/health/ready")
    assert (degraded.status_code, degraded.json()) == (200, {"status": "degraded", "database": "ok", "redis": "down"})
    settings.QENEX_THROTTLE_ON_REDIS_FAILURE = "closed"
    refused = anon.get("/health/ready")
    assert (refused.status_code, refused.json()["status"], refused.json()["redis"]) == (503, "unavailable", "down")
    assert anon.get("/health").status_code == 503  # /health is the readiness check too
    assert anon.get("/health/live").status_code == 200  # liveness never depends on a dependency
