"""Officers see payments read-only in the admin; release of a held payment goes through the service."""

from __future__ import annotations

import pytest

from apps.payments import checks
from apps.payments.states import PaymentStatus
from tests.factories import funded_account
from tests.staff import make_staff, otp_login

from .payments import sct_body
from .test_orders import send

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(client):
    return otp_login(client, make_staff("payments-officer", superuser=True))


def test_payments_are_read_only_and_a_held_one_is_released_by_the_action(officer):
    checks.register("test.review", lambda p: checks.CheckResult.hold("review"))
    try:
        account = funded_account("500.00", "EUR")
        payment = send(sct_body(account.public_id), account).payment
    finally:
        checks.unregister("test.review")
    assert payment.status == PaymentStatus.HELD
    assert officer.get("/admin/payments/paymentorder/").status_code == 200
    assert officer.get(f"/admin/payments/paymentorder/{payment.pk}/change/").status_code == 200
    assert officer.get("/admin/payments/paymentorder/add/").status_code == 403
    response = officer.post("/admin/payments/paymentorder/", {"action": "release", "_selected_action": [payment.pk]})
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.QUEUED and payment.hold_id
