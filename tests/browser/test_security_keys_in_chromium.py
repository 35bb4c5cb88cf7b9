"""Security keys in a real browser: Chromium's virtual authenticator (WebAuthn over CDP) plays a FIDO2 USB key.

A staff user with an authenticator app registers a key at /mfa/keys/, signs out, signs in with the password
and chooses "Use security key" instead of a code. WebAuthn needs a secure context and an RP ID that is a
domain, so the browser talks to http://localhost:<port> (which Chromium treats as secure) and the relying
party is "localhost". No page may log a console error (a CSP violation is one) or have a failed request.
"""

from __future__ import annotations

import os
import shutil

import pytest

from apps.access.models import AccessEvent, AccessEventKind
from tests.staff import PASSWORD, enrol_totp, make_staff

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
def origin(asgi_server) -> str:
    """The ASGI server as http://localhost:<port>, the WebAuthn relying party's only origin (tests/browser/conftest)."""
    return asgi_server


@pytest.fixture
def page(browser, origin):
    context = browser.new_context(base_url=origin, viewport={"width": 1200, "height": 800})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "usb",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
    }
    page.authenticator_id = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})["authenticatorId"]
    page.cdp = cdp
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: page.problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: r.status >= 400 and page.problems.append(f"HTTP {r.status}: {r.url}"))
    yield page
    context.close()


def submit(page, field_selector: str) -> None:
    page.click(f"form:has({field_selector}) button[type=submit]")
    page.wait_for_load_state()


def sign_in_with_password(page, username: str) -> None:
    page.goto("/")
    assert "/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    submit(page, "#id_password")


def test_staff_user_registers_a_security_key_and_signs_in_with_it(page):
    user = make_staff("teller1", role="teller")
    totp = enrol_totp(user)

    sign_in_with_password(page, "teller1")
    assert "/mfa/verify/" in page.url
    assert page.locator("text=Use security key").count() == 0  # no key yet: codes only
    page.fill("#id_token", totp.now())
    submit(page, "#id_token")
    assert page.locator("h1").inner_text() == "Dashboard"

    page.goto("/mfa/keys/")
    assert "no security key yet" in page.content()
    with page.expect_navigation():
        page.click("form[data-security-key='register'] button")
    page.wait_for_load_state()
    assert page.url.endswith("/mfa/keys/")
    assert page.locator("table tbody tr").count() == 1
    credentials = page.cdp.send("WebAuthn.getCredentials", {"authenticatorId": page.authenticator_id})
    assert len(credentials["credentials"]) == 1 and credentials["credentials"][0]["rpId"] == "localhost"

    page.click("form[action='/logout/'] button")
    page.wait_for_load_state()
    sign_in_with_password(page, "teller1")
    assert "/mfa/verify/" in page.url
    page.goto("/")  # still nothing but the OTP step
    assert "/mfa/verify/" in page.url
    with page.expect_navigation():
        page.click("form[data-security-key='authenticate'] button")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Dashboard"

    event = AccessEvent.objects.filter(user=user).latest("id")
    assert event.kind == AccessEventKind.OTP_VERIFIED and event.detail["device_type"] == "security_key"
    assert page.problems == []


def test_new_staff_user_enrols_with_a_security_key_instead_of_an_app(page):
    user = make_staff("teller2", role="teller")

    sign_in_with_password(page, "teller2")
    assert "/mfa/enrol/" in page.url
    with page.expect_navigation():
        page.click("form[data-security-key='register'] button")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Dashboard"  # the new key verified the session

    event = AccessEvent.objects.filter(user=user, kind=AccessEventKind.MFA_ENROLLED).latest("id")
    assert event.detail["first_authenticator"] is True
    assert page.problems == []
