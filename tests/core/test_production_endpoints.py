"""A real production-mode server (daphne via ``manage.py serve``) as probes, Prometheus and callers meet it.

The Docker HEALTHCHECK asks for 127.0.0.1, the kubelet and Prometheus for the pod IP, all over plain HTTP with
no X-Forwarded-Proto. They must get answers, while every other path keeps the Host and HTTPS checks, the
metrics want the scrape token and the API schema wants an API key or a verified staff session.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from apps.iam.services import api_client_create

ROOT = Path(__file__).resolve().parents[2]
POD_IP = "10.244.1.7:8080"
PUBLIC_HOST = "bank.example"
SCRAPE_TOKEN = secrets.token_urlsafe(32)
pytestmark = [pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(var_dir: Path, port: int, **extra: str) -> dict[str, str]:
    db = connection.settings_dict
    base = {k: v for k, v in os.environ.items() if not k.startswith(("QENEX_", "DJANGO_", "DATABASE_URL", "REDIS"))}
    return {
        **base,
        "QENEX_ENV": "production",
        "QENEX_SECRET_KEY": secrets.token_urlsafe(64),
        "QENEX_ALLOWED_HOSTS": PUBLIC_HOST,
        "QENEX_WEBAUTHN_RP_ID": PUBLIC_HOST,
        "QENEX_WEBAUTHN_ORIGINS": f"https://{PUBLIC_HOST}",
        "QENEX_VAR_DIR": str(var_dir),
        "QENEX_API_HOST": "127.0.0.1",
        "QENEX_API_PORT": str(port),
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        **extra,
    }


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    """``manage.py serve`` in production mode on the test database, after collectstatic (as the image does)."""
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip("needs PostgreSQL: set DATABASE_URL (make test does)")
        port = free_port()
        env = production_env(tmp_path_factory.mktemp("prod"), port, QENEX_METRICS_TOKEN=SCRAPE_TOKEN)
    collect = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert collect.returncode == 0, collect.stderr
    proc = subprocess.Popen([sys.executable, "manage.py", "serve"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            if get(port, "/health", host=f"127.0.0.1:{port}")[0] == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the production server did not come up:\n{proc.stdout.read()}")
        time.sleep(0.3)
    yield port
    proc.terminate()
    proc.wait(timeout=20)


def get(port: int, path: str, *, host: str, method: str = "GET", headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_health_answers_probes_at_the_pod_ip_over_plain_http(server):
    for host in (POD_IP, f"127.0.0.1:{server}", "qenex-web-7d9f-abcde"):
        status, headers, body = get(server, "/health", host=host)
        assert status == 200, (host, status, body)
        assert json.loads(body)["status"] == "ok"
        assert headers["X-Content-Type-Options"] == "nosniff"
    assert get(server, "/health", host=POD_IP, method="HEAD")[0] == 200


def test_the_docker_healthcheck_script_passes(server):
    assert 'CMD ["python", "/app/scripts/healthcheck.py"]' in (ROOT / "Dockerfile").read_text()
    result = subprocess.run([sys.executable, str(ROOT / "scripts/healthcheck.py")], capture_output=True, text=True,
                            env={**os.environ, "QENEX_API_PORT": str(server)}, timeout=30)
    assert result.returncode == 0, result.stderr
    refused = subprocess.run([sys.executable, str(ROOT / "scripts/healthcheck.py")], capture_output=True,
                             env={**os.environ, "QENEX_API_PORT": str(free_port())}, timeout=30)
    assert refused.returncode == 1  # nothing listening: the check must fail, not pass


def test_every_other_path_keeps_the_host_and_https_checks(server):
    assert get(server, "/api/v1/system/status", host=POD_IP)[0] == 400  # DisallowedHost
    assert get(server, "/health/", host=POD_IP)[0] == 400  # only the exact probe paths are exempt
    assert get(server, "/health", host=POD_IP, method="POST")[0] == 400
    status, headers, _ = get(server, "/api/v1/system/status", host=PUBLIC_HOST)
    assert (status, headers["Location"]) == (301, f"https://{PUBLIC_HOST}/api/v1/system/status")
    status, headers, _ = get(server, "/api/v1/system/status", host=PUBLIC_HOST,
                             headers={"X-Forwarded-Proto": "https"})
    assert status == 200 and "max-age=31536000" in headers["Strict-Transport-Security"]


def test_prometheus_scrapes_the_pod_with_the_bearer_token(server):
    assert get(server, "/metrics", host=POD_IP)[0] == 401
    assert get(server, "/metrics", host=POD_IP, headers={"Authorization": "Bearer wrong"})[0] == 401
    status, headers, body = get(server, "/metrics", host=POD_IP, headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
    assert status == 200, body
    assert headers["Content-Type"].startswith("text/plain")
    assert b"django_http_requests_total_by_method_total" in body


def test_schema_and_docs_need_an_api_key_or_staff_in_production(server, transactional_db):
    https = {"X-Forwarded-Proto": "https"}
    for path in ("/api/schema/", "/api/docs/", "/api/docs/?script="):
        status, _, body = get(server, path, host=PUBLIC_HOST, headers=https)
        assert status == 401, (path, status)
        assert json.loads(body)["error"]["code"] == "not_authenticated"
    token = api_client_create(name="docs-reader", scopes=["accounts:read"]).token  # committed: transactional_db
    auth = {**https, "Authorization": f"Bearer {token}", "Accept": "application/vnd.oai.openapi+json"}
    status, _, body = get(server, "/api/schema/", host=PUBLIC_HOST, headers=auth)
    assert status == 200 and "/api/v1/transactions" in json.loads(body)["paths"]
    docs_auth = {**https, "Authorization": auth["Authorization"]}
    status, headers, page = get(server, "/api/docs/", host=PUBLIC_HOST, headers=docs_auth)
    assert status == 200 and "script-src 'self'" in headers["Content-Security-Policy"]
    # The Swagger UI bundle is served by this server (whitenoise, after collectstatic), not by a CDN.
    bundle = next(line.split('"')[1] for line in page.decode().splitlines() if "swagger-ui-bundle" in line)
    status, headers, body = get(server, bundle, host=PUBLIC_HOST, headers=https)
    assert status == 200 and len(body) > 100_000 and "javascript" in headers["Content-Type"]


def test_production_defaults_close_metrics_and_docs(tmp_path):
    env = production_env(tmp_path, 8080)
    code = ("from django.conf import settings as s; "
            "print(s.QENEX_METRICS_TOKEN == '', s.QENEX_METRICS_REQUIRE_TOKEN, s.QENEX_API_DOCS_PUBLIC)")
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1].split() == ["True", "True", "False"], result.stdout + result.stderr
    short = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True,
                           env={**env, "QENEX_METRICS_TOKEN": "short"}, timeout=60)
    assert short.returncode != 0 and "QENEX_METRICS_TOKEN must be at least 32 characters" in short.stderr
