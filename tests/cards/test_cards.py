"""Card records: the PAN encrypted and searchable only by its blind index, Luhn and scheme checks, lifecycle, API."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.audit.models import AuditRecord
from apps.cards.errors import CardAlreadyIssued, CardStatusChangeNotAllowed, InvalidCardNumber
from apps.cards.models import Card, CardStatus
from apps.cards.pan import scheme_of
from apps.cards.selectors import card_find_by_pan
from apps.cards.services import card_change_status, card_issue
from tests.conftest import make_client
from tests.factories import funded_account

from .factories import issued_card, make_pan

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("pan", "scheme"),
    [
        ("4111111111111111", "visa"),
        ("5555555555554444", "mastercard"),
        ("2223003122003222", "mastercard"),
        ("378282246310005", "amex"),
        ("4111111111111112", None),  # Luhn fails
        ("6011111111111117", None),  # Discover: a valid card, not a scheme we issue
    ],
)
def test_scheme_by_bin_and_luhn(pan, scheme):
    assert scheme_of(pan) == scheme


def test_pan_is_stored_encrypted_and_found_by_its_blind_index():
    card, pan = issued_card(scheme="mastercard")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pan, pan_bidx, bin, last_four FROM cards_card WHERE id = %s", [card.pk])
        stored, index, bin_, last_four = cursor.fetchone()
    assert pan not in stored and pan not in index
    assert (bin_, last_four, card.scheme) == (pan[:6], pan[-4:], "mastercard")
    assert card_find_by_pan(pan=pan).pk == card.pk
    assert card_find_by_pan(pan=make_pan()) is None
    assert Card.objects.get(pk=card.pk).pan == pan  # decrypts for the host
    assert card.masked_pan == f"{pan[:6]}******{pan[-4:]}"


def test_the_audit_trail_never_holds_the_pan():
    card, pan = issued_card()
    card_change_status(card_id=card.public_id, status=CardStatus.BLOCKED, actor="officer")
    records = AuditRecord.objects.filter(object_id=card.public_id)
    assert [r.action for r in records.order_by("sequence")] == ["cards.card_issued", "cards.card_status_changed"]
    assert all(pan not in str(r.before) + str(r.after) for r in records)


def test_invalid_or_duplicate_pans_are_refused():
    account = funded_account()
    arguments = dict(
        account=account.public_id, expiry_year=2030, expiry_month=1, per_transaction_limit="10", daily_limit="20"
    )
    with pytest.raises(InvalidCardNumber) as refused:
        card_issue(pan="4111111111111112", **arguments)
    assert "4111" not in refused.value.message
    card_issue(pan="4111111111111111", **arguments)
    with pytest.raises(CardAlreadyIssued):
        card_issue(pan="4111111111111111", **arguments)


def test_a_lost_card_stays_lost():
    card, _ = issued_card()
    card_change_status(card_id=card.public_id, status=CardStatus.LOST)
    with pytest.raises(CardStatusChangeNotAllowed):
        card_change_status(card_id=card.public_id, status=CardStatus.ACTIVE)


def test_api_issue_get_block_with_scopes():
    account = funded_account()
    writer = make_client(["cards:read", "cards:write"], name="card-writer")
    reader = make_client(["cards:read"], name="card-reader")
    pan = make_pan("amex")
    body = {
        "account": account.public_id,
        "pan": pan,
        "expiry_year": 2031,
        "expiry_month": 6,
        "per_transaction_limit": "250.00",
        "daily_limit": "900.00",
    }
    created = writer.post("/api/v1/cards", body, format="json", HTTP_IDEMPOTENCY_KEY="card-1")
    assert created.status_code == 201, created.json()
    card = created.json()
    assert pan not in created.content.decode()
    assert (card["scheme"], card["last_four"], card["expiry"], card["daily_limit"]) == (
        "amex",
        pan[-4:],
        "2031-06",
        "900.00",
    )
    replay = writer.post("/api/v1/cards", body, format="json", HTTP_IDEMPOTENCY_KEY="card-1")
    assert (replay.status_code, replay.json()["id"]) == (200, card["id"])
    assert reader.post("/api/v1/cards", {**body, "pan": make_pan()}, format="json").status_code == 403
    assert reader.get(f"/api/v1/cards/{card['id']}").json()["status"] == "ACTIVE"
    assert reader.post(f"/api/v1/cards/{card['id']}/block", {}, format="json").status_code == 403
    blocked = writer.post(f"/api/v1/cards/{card['id']}/block", {"reason": "customer called"}, format="json")
    assert (blocked.status_code, blocked.json()["status"]) == (200, "BLOCKED")
    assert reader.get(f"/api/v1/cards/{card['id']}/authorisations").json()["results"] == []


def test_api_refusals_carry_a_code_and_hide_other_owners_cards():
    writer = make_client(["cards:read", "cards:write"], name="card-writer")
    account = funded_account()
    bad = writer.post(
        "/api/v1/cards",
        {
            "account": account.public_id,
            "pan": "4111111111111112",
            "expiry_year": 2031,
            "expiry_month": 6,
            "per_transaction_limit": "5",
            "daily_limit": "5",
        },
        format="json",
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_card_number")
    card, _ = issued_card()
    outsider = make_client(["cards:read"], name="outsider", owners=["someone-else"])
    missing = outsider.get(f"/api/v1/cards/{card.public_id}")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "card_not_found")
