"""The auditor's screening decisions page in Chromium against the real ASGI server: three payments held by
sanctions alerts, one cleared by one officer, one confirmed by another, one still open. The auditor signs in
(password and authenticator code), opens the page from the menu, sees the two decisions with officer, time and
reason (not the open alert), narrows them by decision, officer and day with the filter bar, opens an alert and gets
no decision form. No console error, no failed request, no serious or critical axe-core violation. A screenshot
goes to /tmp/screening-decisions.png (or QENEX_PORTAL_SCREENSHOTS).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from apps.compliance import alerts
from apps.compliance.alert_models import ScreeningAlert
from tests.browser.test_portal_in_chromium import browser  # noqa: F401  (the shared Chromium fixture)
from tests.browser.test_portal_live_in_chromium import SCREENSHOTS, _axe_violations, context, sign_in  # noqa: F401
from tests.compliance.conftest import un_list  # noqa: F401  (the fixture: the real UN list, loaded)
from tests.compliance.test_screening_alerts import _held_payment
from tests.staff import enrol_totp, make_staff

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
ROWS = "table:has(caption:text-is('Screening decisions')) tbody tr"


def _three_alerts(capture) -> tuple[ScreeningAlert, ScreeningAlert, ScreeningAlert]:
    found = []
    for _ in range(3):
        _, payment = _held_payment(capture)
        found.append(ScreeningAlert.objects.get(subject_id=payment.public_id))
    cleared, confirmed, still_open = found
    with capture(execute=True):
        alerts.alert_clear(alert_id=cleared.public_id, reason="Born 1990 in Lyon: another person.", actor="co1")
        alerts.alert_confirm(alert_id=confirmed.public_id, reason="Same date of birth and passport.", actor="co2")
    return cleared, confirmed, still_open


def _filter(page, **values) -> None:
    for field, value in values.items():
        selector = f"form[role=search] #id_{field}"
        if page.locator(selector).evaluate("e => e.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    page.click("form[role=search] button[type=submit]")
    page.wait_for_load_state("networkidle")


def _shown(page) -> str:
    return " ".join(page.locator(ROWS).all_inner_texts())


def test_an_auditor_reads_and_filters_the_screening_decisions(context, un_list, django_capture_on_commit_callbacks):  # noqa: F811
    cleared, confirmed, still_open = _three_alerts(django_capture_on_commit_callbacks)
    auditor = make_staff("aud1", "auditor")
    totp = enrol_totp(auditor)
    page = context.new_page()
    sign_in(page, "aud1", totp)

    page.click("nav >> text=Screening decisions")
    page.wait_for_url("**/compliance/screening-decisions/")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Screening decisions"
    assert page.locator(ROWS).count() == 2
    rows = _shown(page)
    assert cleared.public_id in rows and confirmed.public_id in rows and still_open.public_id not in rows
    cleared_row = page.locator(ROWS, has_text=cleared.public_id).inner_text()
    assert "co1" in cleared_row and "Cleared (false positive)" in cleared_row
    assert "Born 1990 in Lyon: another person." in cleared_row and "eric badege" in cleared_row.lower()
    confirmed_row = page.locator(ROWS, has_text=confirmed.public_id).inner_text()
    assert "co2" in confirmed_row and "Same date of birth and passport." in confirmed_row
    violations = _axe_violations(page)
    assert page.evaluate("window.qenexAxeRan") > 10  # axe really checked the page
    assert violations == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # the table fits the page
    folder = Path(SCREENSHOTS or "/tmp")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "screening-decisions.png"), full_page=True)

    _filter(page, decision="confirmed")
    assert "decision=confirmed" in page.url
    assert page.locator(ROWS).count() == 1 and confirmed.public_id in _shown(page)
    assert page.locator("#id_decision").input_value() == "confirmed"  # the filter bar shows what it filters
    _filter(page, decision="", officer="co1")
    assert page.locator(ROWS).count() == 1 and cleared.public_id in _shown(page)
    today = timezone.localdate().isoformat()
    _filter(page, officer="", start=today, end=today)
    assert page.locator(ROWS).count() == 2
    _filter(page, start="2020-01-01", end="2020-01-31")
    assert "No decision matches." in _shown(page)
    _filter(page, start="2020-02-01", end="2020-01-01")  # "to" before "from": said on the form, nothing filtered
    assert "must not be before" in page.locator("form[role=search]").inner_text()
    page.click("form[role=search] a:text-is('Clear')")
    page.wait_for_url("**/compliance/screening-decisions/")
    assert page.locator(ROWS).count() == 2

    page.click(f"a:text-is('{cleared.public_id}')")
    page.wait_for_url(f"**/compliance/screening/{cleared.public_id}/")
    assert page.locator("text=Record decision").count() == 0  # an auditor reads; deciding is not offered
    assert context.problems == []
