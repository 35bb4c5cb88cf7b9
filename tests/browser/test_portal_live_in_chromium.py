"""A working day in the portal, in Chromium against the real ASGI server (HTTP and WebSockets).

A teller signs in with a password and an authenticator code, keeps the payee's account and the dashboard
open in two tabs, posts a transfer from a third, and watches it arrive in the other two without a reload;
then exports the statement as CSV. Pages must log no console error (a CSP violation is one) and have no
failed request. A second test runs axe-core (vendored in tests/browser/vendor, injected through the
DevTools protocol, so the page's CSP stays as it is) on every main page: no serious or critical violation.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from apps.ledger.services import hold_place, post_deposit, post_transfer
from apps.payments import checks
from apps.payments.services import orders
from tests.browser.problems import aborted_favicon
from tests.browser.test_portal_in_chromium import browser  # noqa: F401  (the shared Chromium fixture)
from tests.factories import funded_account
from tests.payments.gateway.payments import ach_body, request_from, sct_body
from tests.staff import PASSWORD, enrol_totp, make_staff

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SYNCED = "#account[data-synced]:not([data-busy])"  # an account page's live part is caught up and idle
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
# Set to a folder (docs/screenshots) to write the README's screenshots from the accessibility test's pages.
SCREENSHOTS = os.environ.get("QENEX_PORTAL_SCREENSHOTS", "")


@pytest.fixture
def context(browser, asgi_server):  # noqa: F811
    context = browser.new_context(base_url=asgi_server, viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.problems = []
    context.on("console", lambda m: m.type == "error" and context.problems.append(f"console: {m.text}"))
    context.on("weberror", lambda e: context.problems.append(f"page error: {e.error}"))
    context.on("requestfailed", lambda r: aborted_favicon(r) or context.problems.append(f"request failed: {r.url}"))
    context.on("response", lambda r: r.status >= 400 and context.problems.append(f"HTTP {r.status}: {r.url}"))
    yield context
    context.close()


def sign_in(page, username: str, totp) -> None:
    page.goto("/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form:has(#id_password) button[type=submit]")
    page.wait_for_url("**/mfa/verify/**")
    page.fill("#id_token", totp.now())
    page.click("form:has(#id_token) button[type=submit]")
    page.wait_for_url("**/")
    assert page.locator("h1").inner_text() == "Dashboard"


def test_a_transfer_posted_in_one_tab_appears_live_in_the_others_and_exports_as_csv(context, tmp_path):
    teller = make_staff("teller1", role="teller")
    totp = enrol_totp(teller)
    payer = funded_account("5000.00", owner_id="payer")
    payee = funded_account("10.00", owner_id="payee")

    watcher = context.new_page()
    sign_in(watcher, "teller1", totp)  # the session is the context's: the other tabs share it
    dashboard = watcher
    dashboard.wait_for_selector(".live-state.on")
    transfers_before = dashboard.locator("#table-volumes tbody tr", has_text="TRANSFER").count()

    payee_page = context.new_page()
    payee_page.goto(f"/accounts/{payee.public_id}/")
    payee_page.wait_for_selector(SYNCED)
    assert payee_page.locator("[data-fact=balance]").inner_text() == "10.00 USD"
    loads = []
    payee_page.on("load", lambda _: loads.append(1))

    payer_page = context.new_page()
    payer_page.goto(f"/accounts/{payer.public_id}/")
    payer_page.wait_for_selector(SYNCED)  # the socket's catch-up request is done before we navigate away
    payer_page.fill("#transfer_to_account", payee.public_id)
    payer_page.fill("#transfer_amount", "1234.56")
    payer_page.fill("#transfer_description", "Invoice 77")
    payer_page.click("form:has(#transfer_to_account) button[type=submit]")
    payer_page.wait_for_load_state()
    flash = payer_page.locator(".message-success").inner_text()
    assert "Transfer posted: txn_" in flash
    transaction_id = flash.split("posted: ")[1].rstrip(".")
    assert payer_page.locator("[data-fact=balance]").inner_text() == "3,765.44 USD"

    # The payee's page: the new balance and the posting arrive over the socket, no reload.
    row = payee_page.locator(f"#statement tbody tr:has-text('{transaction_id}')")
    row.wait_for(timeout=10_000)
    assert "1,234.56" in row.inner_text() and "Invoice 77" in row.inner_text()
    payee_page.wait_for_function(
        "document.querySelector('[data-fact=balance]').textContent === '1,244.56 USD'", timeout=10_000
    )
    assert loads == []
    # The dashboard counts it (its socket sends a new summary when the figures change).
    dashboard.locator("#table-volumes tbody tr", has_text="TRANSFER").nth(transfers_before).wait_for(timeout=10_000)
    assert "1,234.56 USD" in dashboard.locator("#table-volumes tbody tr", has_text="TRANSFER").inner_text()

    payee_page.wait_for_selector(SYNCED)  # the live fetches are done before the download starts
    with payee_page.expect_download() as download_info:
        payee_page.click("text=Export CSV")
    path = tmp_path / "statement.csv"
    download_info.value.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[0][:3] == ["posted_at", "transaction", "type"]
    assert [r[1:] for r in rows[1:]][-1] == [transaction_id, "TRANSFER", "Invoice 77", "1234.56", "USD", "1244.56"]

    payer_page.wait_for_selector(SYNCED)
    assert context.problems == []


def _seed_a_busy_day() -> str:
    """Accounts, postings in two currencies, a hold, payments (one held): pages with something on them."""
    usd = [funded_account(amount, "USD", owner_id=f"cust-{i:03d}") for i, amount in
           enumerate(["125000.00", "48210.75", "9870.10", "1520.00"])]
    eur = [funded_account(amount, "EUR", owner_id=f"cust-eu-{i:03d}") for i, amount in
           enumerate(["83000.00", "12500.50"])]
    post_transfer(from_account=usd[0].public_id, to_account=usd[1].public_id, amount="2500.00", currency="USD",
                  description="Supplier invoice 2211")
    post_transfer(from_account=usd[0].public_id, to_account=usd[2].public_id, amount="780.25", currency="USD",
                  description="Payroll")
    post_deposit(to_account=usd[0].public_id, amount="15000.00", currency="USD", description="Cash deposit")
    post_transfer(from_account=eur[0].public_id, to_account=eur[1].public_id, amount="4200.00", currency="EUR",
                  description="Rent December")
    hold_place(account=usd[0].public_id, amount="350.00", currency="USD", description="Card authorisation")
    for _ in range(3):
        orders.payment_send(request=request_from(sct_body(eur[0].public_id)), debtor_account=eur[0].public_id)
    orders.payment_send(request=request_from(ach_body(usd[1].public_id)), debtor_account=usd[1].public_id)
    checks.register("test.review", lambda p: checks.CheckResult.hold("review"))
    try:  # one payment a check holds for an officer: the held queue and the dashboard's tile show it
        orders.payment_send(request=request_from(sct_body(eur[1].public_id)), debtor_account=eur[1].public_id)
    finally:
        checks.unregister("test.review")
    return usd[0].public_id


def _axe_violations(page) -> list[dict]:
    page.evaluate(AXE.read_text())  # through the DevTools protocol: not an inline script, the CSP is untouched
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            window.qenexAxeRan = result.passes.length;
            return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}));
        }"""
    )


def test_main_pages_have_no_serious_accessibility_violations(context):
    officer = make_staff("officer", superuser=True)
    totp = enrol_totp(officer)
    account_id = _seed_a_busy_day()
    page = context.new_page()
    found = {}
    page.goto("/login/")
    if violations := _axe_violations(page):
        found["/login/"] = violations
    sign_in(page, "officer", totp)
    for path in ["/", "/accounts/", f"/accounts/{account_id}/", "/payments/", "/payments/held/",
                 "/payments/failed/", "/approvals/"]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        if path == "/":
            page.wait_for_selector(".live-state.on")
        elif path.startswith("/accounts/acc"):
            page.wait_for_selector(SYNCED)
        violations = _axe_violations(page)
        assert page.evaluate("window.qenexAxeRan") > 10, path  # axe really checked the page
        if violations:
            found[path] = violations
        if SCREENSHOTS and path in ("/", f"/accounts/{account_id}/"):
            name = "dashboard.png" if path == "/" else "account.png"
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=True)
    assert found == {}
    page.wait_for_load_state("networkidle")
    assert context.problems == []
