"""The payments API: the seed's curl body, idempotency, scopes, filters, detail, cancel, and 4xx with nothing held."""

from __future__ import annotations

import pytest

from apps.ledger.models import Hold
from apps.payments.models import PaymentOrder
from apps.payments.services import account_alias_register
from tests.conftest import make_client
from tests.factories import funded_account

from .payments import sct_body, seed_body

pytestmark = pytest.mark.django_db


def post(client, path, body=None, key="k-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(f"/api/v1{path}", body, format="json", **headers)


@pytest.fixture
def payer():
    return make_client(["payments:read", "payments:write"], owners=["customer"])


def test_the_seeds_curl_body_is_accepted_verbatim_and_routed_to_swift(payer):
    account = funded_account("60000.00", "USD")
    account_alias_register(identifier="123456789", account_id=account.public_id)
    response = post(payer, "/payments/send", seed_body())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id"].startswith("pay_") and len(body["uetr"]) == 36
    assert (body["rail"], body["status"], body["message_format"]) == ("swift", "QUEUED", "MT103")
    assert body["routing_reasons"][0].startswith("USD to DE")
    assert body["sender_account"] == account.public_id and body["amount"] == "50000.00"
    replay = post(payer, "/payments/send", seed_body())
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true" and replay.json()["id"] == body["id"]


def test_list_filters_by_status_and_rail_and_detail_shows_the_history(payer):
    account = funded_account("500.00", "EUR")
    sent = post(payer, "/payments/send", sct_body(account.public_id)).json()
    listed = payer.get("/api/v1/payments?status=QUEUED&rail=sepa").json()["results"]
    assert [p["id"] for p in listed] == [sent["id"]]
    assert payer.get("/api/v1/payments?rail=swift").json()["results"] == []
    bad = payer.get("/api/v1/payments?status=LOST")
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_choice")
    detail = payer.get(f"/api/v1/payments/{sent['id']}").json()
    assert [h["to_status"] for h in detail["history"]] == [
        "RECEIVED",
        "VALIDATED",
        "CHECKED",
        "FUNDS_RESERVED",
        "QUEUED",
    ]
    assert detail["messages"] == []


def test_cancel_voids_the_hold_and_a_second_cancel_is_a_conflict(payer):
    account = funded_account("500.00", "EUR")
    sent = post(payer, "/payments/send", sct_body(account.public_id)).json()
    response = payer.post(f"/api/v1/payments/{sent['id']}/cancel")
    assert (response.status_code, response.json()["status"]) == (200, "CANCELLED")
    again = payer.post(f"/api/v1/payments/{sent['id']}/cancel")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "payment_not_cancellable")


def test_scopes_are_required():
    account = funded_account("500.00", "EUR")
    reader = make_client(["payments:read"], name="reader")
    response = post(reader, "/payments/send", sct_body(account.public_id))
    assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")
    writer = make_client(["payments:write"], name="writer")
    assert writer.get("/api/v1/payments").status_code == 403


def test_another_customers_account_and_payments_are_invisible(payer):
    other = funded_account("500.00", "EUR", owner_id="someone-else")
    response = post(payer, "/payments/send", sct_body(other.public_id))
    assert (response.status_code, response.json()["error"]["code"]) == (404, "account_not_found")
    theirs = make_client(["payments:read", "payments:write"], name="other", owners=["someone-else"])
    sent = post(theirs, "/payments/send", sct_body(other.public_id)).json()
    assert payer.get(f"/api/v1/payments/{sent['id']}").status_code == 404
    assert payer.post(f"/api/v1/payments/{sent['id']}/cancel").status_code == 404


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        (lambda b: b.pop("amount"), 400, "missing_field"),
        (lambda b: b.update(amount="1.001"), 400, "too_many_decimals"),
        (lambda b: b.update(amount="abc"), 400, "invalid_amount"),
        (lambda b: b.update(speed="warp"), 400, "invalid_choice"),
        (lambda b: b.update(colour="red"), 400, "unknown_field"),
        (lambda b: b["receiver"].update(colour="red"), 400, "unknown_field"),
        (lambda b: b["receiver"].update(iban="FR00"), 400, "invalid_iban"),
        (lambda b: b["sender"].update(account="acc_doesnotexist"), 404, "account_not_found"),
        (lambda b: b["sender"].update(account="999"), 404, "account_not_found"),
        (lambda b: b.update(amount="9999.00"), 422, "insufficient_funds"),
        (lambda b: b.update(currency="USD"), 400, "currency_mismatch"),
    ],
)
def test_bad_input_is_a_4xx_with_a_code_and_nothing_is_held(payer, change, status, code):
    account = funded_account("500.00", "EUR")
    body = sct_body(account.public_id)
    change(body)
    response = post(payer, "/payments/send", body)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.json()
    assert (Hold.objects.count(), PaymentOrder.objects.count()) == (0, 0)


def test_the_idempotency_key_is_required(payer):
    account = funded_account("500.00", "EUR")
    response = post(payer, "/payments/send", sct_body(account.public_id), key=None)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "idempotency_key_required")


def test_the_same_payment_again_within_the_window_is_a_409_unless_confirmed(payer):
    account = funded_account("500.00", "EUR")
    body = sct_body(account.public_id)
    first = post(payer, "/payments/send", body, key="first")
    assert first.status_code == 201
    again = post(payer, "/payments/send", body, key="second")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "possible_duplicate")
    assert first.json()["id"] in again.json()["error"]["message"]
    assert Hold.objects.filter(account=account).count() == 1
    confirmed = post(payer, "/payments/send", {**body, "confirm_duplicate": True}, key="second")
    assert confirmed.status_code == 201 and confirmed.json()["id"] != first.json()["id"]
