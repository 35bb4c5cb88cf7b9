"""The staff portal in a real browser (Debian's Chromium driven by Playwright), as a new staff user meets it:
password, forced MFA enrolment with a real TOTP code, backup codes, then the accounts pages. Every page must
load without console errors (a Content-Security-Policy violation is one) and without failed requests.
"""

from __future__ import annotations

import os
import shutil
import time

import pyotp
import pytest

from tests.browser.problems import aborted_favicon
from tests.factories import funded_account
from tests.staff import PASSWORD, make_staff

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs it (apt-get install chromium)")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium); CI runs this test")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, asgi_server):
    context = browser.new_context(base_url=asgi_server, viewport={"width": 1200, "height": 800})
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: aborted_favicon(r) or page.problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: r.status >= 400 and page.problems.append(f"HTTP {r.status}: {r.url}"))
    yield page
    context.close()


def submit(page, field_selector: str) -> None:
    page.click(f"form:has({field_selector}) button[type=submit]")
    page.wait_for_load_state()


def test_new_staff_user_enrols_mfa_and_reads_an_account(page):
    make_staff("teller1", role="teller")
    account = funded_account("1234.56", owner_id="browser-customer")

    page.goto("/")
    assert page.url.endswith("/login/?next=/")
    page.fill("#id_username", "teller1")
    page.fill("#id_password", PASSWORD)
    submit(page, "#id_password")
    assert "/mfa/enrol/" in page.url
    assert page.locator("img[src^='data:image/svg+xml']").count() == 1  # the QR code, no external request

    page.goto("/")  # nothing else is reachable before enrolment
    assert "/mfa/enrol/" in page.url

    secret = page.locator("code").first.inner_text().replace(" ", "")
    page.fill("#id_token", "000000")
    submit(page, "#id_token")
    assert "not valid" in page.locator(".error").inner_text()

    time.sleep(2.5)  # django-otp throttles a device for a moment after a wrong code
    secret = page.locator("code").first.inner_text().replace(" ", "")
    page.fill("#id_token", pyotp.TOTP(secret).now())
    submit(page, "#id_token")
    assert page.locator("h1").inner_text() == "Your backup codes"
    assert page.locator(".codes li").count() >= 10

    page.goto(f"/?owner_id={account.owner_id}")
    assert page.locator("h1").inner_text() == "Accounts"
    row = page.locator("table").first.locator("tbody tr", has_text=account.public_id)
    assert "1,234.56 USD" in row.inner_text()
    row.locator("a").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == account.public_id
    assert "Opening balance" in page.locator("#statement").inner_text()
    page.wait_for_selector("#account[data-synced]:not([data-busy])")  # live socket open, its catch-up done

    page.click("form[action='/logout/'] button")
    page.wait_for_load_state()
    page.goto("/")
    assert "/login/" in page.url
    assert page.problems == []


def test_locked_out_after_repeated_wrong_passwords(page, settings):
    make_staff("clerk", role="teller")
    for _ in range(settings.QENEX["security"]["max_login_attempts"]):
        page.goto("/login/")
        page.fill("#id_username", "clerk")
        page.fill("#id_password", "wrong-password-guess")
        submit(page, "#id_password")
    page.goto("/login/")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", PASSWORD)
    submit(page, "#id_password")
    assert "/login/" in page.url
    assert "locked" in page.content().lower()
