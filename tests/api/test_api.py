"""The REST API: the seed's curl bodies, auth and scopes, and a clear 4xx for every bad input."""

from __future__ import annotations

import json

import pytest

from apps.approvals.services import approval_approve
from apps.ledger.models import AccountBalance, JournalEntry, Posting
from tests.conftest import make_client
from tests.staff import make_staff

pytestmark = pytest.mark.django_db

SEED_ACCOUNT = {"owner_id": "user123", "account_type": "CHECKING", "currency": "USD", "initial_balance": "10000.00"}


def open_account(api, **overrides):
    body = {**SEED_ACCOUNT, **overrides}
    response = api.post("/api/v1/accounts", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def post_txn(api, body, key="key-1", **extra):
    return api.post("/api/v1/transactions", body, format="json", HTTP_IDEMPOTENCY_KEY=key, **extra)


def snapshot():
    return (
        JournalEntry.objects.count(),
        Posting.objects.count(),
        sorted(AccountBalance.objects.values_list("account_id", "ledger_minor")),
    )


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    if field is not None:
        assert body["error"]["field"] == field, body


# --- the seed's endpoints -------------------------------------------------------------------------------


def test_health_is_public(anon):
    response = anon.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"]) == ("ok", "ok") and body["redis"] in {"ok", "not configured"}


def test_system_status_reports_components(anon):
    body = anon.get("/api/v1/system/status").json()
    assert body["status"] in {"operational", "degraded"}
    assert body["components"]["database"]["status"] == "ok"
    assert body["features"]["fraud_detection"]["configured"] is True
    assert body["version"]


def test_seed_create_account_body(api):
    account = open_account(api)
    assert account["id"].startswith("acc_") and len(account["id"]) == 28
    assert account["balance"] == "10000.00" and account["available_balance"] == "10000.00"
    assert (account["owner_id"], account["account_type"], account["currency"], account["status"]) == (
        "user123",
        "CHECKING",
        "USD",
        "ACTIVE",
    )


def test_seed_transfer_body(api):
    a = open_account(api)
    b = open_account(api, owner_id="user456", initial_balance="0")
    body = {"type": "TRANSFER", "from_account": a["id"], "to_account": b["id"], "amount": "1000.00", "currency": "USD"}
    response = post_txn(api, body)
    assert response.status_code == 201, response.content
    txn = response.json()
    assert txn["id"].startswith("txn_") and txn["status"] == "POSTED" and txn["amount"] == "1000.00"
    assert {p["account"]: p["amount"] for p in txn["postings"]} == {a["id"]: "-1000.00", b["id"]: "1000.00"}
    assert api.get(f"/api/v1/accounts/{a['id']}/balance").json()["balance"] == "9000.00"
    assert api.get(f"/api/v1/accounts/{b['id']}").json()["balance"] == "1000.00"
    assert api.get(f"/api/v1/transactions/{txn['id']}").json()["id"] == txn["id"]


def test_exact_json_number_amount_is_accepted_without_float(api):
    a = open_account(api)
    b = open_account(api, initial_balance="0")
    response = api.post(
        "/api/v1/transactions",
        data=json.dumps(
            {"type": "TRANSFER", "from_account": a["id"], "to_account": b["id"], "amount": 0.1, "currency": "USD"}
        ),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="n1",
    )
    assert response.status_code == 201
    assert api.get(f"/api/v1/accounts/{b['id']}/balance").json()["balance"] == "0.10"


def test_deposit_withdrawal_fee_and_reversal(api):
    a = open_account(api, initial_balance="0")
    assert (
        post_txn(api, {"type": "DEPOSIT", "to_account": a["id"], "amount": "50", "currency": "USD"}, "d").status_code
        == 201
    )
    w = post_txn(api, {"type": "WITHDRAWAL", "from_account": a["id"], "amount": "20", "currency": "USD"}, "w")
    assert w.status_code == 201
    assert (
        post_txn(api, {"type": "FEE", "from_account": a["id"], "amount": "1.5", "currency": "USD"}, "f").status_code
        == 201
    )
    r = post_txn(api, {"type": "REVERSAL", "original_transaction": w.json()["id"]}, "r")
    assert r.status_code == 201 and r.json()["reverses"] == w.json()["id"]
    assert api.get(f"/api/v1/transactions/{w.json()['id']}").json()["reversed_by"] == r.json()["id"]
    assert api.get(f"/api/v1/accounts/{a['id']}/balance").json()["balance"] == "48.50"
    again = api.post(f"/api/v1/transactions/{w.json()['id']}/reverse", {}, format="json", HTTP_IDEMPOTENCY_KEY="r2")
    assert_error(again, 409, "already_reversed")


def test_idempotent_retry_returns_original_with_200(api):
    a = open_account(api)
    b = open_account(api, initial_balance="0")
    body = {"type": "TRANSFER", "from_account": a["id"], "to_account": b["id"], "amount": "10.00", "currency": "USD"}
    first, second = post_txn(api, body, "same"), post_txn(api, body, "same")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == second.json()["id"]
    assert_error(post_txn(api, {**body, "amount": "11.00"}, "same"), 409, "idempotency_key_reused", "idempotency_key")
    assert api.get(f"/api/v1/accounts/{a['id']}/balance").json()["balance"] == "9990.00"


def test_idempotency_keys_are_scoped_per_client(api):
    other = make_client(["accounts:write", "accounts:read", "transactions:write"], name="other")
    a = open_account(api)
    b = open_account(api, initial_balance="0")
    body = {"type": "TRANSFER", "from_account": a["id"], "to_account": b["id"], "amount": "1.00", "currency": "USD"}
    assert post_txn(api, body, "shared").status_code == 201
    assert post_txn(other, body, "shared").status_code == 201
    assert api.get(f"/api/v1/accounts/{b['id']}/balance").json()["balance"] == "2.00"


def test_posting_without_idempotency_key_is_refused(api):
    a = open_account(api)
    response = api.post(
        "/api/v1/transactions",
        {"type": "WITHDRAWAL", "from_account": a["id"], "amount": "1", "currency": "USD"},
        format="json",
    )
    assert_error(response, 400, "idempotency_key_required", "idempotency_key")


def test_statement_is_paginated_with_running_balance(api):
    a = open_account(api, initial_balance="100.00")
    for i in range(3):
        post_txn(api, {"type": "WITHDRAWAL", "from_account": a["id"], "amount": "10", "currency": "USD"}, f"s{i}")
    page = api.get(f"/api/v1/accounts/{a['id']}/statement?limit=2").json()
    assert [line["balance_after"] for line in page["results"]] == ["100.00", "90.00"]
    assert page["opening_balance"] == "0.00" and page["next"]
    rest = api.get(page["next"]).json()
    assert [line["balance_after"] for line in rest["results"]] == ["80.00", "70.00"]


def test_balance_as_of(api):
    a = open_account(api, initial_balance="100.00")
    assert api.get(f"/api/v1/accounts/{a['id']}/balance?as_of=2000-01-01T00:00:00Z").json()["balance"] == "0.00"
    assert_error(api.get(f"/api/v1/accounts/{a['id']}/balance?as_of=yesterday"), 400, "invalid_input", "as_of")


def test_list_accounts_and_transactions_with_filters(api):
    open_account(api, owner_id="x1")
    open_account(api, owner_id="x2", currency="EUR", initial_balance="0")
    assert [a["owner_id"] for a in api.get("/api/v1/accounts?owner_id=x1").json()["results"]] == ["x1"]
    assert len(api.get("/api/v1/transactions?type=DEPOSIT").json()["results"]) == 1


def test_hold_lifecycle(api):
    a = open_account(api, initial_balance="100.00")
    m = open_account(api, owner_id="merchant", initial_balance="0")
    hold = api.post(
        "/api/v1/holds",
        {"account": a["id"], "amount": "30.00", "currency": "USD"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="h1",
    )
    assert hold.status_code == 201
    assert api.get(f"/api/v1/accounts/{a['id']}/balance").json()["available_balance"] == "70.00"
    cap = api.post(
        f"/api/v1/holds/{hold.json()['id']}/capture",
        {"to_account": m["id"], "amount": "25.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="c1",
    )
    assert cap.status_code == 201 and cap.json()["type"] == "HOLD_CAPTURE"
    assert api.get(f"/api/v1/holds/{hold.json()['id']}").json()["status"] == "CAPTURED"
    assert api.get(f"/api/v1/accounts/{a['id']}/balance").json()["available_balance"] == "75.00"
    h2 = api.post(
        "/api/v1/holds",
        {"account": a["id"], "amount": "5", "currency": "USD"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="h2",
    ).json()
    assert api.post(f"/api/v1/holds/{h2['id']}/void").json()["status"] == "VOIDED"
    assert_error(api.get("/api/v1/holds/hld_missing"), 404, "hold_not_found")


def test_fx_transfer_via_api(api):
    usd = open_account(api)
    eur = open_account(api, currency="EUR", initial_balance="0")
    rate = api.post(
        "/api/v1/fx-rates", {"base_currency": "USD", "quote_currency": "EUR", "rate": "0.92"}, format="json"
    )
    assert rate.status_code == 201 and rate.json()["rate"] == "0.92"
    body = {
        "type": "TRANSFER",
        "from_account": usd["id"],
        "to_account": eur["id"],
        "amount": "100.00",
        "currency": "USD",
    }
    assert post_txn(api, body, "fx").status_code == 201
    assert api.get(f"/api/v1/accounts/{eur['id']}/balance").json()["balance"] == "92.00"


def test_account_status_lifecycle(api):
    a = open_account(api, initial_balance="0")
    assert (
        api.post(f"/api/v1/accounts/{a['id']}/status", {"status": "FROZEN"}, format="json").json()["status"] == "FROZEN"
    )
    assert_error(
        api.post(f"/api/v1/accounts/{a['id']}/status", {"status": "PENDING"}, format="json"),
        409,
        "invalid_status_transition",
        "status",
    )
    # Unfreezing needs a second person for every maker, API clients included (apps.approvals.policy).
    unfreeze = api.post(f"/api/v1/accounts/{a['id']}/status", {"status": "ACTIVE"}, format="json")
    assert unfreeze.status_code == 202 and unfreeze.json()["kind"] == "ACCOUNT_UNFREEZE"
    assert api.get(f"/api/v1/accounts/{a['id']}").json()["status"] == "FROZEN"
    approval_approve(public_id=unfreeze.json()["id"], checker=make_staff("boss", "administrator"))
    assert api.post(f"/api/v1/accounts/{a['id']}/status", {"status": "CLOSED"}, format="json").status_code == 200
    funded = open_account(api)
    assert_error(
        api.post(f"/api/v1/accounts/{funded['id']}/status", {"status": "CLOSED"}, format="json"),
        409,
        "account_not_empty",
    )


def test_currencies_list_is_iso_4217(anon):
    currencies = {c["code"]: c["minor_units"] for c in anon.get("/api/v1/currencies").json()["currencies"]}
    assert len(currencies) >= 150
    assert (currencies["JPY"], currencies["USD"], currencies["KWD"]) == (0, 2, 3)
    assert "XAU" not in currencies


def test_openapi_schema_and_docs(anon):
    schema = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    assert "/api/v1/transactions" in paths and "/api/v1/accounts" in paths
    assert anon.get("/api/docs/").status_code == 200


def test_metrics_endpoint_exports_qenex_metrics(api, anon):
    a = open_account(api)
    b = open_account(api, initial_balance="0")
    post_txn(
        api, {"type": "TRANSFER", "from_account": a["id"], "to_account": b["id"], "amount": "1", "currency": "USD"}
    )
    post_txn(
        api,
        {"type": "TRANSFER", "from_account": a["id"], "to_account": b["id"], "amount": "1.001", "currency": "USD"},
        "bad",
    )
    text = anon.get("/metrics").content.decode()
    assert "qenex_transaction_duration_seconds_bucket" in text
    assert 'qenex_transaction_errors_total{code="too_many_decimals",type="TRANSFER"}' in text


# --- auth and scopes ------------------------------------------------------------------------------------


def test_api_requires_a_key(anon):
    assert_error(anon.get("/api/v1/accounts"), 401, "not_authenticated")
    anon.credentials(HTTP_AUTHORIZATION="Bearer qnx_deadbeef_nope")
    assert_error(anon.get("/api/v1/accounts"), 401, "authentication_failed")


def test_read_only_key_cannot_post(db):
    reader = make_client(["accounts:read", "transactions:read"], name="reader")
    response = reader.post("/api/v1/accounts", SEED_ACCOUNT, format="json")
    assert_error(response, 403, "permission_denied")
    assert reader.get("/api/v1/accounts").status_code == 200


def test_revoked_and_expired_keys_are_refused(db):
    from datetime import timedelta

    from django.utils import timezone

    from apps.iam.services import api_key_revoke

    client = make_client(["accounts:read"], name="temp")
    assert client.get("/api/v1/accounts").status_code == 200
    api_key_revoke(prefix=client.api_key.prefix)
    assert_error(client.get("/api/v1/accounts"), 401, "authentication_failed")
    expired = make_client(["accounts:read"], name="expired")
    type(expired.api_key).objects.filter(pk=expired.api_key.pk).update(expires_at=timezone.now() - timedelta(1))
    assert_error(expired.get("/api/v1/accounts"), 401, "authentication_failed")


# --- bad input: a clear 4xx and nothing changes ---------------------------------------------------------


@pytest.fixture
def two_accounts(api):
    # Below the four-eyes threshold (10,000), so that an overdrawing transfer can stay below it too.
    return open_account(api, initial_balance="5000.00"), open_account(api, owner_id="user456", initial_balance="0")


BAD_TRANSFERS = [
    ({"to_account": "acc_unknown"}, 404, "account_not_found", "to_account"),
    ({"from_account": "acc_unknown"}, 404, "account_not_found", "from_account"),
    ({"currency": "EUR"}, 400, "currency_mismatch", "currency"),
    ({"currency": "ZZZ"}, 400, "unknown_currency", "currency"),
    ({"amount": "10.001"}, 400, "too_many_decimals", "amount"),
    ({"amount": "-5.00"}, 400, "invalid_amount", "amount"),
    ({"amount": "0"}, 400, "invalid_amount", "amount"),
    ({"amount": "ten"}, 400, "invalid_amount", "amount"),
    ({"amount": True}, 400, "invalid_input", "amount"),
    ({"amount": "6000.00"}, 422, "insufficient_funds", "from_account"),
    ({"type": "BOGUS"}, 400, "invalid_choice", "type"),
    ({"amount": None}, 400, "missing_field", "amount"),
    ({"original_transaction": "txn_x"}, 400, "unexpected_field", "original_transaction"),
]


@pytest.mark.parametrize(("change", "status", "code", "field"), BAD_TRANSFERS)
def test_bad_transfer_is_a_clear_4xx_and_changes_nothing(api, two_accounts, change, status, code, field):
    a, b = two_accounts
    body = {"type": "TRANSFER", "from_account": a["id"], "to_account": b["id"], "amount": "100.00", "currency": "USD"}
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    before = snapshot()
    assert_error(post_txn(api, body), status, code, field)
    assert snapshot() == before


def test_same_from_and_to_account(api, two_accounts):
    a, _ = two_accounts
    body = {"type": "TRANSFER", "from_account": a["id"], "to_account": a["id"], "amount": "1.00", "currency": "USD"}
    assert_error(post_txn(api, body), 400, "same_account", "to_account")


@pytest.mark.parametrize("status", ["FROZEN", "CLOSED"])
def test_transfer_to_frozen_or_closed_account(api, status):
    a = open_account(api)
    b = open_account(api, initial_balance="0")
    api.post(f"/api/v1/accounts/{b['id']}/status", {"status": status}, format="json")
    before = snapshot()
    body = {"type": "TRANSFER", "from_account": a["id"], "to_account": b["id"], "amount": "1.00", "currency": "USD"}
    assert_error(post_txn(api, body), 422, "account_not_active", "to_account")
    assert snapshot() == before


@pytest.mark.parametrize("payload", ['{"type": "TRANSFER",', "not json", '{"amount": NaN}', "[1,2]"])
def test_malformed_json_is_400(api, payload):
    response = api.post("/api/v1/transactions", data=payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="m")
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"malformed_json", "invalid_input"}


def test_wrong_content_type_is_415(api):
    response = api.post(
        "/api/v1/transactions",
        data="type=TRANSFER",
        content_type="application/x-www-form-urlencoded",
        HTTP_IDEMPOTENCY_KEY="m",
    )
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"account_type": "NOSTRO"}, "invalid_choice", "account_type"),
        ({"account_type": "BROKERAGE"}, "invalid_choice", "account_type"),
        ({"currency": "XAU"}, "unknown_currency", "currency"),
        ({"currency": "JPY", "initial_balance": "10.5"}, "too_many_decimals", "initial_balance"),
        ({"owner_id": ""}, "missing_field", "owner_id"),
        ({"owner_id": "__bank__"}, "invalid_input", "owner_id"),
        ({"initial_balance": "-1"}, "invalid_amount", "initial_balance"),
    ],
)
def test_bad_account_requests(api, change, code, field):
    before = snapshot()
    response = api.post("/api/v1/accounts", {**SEED_ACCOUNT, **change}, format="json")
    assert_error(response, 400, code, field)
    assert snapshot() == before


def test_unknown_ids_are_404_json(api):
    assert_error(api.get("/api/v1/accounts/acc_nope"), 404, "account_not_found")
    assert_error(api.get("/api/v1/transactions/txn_nope"), 404, "transaction_not_found")
    assert_error(api.get("/api/v1/nowhere"), 404, "not_found")


def test_wrong_method_is_405(api):
    assert_error(api.delete("/api/v1/accounts"), 405, "method_not_allowed")
