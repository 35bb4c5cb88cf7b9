"""The stream's screening events, caused by a real screening hit and the officer's decisions, match their schemas."""

from __future__ import annotations

import pytest

from apps.compliance import alerts
from apps.compliance.alert_models import ScreeningAlert
from apps.payments import services
from apps.payments.states import PaymentStatus
from tests.customers.conftest import LISTED_COUNTRY, LISTED_NAME
from tests.events.conftest import validated_events
from tests.factories import funded_account
from tests.payments.gateway.payments import request_from, sct_body

pytestmark = pytest.mark.django_db


def _held_alert(django_capture_on_commit_callbacks) -> ScreeningAlert:
    account = funded_account("500.00", "EUR")
    body = sct_body(account.public_id)
    body["receiver"] = {**body["receiver"], "name": LISTED_NAME, "country": LISTED_COUNTRY}
    with django_capture_on_commit_callbacks(execute=True):
        payment = services.payment_send(request=request_from(body), debtor_account=account.public_id).payment
    assert payment.status == PaymentStatus.HELD
    return ScreeningAlert.objects.get(subject_type="payment", subject_id=payment.public_id)


def test_alert_raised_and_cleared_events_match_their_schemas(un_list, django_capture_on_commit_callbacks):
    alert = _held_alert(django_capture_on_commit_callbacks)
    [raised] = validated_events("screening.alert_raised", alert.public_id)
    assert raised["alert"] == alert.public_id and LISTED_NAME not in str(raised)  # no names on the stream
    alerts.alert_clear(alert_id=alert.public_id, reason="another person: born 1990", actor="officer")
    [decided] = validated_events("screening.alert_decided", alert.public_id)
    assert decided["decided_by"] == "officer" and decided["status"] != raised["status"]


def test_alert_confirmed_event_matches_its_schema(un_list, django_capture_on_commit_callbacks):
    alert = _held_alert(django_capture_on_commit_callbacks)
    alerts.alert_confirm(alert_id=alert.public_id, reason="same person: passport matches", actor="officer")
    [decided] = validated_events("screening.alert_decided", alert.public_id)
    assert decided["alert"] == alert.public_id
