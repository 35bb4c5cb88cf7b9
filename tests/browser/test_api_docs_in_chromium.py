"""The Swagger UI page renders in a real browser with no network beyond this server and no CSP violation."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.browser.test_portal_in_chromium import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_swagger_ui_renders_offline_under_the_csp(browser, live_server):  # noqa: F811
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    problems: list[str] = []
    outside: list[str] = []
    origin = urlparse(live_server.url).netloc

    def only_this_server(route):
        if urlparse(route.request.url).netloc == origin:
            route.continue_()
        else:  # as if offline: anything from a CDN would fail here
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.goto("/api/docs/")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() >= 20  # the operations of /api/v1/ are listed
    assert "QENEX API" in page.locator(".title").first.inner_text()
    assert outside == [] and problems == [], outside + problems
    context.close()
