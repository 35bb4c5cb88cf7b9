"""Both parties of every payment are screened: a potential match holds the payment before any money is reserved."""

from __future__ import annotations

import pytest

from apps.compliance.screening import invalidate_index
from apps.compliance.services import sanctions_list_load
from apps.ledger.selectors import balance_get
from apps.payments import services
from apps.payments.states import PaymentStatus
from tests.factories import funded_account
from tests.payments.gateway.payments import request_from, sct_body

from .conftest import un_subset

pytestmark = pytest.mark.django_db


@pytest.fixture
def un_list(tmp_path):
    sanctions_list_load(list_code="un", path=un_subset(tmp_path / "un.xml", individuals=40, entities=10))
    yield
    invalidate_index()  # the load is rolled back with the test; so must this process's index be


def _send(account, **receiver):
    body = sct_body(account.public_id)
    body["receiver"] = {**body["receiver"], **receiver}
    return services.payment_send(request=request_from(body), debtor_account=account.public_id).payment


def test_a_payment_to_a_listed_person_waits_for_an_officer_with_its_funds_reserved(un_list):
    account = funded_account("500.00", "EUR")
    payment = _send(account, name="Eric Badege", country="CD")
    assert (payment.status, payment.reason_code) == (PaymentStatus.HELD, "sanctions_hit")
    assert "un CDi.001" in payment.reason and "Badege" not in payment.reason  # the entry, not the PII
    assert balance_get(account=account).held_minor == 15000  # blocked while an officer decides


def test_a_payment_to_an_unlisted_name_goes_ahead(un_list):
    account = funded_account("500.00", "EUR")
    payment = _send(account, name="Pierre Dupont")
    assert payment.status == PaymentStatus.QUEUED
    assert balance_get(account=account).held_minor == 15000
