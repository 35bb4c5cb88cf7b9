"""The FX dealing page in Chromium: the ASGI server's own FIX session to a real LP process streams prices, and
the page's polling shows them without a reload. No console error (CSP included), no failed request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test.utils import override_settings

from apps.treasury.fix.client import lp_client_reset
from tests.browser.problems import aborted_favicon
from tests.browser.test_portal_in_chromium import browser  # noqa: F401  (the shared Chromium fixture)
from tests.browser.test_portal_live_in_chromium import sign_in
from tests.staff import enrol_totp, make_staff
from tests.treasury.conftest import LpProcess

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(scope="module")
def lp_for_server(tmp_path_factory) -> Iterator[LpProcess]:
    """Started (and configured) before ``asgi_server`` forks, so the server process connects to it."""
    tmp = tmp_path_factory.mktemp("fx")
    lp_client_reset()  # a session an earlier test left in this process (default port) must not reach the server
    lp = LpProcess(tmp)
    overrides = override_settings(QENEX_FX_LP_PORT=lp.port, QENEX_FX_FIX_STORE_DIR=str(tmp / "qenex-store"))
    overrides.enable()
    yield lp
    overrides.disable()
    lp.stop()


def test_the_dealing_page_shows_live_lp_prices(lp_for_server, asgi_server, browser):  # noqa: F811
    dealer = make_staff("dealer1", superuser=True)
    totp = enrol_totp(dealer)
    context = browser.new_context(base_url=asgi_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: aborted_favicon(r) or problems.append(f"request failed: {r.url}"))
    sign_in(page, "dealer1", totp)
    page.click("nav >> text=FX dealing")
    page.wait_for_url("**/dealing/")
    assert page.locator("h1").inner_text() == "FX dealing"
    # The first request starts the server's FIX session; the polling fills the prices in once the LP streams.
    page.wait_for_selector("#fx-prices tbody tr:has-text('EURUSD')", timeout=30000)
    first = page.locator("#fx-prices tbody tr:has-text('EURUSD') td").nth(1).inner_text()
    assert float(first) > 0
    assert problems == []
    context.close()
