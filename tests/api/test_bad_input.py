"""Hostile input gets a clear 4xx with the JSON error shape and changes nothing (never a 500 or an HTML page)."""

from __future__ import annotations

import json

import pytest

from apps.accounts.models import Account
from apps.ledger.models import AccountBalance, FxRate, Hold, JournalEntry, Posting

pytestmark = pytest.mark.django_db


def rows():
    return (
        Account.objects.count(),
        JournalEntry.objects.count(),
        Posting.objects.count(),
        Hold.objects.count(),
        FxRate.objects.count(),
        sorted(AccountBalance.objects.values_list("account_id", "ledger_minor")),
    )


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    error = response.json()["error"]
    assert set(error) >= {"code", "message", "field"}, error
    assert error["code"] == code, error
    assert error["message"]
    if field is not None:
        assert error["field"] == field, error


@pytest.fixture
def accounts(api):
    def open_(owner, balance):
        body = {"owner_id": owner, "account_type": "CHECKING", "currency": "USD", "initial_balance": balance}
        response = api.post("/api/v1/accounts", body, format="json")
        assert response.status_code == 201, response.content
        return response.json()["id"]

    return open_("alice", "100.00"), open_("bob", "0")


def post_raw(api, path, raw: str | bytes, key="bad-1"):
    return api.generic("POST", path, raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def transfer_json(a, b, amount_literal='"1.00"', **extra):
    body = {"type": "TRANSFER", "from_account": a, "to_account": b, "currency": "USD", **extra}
    text = json.dumps(body)
    return text[:-1] + f', "amount": {amount_literal}}}'


# --- NUL bytes and lone surrogates --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/accounts?owner_id=a%00b",
        "/api/v1/transactions?account=acc_%00",
        "/api/v1/accounts/acc_%00x",
        "/api/v1/accounts/acc_%00x/balance",
        "/api/v1/transactions/txn_%00",
    ],
)
def test_nul_byte_in_query_or_path_is_refused(api, accounts, path):
    before = rows()
    assert_error(api.get(path), 400, "invalid_characters")
    assert rows() == before


@pytest.mark.parametrize(
    "extra",
    [
        {"metadata": {"note": "a\u0000b"}},
        {"metadata": {"a\u0000": "b"}},
        {"description": "nul \u0000 here"},
        {"metadata": {"note": "\ud800"}},
        {"description": "\udfff"},
    ],
)
def test_nul_or_lone_surrogate_in_json_strings_is_refused(api, accounts, extra):
    a, b = accounts
    before = rows()
    # json.dumps writes NUL as \u0000 and a lone surrogate as \ud800: both are valid JSON escapes.
    assert_error(post_raw(api, "/api/v1/transactions", transfer_json(a, b, **extra)), 400, "invalid_characters")
    assert rows() == before


def test_nul_in_account_opening_is_refused(api):
    before = rows()
    body = '{"owner_id": "x\\u0000y", "account_type": "CHECKING", "currency": "USD"}'
    assert_error(post_raw(api, "/api/v1/accounts", body), 400, "invalid_characters", "owner_id")
    assert rows() == before


def test_json_nested_2000_deep_is_refused(api, accounts):
    a, b = accounts
    deep = "[" * 2000 + "]" * 2000
    before = rows()
    assert_error(
        post_raw(api, "/api/v1/transactions", transfer_json(a, b, metadata="X").replace('"X"', deep)),
        400,
        "too_deeply_nested",
    )
    assert_error(post_raw(api, "/api/v1/transactions", deep), 400, "too_deeply_nested")
    assert rows() == before


# --- absurd numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "literal",
    [
        "1e999999",
        "1e-999999999",
        '"1e999999"',
        "1e400",
        "123456789012345678901234567890",
        "1.000000000000000000000000000001",
    ],
)
def test_absurd_amount_is_refused_before_the_ledger(api, accounts, literal):
    a, b = accounts
    before = rows()
    response = post_raw(api, "/api/v1/transactions", transfer_json(a, b, literal))
    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"] == "amount"
    assert response.json()["error"]["code"] in {"invalid_amount", "too_many_decimals"}
    assert rows() == before


def test_amount_with_more_than_28_digits_is_not_rounded_into_a_posting(api, accounts):
    """29 significant digits would be rounded by Decimal's default context and then look like 1.00."""
    a, b = accounts
    before = rows()
    response = post_raw(api, "/api/v1/transactions", transfer_json(a, b, '"1.0000000000000000000000000001"'))
    assert_error(response, 400, "invalid_amount", "amount")
    assert rows() == before


@pytest.mark.parametrize("literal", ["1e400", "12345678901234567890123", '"12345678901234567890123"', "1e-999999999"])
def test_absurd_fx_rate_is_refused(api, literal):
    before = rows()
    body = '{"base_currency": "USD", "quote_currency": "EUR", "rate": ' + literal + "}"
    response = post_raw(api, "/api/v1/fx-rates", body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"] == "rate"
    assert rows() == before


# --- impossible dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "field"),
    [
        ("balance?as_of=2026-02-30T00:00:00Z", "as_of"),
        ("statement?from=2026-02-30T00:00:00Z", "from"),
        ("statement?to=2026-13-01T00:00:00Z", "to"),
        ("statement?from=2026-01-01T25:00:00Z", "from"),
    ],
)
def test_impossible_date_is_refused(api, accounts, suffix, field):
    assert_error(api.get(f"/api/v1/accounts/{accounts[0]}/{suffix}"), 400, "invalid_input", field)


# --- headers and body size -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["\xff", "Bearer \xff", "\xe9\xe9 \xe9"])
def test_non_ascii_authorization_header_is_401(anon, value):
    response = anon.get("/api/v1/accounts", HTTP_AUTHORIZATION=value)
    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] in {"authentication_failed", "not_authenticated"}


def test_ten_megabyte_body_is_413_json(api, accounts):
    a, b = accounts
    body = transfer_json(a, b, description="x" * (10 * 1024 * 1024))
    before = rows()
    assert_error(post_raw(api, "/api/v1/transactions", body), 413, "request_too_large")
    assert rows() == before


# --- unknown fields and replays ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/accounts", {"owner_id": "x", "account_type": "CHECKING", "currency": "USD", "colour": "red"}),
        ("/api/v1/holds", {"account": "ACCOUNT", "amount": "1.00", "currency": "USD", "expiry": "tomorrow"}),
        (
            "/api/v1/transactions",
            {"type": "DEPOSIT", "to_account": "ACCOUNT", "amount": "1", "currency": "USD", "colour": "red"},
        ),
        ("/api/v1/fx-rates", {"base_currency": "USD", "quote_currency": "EUR", "rate": "0.9", "colour": "red"}),
        ("/api/v1/accounts/ACCOUNT/status", {"status": "FROZEN", "colour": "red"}),
        ("/api/v1/accounts/ACCOUNT/overdraft", {"overdraft_limit": "1.00", "colour": "red"}),
    ],
)
def test_unknown_field_is_refused_naming_it(api, accounts, path, body):
    path = path.replace("ACCOUNT", accounts[0])
    body = {k: (v.replace("ACCOUNT", accounts[0]) if isinstance(v, str) else v) for k, v in body.items()}
    unknown = next(k for k in body if k in {"colour", "expiry"})
    before = rows()
    response = api.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="unknown-1")
    assert_error(response, 400, "unknown_field", unknown)
    assert rows() == before


def test_account_opening_replay_answers_200_with_the_replay_header(api):
    body = {"owner_id": "carol", "account_type": "CHECKING", "currency": "USD", "initial_balance": "5.00"}
    first = api.post("/api/v1/accounts", body, format="json", HTTP_IDEMPOTENCY_KEY="open-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    before = rows()
    again = api.post("/api/v1/accounts", body, format="json", HTTP_IDEMPOTENCY_KEY="open-1")
    assert again.status_code == 200, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert rows() == before


# --- the schema documents errors and nullable fields ---------------------------------------------------


def test_schema_documents_the_error_body_and_nullable_fields(anon):
    schema = anon.get("/api/schema/?format=json").json()
    assert schema["components"]["schemas"]["Error"]["properties"]["error"]["required"] == ["code", "message", "field"]
    transfer = schema["paths"]["/api/v1/transactions"]["post"]["responses"]
    for code in ("400", "401", "403", "409", "413", "422", "429"):
        assert transfer[code]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "404" in schema["paths"]["/api/v1/accounts/{account_id}"]["get"]["responses"]
    transaction = schema["components"]["schemas"]["Transaction"]["properties"]
    for name in ("from_account", "to_account", "reverses", "reversed_by"):
        assert transaction[name].get("nullable") is True, (name, transaction[name])
    assert schema["components"]["schemas"]["Hold"]["properties"]["capture_transaction"].get("nullable") is True
