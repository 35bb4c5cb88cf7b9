"""Rate limits per API key and per source IP, through the real cache (Redis in CI)."""

from __future__ import annotations

import random

import pytest
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from tests.conftest import make_client

pytestmark = pytest.mark.django_db


def random_ip() -> str:
    """A fresh address per test run, so runs sharing the Redis cache never share a bucket."""
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


@pytest.fixture
def rates(monkeypatch):
    def set_rate(scope: str, rate: str) -> None:
        monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, scope, rate)

    return set_rate


def test_api_key_is_limited_per_key(rates):
    rates("api_key", "3/minute")
    first, second = make_client(["accounts:read"], name="k1"), make_client(["accounts:read"], name="k2")
    ip = random_ip()
    codes = [first.get("/api/v1/accounts", REMOTE_ADDR=ip).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = first.get("/api/v1/accounts", REMOTE_ADDR=ip)
    assert limited.json()["error"]["code"] == "rate_limited" and "Retry-After" in limited
    assert second.get("/api/v1/accounts", REMOTE_ADDR=ip).status_code == 200  # another key, its own bucket


def test_one_ip_is_limited_whatever_keys_it_uses(rates):
    rates("ip", "2/minute")
    ip = random_ip()
    clients = [make_client(["accounts:read"], name=f"ipk{i}") for i in range(3)]
    assert [c.get("/api/v1/accounts", REMOTE_ADDR=ip).status_code for c in clients] == [200, 200, 429]
    assert clients[2].get("/api/v1/accounts", REMOTE_ADDR=random_ip()).status_code == 200


def test_spoofed_forwarded_for_does_not_escape_the_ip_limit(rates):
    rates("anon", "2/minute")
    ip, anon = random_ip(), APIClient()
    codes = [
        anon.get("/api/v1/currencies", REMOTE_ADDR=ip, HTTP_X_FORWARDED_FOR=random_ip()).status_code for _ in range(3)
    ]
    assert codes == [200, 200, 429]
