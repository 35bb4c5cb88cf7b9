"""/metrics, /api/schema/ and /api/docs/: who may read them, and a docs page that needs nothing from outside."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from tests.conftest import make_client
from tests.staff import make_staff, otp_login, password_login

pytestmark = pytest.mark.django_db

TOKEN = "s" * 40


# --- /metrics --------------------------------------------------------------------------------------------------


def test_metrics_with_a_scrape_token_need_it(client, settings):
    settings.QENEX_METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics").headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "t" * 40).status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200 and b"django_http_requests" in response.content


def test_an_api_key_is_not_a_scrape_token(settings):
    settings.QENEX_METRICS_TOKEN = TOKEN
    assert make_client(["accounts:read"]).get("/metrics").status_code == 401


def test_production_without_a_scrape_token_does_not_serve_metrics(client, settings):
    settings.QENEX_METRICS_TOKEN = ""
    settings.QENEX_METRICS_REQUIRE_TOKEN = True
    response = client.get("/metrics")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_metrics_disabled_in_the_configuration_are_not_served(client, settings):
    settings.QENEX = {**settings.QENEX, "metrics": {**settings.QENEX["metrics"], "enabled": False}}
    settings.QENEX_METRICS_TOKEN = TOKEN
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404


def test_development_serves_metrics_openly_without_a_token(client, settings):
    settings.QENEX_METRICS_TOKEN = ""
    settings.QENEX_METRICS_REQUIRE_TOKEN = False
    assert client.get("/metrics").status_code == 200


# --- schema and docs -------------------------------------------------------------------------------------------


@pytest.fixture
def closed_docs(settings):
    settings.QENEX_API_DOCS_PUBLIC = False


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/docs/?script="])
def test_closed_docs_refuse_anonymous_callers(closed_docs, client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_closed_docs_refuse_a_password_only_staff_session(closed_docs):
    client = Client()
    make_staff("half-signed-in", role="teller")
    password_login(client, "half-signed-in")
    assert client.get("/api/schema/").status_code in (401, 403)


def test_closed_docs_admit_mfa_verified_staff_and_api_keys(closed_docs):
    staff = otp_login(Client(), make_staff("docs-reader", role="auditor"))
    assert staff.get("/api/docs/").status_code == 200
    assert staff.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").status_code == 200
    machine = make_client(["accounts:read"])
    schema = machine.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200 and "/api/v1/accounts" in schema.json()["paths"]


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[str] = []
        self.inline_scripts = 0
        self.inline_styles = 0
        self.links: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self._in_script = "src" not in attrs
            if "src" in attrs:
                self.scripts.append(attrs["src"])
        elif tag == "style":
            self.inline_styles += 1
        elif tag == "link":
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1


def test_docs_page_loads_only_same_origin_files_under_the_strict_csp(settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve static files without collectstatic (the production test collects)
    client = Client()
    response = client.get("/api/docs/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assets = _Assets()
    assets.feed(response.content.decode())
    assert len(assets.scripts) == 3 and assets.inline_scripts == 0 and assets.inline_styles == 0
    for url in assets.scripts + assets.links:
        assert re.match(r"^/(?!/)", url), f"{url} is not same-origin"  # no scheme, no //host
        served = client.get(url)
        assert served.status_code == 200, url
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert body, url
        if url in assets.scripts:
            assert "javascript" in served.headers["Content-Type"], url
    assert any("swagger-ui-bundle.js" in url for url in assets.scripts)
