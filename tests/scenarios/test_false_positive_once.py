"""Scenario 3, a false positive, once, as a worked example on PostgreSQL through the API.

A customer sends a payment to a beneficiary whose name is a listed person's (UN CDi.001). The payment waits in
HELD with its funds reserved; an alert names the list entry and explains the match. The compliance officer clears it
as a false positive, with a reason: the party goes on the allow list (who, when, why) and the payment goes ahead
(the same hold goes on, queued for the network). A second payment to the same counterparty does not alert again, until
the list entry changes.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from apps.compliance.alert_models import AllowListEntry
from apps.compliance.models import SanctionsEntry
from apps.compliance.screening import invalidate_index
from apps.compliance.services import sanctions_list_load
from apps.ledger.selectors import balance_get
from tests.compliance.conftest import un_subset
from tests.conftest import make_client
from tests.factories import funded_account
from tests.payments.gateway.payments import sct_body
from tests.staff import make_staff, otp_login

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
JSON = "application/json"


@pytest.fixture
def un_loaded(tmp_path):
    sanctions_list_load(list_code="un", path=un_subset(tmp_path / "un.xml", individuals=40, entities=10))
    invalidate_index()
    yield
    invalidate_index()


def _pay(client, account, key: str):
    body = sct_body(account.public_id)
    body["receiver"] = {**body["receiver"], "name": "Eric Badege", "country": "FR"}
    response = client.post("/api/v1/payments/send", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code in (201, 202), response.content  # 202: accepted but HELD for review
    return response.json()


def test_a_false_positive_is_cleared_once_and_does_not_alert_again(on_postgresql, un_loaded):
    account = funded_account("1000.00", "EUR")
    payer = make_client(["payments:read", "payments:write"], owners=["customer"])

    # 1. The payment stops in HELD, its funds reserved; the alert names the entry and explains the match.
    first = _pay(payer, account, "pay-1")
    assert (first["status"], first["reason_code"]) == ("HELD", "sanctions_hit")
    assert balance_get(account=account).held_minor == 15000 + released_fee(first)
    officer = otp_login(Client(), make_staff("officer", "compliance_officer"))
    alerts = officer.get(f"/api/v1/screening/alerts?subject_id={first['id']}").json()["results"]
    assert len(alerts) == 1
    alert = alerts[0]
    assert (alert["list_code"], alert["entry_id"], alert["status"]) == ("un", "CDi.001", "open")
    assert alert["party_role"] == "creditor" and alert["score"] >= 0.86
    assert {e["kind"] for e in alert["explanation"]} >= {"exact"}

    # 2. A machine client cannot decide; the officer clears it, with a reason.
    assert (
        make_client(["screening:read"], name="bot")
        .post(f"/api/v1/screening/alerts/{alert['id']}/clear", {"reason": "x"}, format="json")
        .status_code
        == 403
    )
    cleared = officer.post(
        f"/api/v1/screening/alerts/{alert['id']}/clear",
        {"reason": "beneficiary is a French company director born 1988; the listed person was born 1971"},
        content_type=JSON,
    )
    assert cleared.status_code == 200, cleared.content
    assert cleared.json()["status"] == "cleared" and cleared.json()["decided_by"] == "officer"
    allow = AllowListEntry.objects.get()
    assert (allow.created_by, allow.entry_id) == ("officer", "CDi.001") and allow.reason.startswith("beneficiary")

    # 3. The payment goes ahead with the funds reserved when it was held, queued for the network.
    released = payer.get(f"/api/v1/payments/{first['id']}").json()
    assert released["status"] == "QUEUED" and released["hold"] == first["hold"]
    assert balance_get(account=account).held_minor == 15000 + released_fee(released)

    # 4. A second payment to the same counterparty: no alert, no hold.
    second = _pay(payer, account, "pay-2")
    assert second["status"] == "QUEUED"
    assert officer.get(f"/api/v1/screening/alerts?subject_id={second['id']}").json()["results"] == []

    # 5. The list entry changes (a reload): the allow-list entry no longer covers it, and the next payment holds.
    SanctionsEntry.objects.filter(entry_id="CDi.001").update(content_hash="changed" + "0" * 57)
    third = _pay(payer, account, "pay-3")
    assert third["status"] == "HELD"
    assert len(officer.get(f"/api/v1/screening/alerts?subject_id={third['id']}").json()["results"]) == 1
    call_command("verify_audit", stdout=io.StringIO())


def released_fee(payment: dict) -> int:
    from decimal import Decimal

    return int(Decimal(payment.get("fee") or "0") * 100)
