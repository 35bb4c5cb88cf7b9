"""A compliance officer's AML journey in Chromium: the alerts queue, one alert with the transactions that raised it,
its case, the decision "file a SAR" and the SAR's FinCEN validation on the case and on the filings page. Each page:
no console error, no failed request, no serious or critical axe-core violation. Screenshots go to
/tmp/amlportal-*.png (or QENEX_PORTAL_SCREENSHOTS, the docs' pictures).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.compliance.aml_models import AmlCase, AmlReport, ReportType, Severity
from tests.browser.test_portal_in_chromium import browser  # noqa: F401  (the shared Chromium fixture)
from tests.browser.test_portal_live_in_chromium import SCREENSHOTS, _axe_violations, context, sign_in  # noqa: F401
from tests.compliance.aml.conftest import ledger, new_owner, open_account, rules  # noqa: F401  (fixtures)
from tests.staff import enrol_totp, make_staff

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _shot(page, name: str, found: dict) -> None:
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").count() == 1, page.url
    violations = _axe_violations(page)
    if violations:
        found[page.url] = violations
    folder = Path(SCREENSHOTS or "/tmp")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"amlportal-{name}.png"), full_page=True)


def test_an_officer_walks_an_alert_to_its_case_and_drafts_a_sar_shown_valid(context, rules, ledger):  # noqa: F811
    rules("structuring", min_count=2, window_days=3, severity=Severity.MEDIUM)
    account = open_account(new_owner())
    ledger.deposit(account, "9500.00")
    ledger.deposit(account, "9600.00")
    case = AmlCase.objects.get(owner_id=account.owner_id)
    alert = case.alerts.get()
    officer = make_staff("officer1", "compliance_officer")
    totp = enrol_totp(officer)
    page = context.new_page()
    sign_in(page, "officer1", totp)
    found: dict = {}

    page.click("nav >> text=AML alerts")
    page.wait_for_url("**/compliance/aml/alerts/")
    _shot(page, "alerts", found)
    page.click(f"a:text-is('{alert.public_id}')")
    page.wait_for_url(f"**/compliance/aml/alerts/{alert.public_id}/")
    evidence = page.locator("table").first.inner_text()
    assert "9,500.00 USD" in evidence and "9,600.00 USD" in evidence
    _shot(page, "alert", found)

    page.click(f"main a:text-is('{case.public_id}')")
    page.wait_for_url(f"**/compliance/aml/cases/{case.public_id}/")
    page.select_option("#decide_decision", "file_sar")
    page.fill("#decide_reason", "Two cash deposits just under the threshold on one day.")
    page.click("form:has(#decide_reason) button[type=submit]")
    page.wait_for_load_state()
    assert "decided to file a SAR" in page.locator(".messages").inner_text()
    report = AmlReport.objects.get(case=case, report_type=ReportType.SAR)
    assert "Valid SARX" in page.locator(f"tr:has(a:text-is('{report.public_id}'))").inner_text()
    _shot(page, "case", found)

    page.click(f"a:text-is('{report.public_id}')")
    page.wait_for_url(f"**/compliance/filings/{report.public_id}/")
    assert "Valid SARX" in page.locator("#validation").inner_text()
    assert page.locator("text=Mark reviewed").count() == 1
    _shot(page, "filing", found)
    page.click("nav >> text=FinCEN filings")
    page.wait_for_url("**/compliance/filings/")
    _shot(page, "filings", found)

    assert found == {}
    assert context.problems == []
