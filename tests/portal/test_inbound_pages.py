"""Inbound exceptions in the portal: an unknown IBAN lands in suspense, an operator sees it and applies it to an
account or returns it to the sender through apps.inbound services; bad input is a form error; a teller sees none
of it, an auditor reads but cannot resolve.
"""

from __future__ import annotations

import pytest

from apps.inbound import services
from apps.inbound.models import ExceptionItem, ExceptionStatus
from apps.ledger.selectors import balance_get
from tests.inbound.conftest import eur_account  # noqa: F401  (the fixture)
from tests.inbound.messages import OTHER_IBAN, pacs008
from tests.portal.test_actions import flash, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def suspended():
    raw, uetr = pacs008(creditor_iban=OTHER_IBAN, amount="75.00")
    services.message_receive(raw=raw, rail="sepa", source="api")
    return ExceptionItem.objects.get(inbound__network_id=uetr)


def test_an_operator_applies_a_suspended_payment_to_an_account(suspended, eur_account):  # noqa: F811
    ops = signed_in("ops1", "operations")
    queue = ops.get("/inbound/exceptions/").content.decode()
    assert suspended.public_id in queue and "75.00 EUR" in queue and "unknown_beneficiary" in queue
    page = ops.get(f"/inbound/exceptions/{suspended.public_id}/").content.decode()
    assert "Apply to an account" in page and "Return to the sender" in page
    response = ops.post(f"/inbound/exceptions/{suspended.public_id}/apply/",
                        {"account": eur_account.public_id, "note": "customer called"}, follow=True)
    assert f"Exception {suspended.public_id}: APPLIED" in flash(response)
    suspended.refresh_from_db()
    assert suspended.status == ExceptionStatus.APPLIED and suspended.resolved_by == "ops1"
    assert balance_get(account=eur_account).ledger_minor == 1000 + 7500
    again = ops.post(f"/inbound/exceptions/{suspended.public_id}/return/", {}, follow=True)
    assert "Refused" in flash(again)


def test_an_operator_returns_a_suspended_payment(suspended):
    ops = signed_in("ops1", "operations")
    ops.post(f"/inbound/exceptions/{suspended.public_id}/return/", {"note": "no such customer"})
    suspended.refresh_from_db()
    assert suspended.status == ExceptionStatus.RETURNED


def test_bad_input_is_a_form_error_or_a_message_and_changes_nothing(suspended):
    ops = signed_in("ops1", "operations")
    bad = ops.post(f"/inbound/exceptions/{suspended.public_id}/return/", {"reason_code": "<x>"})
    assert bad.status_code == 400 and 'class="error"' in bad.content.decode()
    unknown = ops.post(f"/inbound/exceptions/{suspended.public_id}/apply/", {"account": "acc_missing"}, follow=True)
    assert unknown.status_code == 200 and "Refused" in flash(unknown)
    assert ops.get("/inbound/exceptions/exc_missing/").status_code == 404
    assert ops.get("/inbound/exceptions/?status=BOGUS").status_code == 200
    suspended.refresh_from_db()
    assert suspended.status == ExceptionStatus.OPEN


def test_a_teller_sees_nothing_and_an_auditor_only_reads(suspended):
    teller = signed_in("teller1", "teller")
    assert teller.get("/inbound/exceptions/").status_code == 403
    auditor = signed_in("aud1", "auditor")
    page = auditor.get(f"/inbound/exceptions/{suspended.public_id}/").content.decode()
    assert suspended.public_id in page and "Apply to an account" not in page
    assert auditor.post(f"/inbound/exceptions/{suspended.public_id}/apply/", {}).status_code == 403
    suspended.refresh_from_db()
    assert suspended.status == ExceptionStatus.OPEN
