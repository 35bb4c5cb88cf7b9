"""Rate limits per API key and per source IP, through the real cache (Redis in CI)."""

from __future__ import annotations

import random
import secrets

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


def random_key() -> str:
    """A well-formed key that was never issued: what a brute-forcer sends."""
    return f"qnx_{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"


def attempt(token: str, ip: str, **headers):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get("/api/v1/accounts", REMOTE_ADDR=ip, **headers)


def test_failed_api_key_attempts_are_limited_per_ip(rates):
    rates("auth_failures", "3/minute")
    ip = random_ip()
    codes = [attempt(random_key(), ip).status_code for _ in range(3)]
    limited = attempt(random_key(), ip)
    assert codes == [401, 401, 401] and limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited" and int(limited["Retry-After"]) > 0
    # Once limited, no key is checked from there, or the answer would tell a found key from a wrong one.
    valid = make_client(["accounts:read"], name="legit")
    assert valid.get("/api/v1/accounts", REMOTE_ADDR=ip).status_code == 429
    # Elsewhere the valid caller is unaffected, and so is a brute-forcer's next address.
    assert valid.get("/api/v1/accounts", REMOTE_ADDR=random_ip()).status_code == 200
    assert attempt(random_key(), random_ip()).status_code == 401


def test_malformed_authorization_headers_count_as_failures(rates):
    rates("auth_failures", "2/minute")
    ip = random_ip()
    assert [attempt("a b", ip).status_code, attempt("not-a-key", ip).status_code] == [401, 401]
    assert attempt(random_key(), ip).status_code == 429


def test_valid_callers_never_use_up_the_failure_budget(rates):
    rates("auth_failures", "2/minute")
    ip, client = random_ip(), make_client(["accounts:read"], name="busy")
    assert {client.get("/api/v1/accounts", REMOTE_ADDR=ip).status_code for _ in range(6)} == {200}
    assert attempt(random_key(), ip).status_code == 401  # the budget is still whole


def test_forged_forwarded_for_does_not_escape_the_failure_limit(rates):
    rates("auth_failures", "2/minute")
    ip = random_ip()
    codes = [attempt(random_key(), ip, HTTP_X_FORWARDED_FOR=random_ip()).status_code for _ in range(3)]
    assert codes == [401, 401, 429]


def test_failure_limit_is_20_a_minute_unless_configured(tmp_path):
    from tests.core.test_config import manage

    show = "from rest_framework.settings import api_settings as a; print(a.DEFAULT_THROTTLE_RATES['auth_failures'])"
    env = {"QENEX_ENV": "development", "QENEX_VAR_DIR": str(tmp_path)}
    assert manage("shell", "-v", "0", "-c", show, env=dict(env)).stdout.strip() == "20/minute"
    configured = manage("shell", "-v", "0", "-c", show, env={**env, "QENEX_THROTTLE_AUTH_FAILURES": "5/second"})
    assert configured.stdout.strip() == "5/second", configured.stderr


def test_blank_authorization_header_is_no_credentials_not_a_crash():
    assert APIClient().get("/api/v1/accounts", HTTP_AUTHORIZATION="   ").status_code == 401
