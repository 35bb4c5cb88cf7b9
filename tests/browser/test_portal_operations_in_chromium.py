"""The operations and compliance pages in Chromium: screening alerts (queue and one alert), inbound exceptions,
reconciliation (overview, a run, breaks), card authorisations; each page checked by axe-core (no serious or
critical violation), no console error, no failed request. With QENEX_PORTAL_SCREENSHOTS=docs/screenshots the
test writes each page's screenshot there (the docs' pictures).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.compliance.alert_models import ScreeningAlert
from apps.inbound import services as inbound_services
from apps.inbound.models import ExceptionItem
from tests.browser.test_portal_in_chromium import browser  # noqa: F401  (the shared Chromium fixture)
from tests.browser.test_portal_live_in_chromium import SCREENSHOTS, _axe_violations, context, sign_in  # noqa: F401
from tests.cards.factories import issued_card
from tests.cards.test_authorisations import advice, authorise, reversal, send
from tests.compliance.conftest import un_list  # noqa: F401
from tests.compliance.test_screening_alerts import _held_payment
from tests.inbound.conftest import eur_account  # noqa: F401
from tests.inbound.messages import OTHER_IBAN, pacs008
from tests.payments.formats.statement_samples import Line
from tests.reconciliation.helpers import settled_payment, statement_for
from tests.reconciliation.test_services import import_and_run
from tests.staff import enrol_totp, make_staff

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _seed(capture) -> dict[str, str]:
    _, payment = _held_payment(capture)
    alert = ScreeningAlert.objects.get(subject_id=payment.public_id)
    raw, uetr = pacs008(creditor_iban=OTHER_IBAN, amount="75.00")
    inbound_services.message_receive(raw=raw, rail="sepa", source="api")
    exception = ExceptionItem.objects.get(inbound__network_id=uetr)
    fee = Line("5.00", "DBIT", remittance="Account maintenance fee")
    _, run = import_and_run(statement_for([settled_payment("E2E-B1"), settled_payment("E2E-B2")], extra=[fee]))
    card, pan = issued_card(balance="100.00")
    authorise(pan, 2500, expiry=card.expiry)
    authorise(pan, 40000, expiry=card.expiry)
    send(advice(authorise(pan, 3000, expiry=card.expiry), 2000))
    send(reversal(authorise(pan, 1000, expiry=card.expiry)))
    return {"alert": alert.public_id, "exception": exception.public_id, "run": run.public_id, "pan": pan}


PAGES = {
    "screening-alerts.png": "/compliance/screening/",
    "screening-alert.png": "/compliance/screening/{alert}/",
    "inbound-exceptions.png": "/inbound/exceptions/",
    "inbound-exception.png": "/inbound/exceptions/{exception}/",
    "reconciliation.png": "/reconciliation/",
    "reconciliation-run.png": "/reconciliation/runs/{run}/",
    "reconciliation-breaks.png": "/reconciliation/breaks/",
    "card-authorisations.png": "/cards/authorisations/",
}


def test_operations_and_compliance_pages_have_no_serious_accessibility_violations(
    context, un_list, eur_account, django_capture_on_commit_callbacks  # noqa: F811
):
    seeded = _seed(django_capture_on_commit_callbacks)
    officer = make_staff("officer", superuser=True)
    totp = enrol_totp(officer)
    page = context.new_page()
    sign_in(page, "officer", totp)
    found = {}
    for name, template in PAGES.items():
        path = template.format(**seeded)
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").count() == 1, path
        assert seeded["pan"] not in page.content(), path  # never a full PAN
        violations = _axe_violations(page)
        assert page.evaluate("window.qenexAxeRan") > 10, path
        if violations:
            found[path] = violations
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=True)
    assert found == {}
    assert context.problems == []
