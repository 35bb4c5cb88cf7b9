"""The outbox: events written in the change's transaction (or not at all), by the trigger for postings."""

from __future__ import annotations

import jsonschema
import pytest
from django.db import transaction
from django.utils import timezone

from apps.events.catalog import EVENT_TYPES, schema, schema_path, versions
from apps.events.models import OutboxEvent
from apps.events.services import emit_event, fx_deal_booked_emit
from apps.ledger.errors import InsufficientFunds
from apps.ledger.services import hold_capture, hold_place, hold_void, holds_expire, post_batch, post_transfer
from apps.payments import services as payments
from tests.factories import funded_account
from tests.payments.gateway.payments import request_from, sct_body

from .conftest import validate_outbox


def events(event_type: str) -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(event_type=event_type).order_by("id"))


def test_every_event_type_has_a_valid_json_schema_file():
    assert {name for name, _ in versions()} == set(EVENT_TYPES)
    for name, version in versions():
        assert schema_path(name, version).exists()
        jsonschema.Draft202012Validator.check_schema(schema(name, version))


@pytest.mark.django_db
def test_a_posting_writes_one_transaction_posted_event_through_the_trigger():
    source, target = funded_account("100.00"), funded_account("0.00", owner_id="other")
    before = OutboxEvent.objects.count()
    result = post_transfer(from_account=source.public_id, to_account=target.public_id, amount="12.34", currency="USD")
    (event,) = OutboxEvent.objects.filter(aggregate_id=result.entry.public_id)
    assert OutboxEvent.objects.count() == before + 1
    assert (event.event_type, event.version, event.aggregate_type) == ("transaction.posted", 1, "transaction")
    assert event.payload["amount_minor"] == 1234 and event.payload["currency"] == "USD"
    assert (event.payload["from_account"], event.payload["to_account"]) == (source.public_id, target.public_id)
    assert event.payload["entry_type"] == "TRANSFER" and event.sent_at is None


@pytest.mark.django_db
def test_a_batch_posting_writes_one_event_per_entry():
    source, target = funded_account("100.00"), funded_account("0.00", owner_id="other")
    before = len(events("transaction.posted"))
    post_batch(
        entries=[
            {
                "type": "TRANSFER",
                "from_account": source.public_id,
                "to_account": target.public_id,
                "amount": "1.00",
                "currency": "USD",
                "idempotency_key": f"events-batch-{n}",
            }
            for n in range(5)
        ]
    )
    assert len(events("transaction.posted")) == before + 5


@pytest.mark.django_db
def test_a_refused_posting_writes_no_event():
    source, target = funded_account("1.00"), funded_account("0.00", owner_id="other")
    before = OutboxEvent.objects.count()
    with pytest.raises(InsufficientFunds):
        post_transfer(from_account=source.public_id, to_account=target.public_id, amount="5.00", currency="USD")
    assert OutboxEvent.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_no_event_and_emit_needs_a_transaction():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        emit_event("hold.voided", "hld_x", {})
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        emit_event(
            "hold.voided",
            "hld_rolled_back",
            {
                "hold": "hld_rolled_back",
                "account": "acc_x",
                "amount_minor": 1,
                "currency": "USD",
                "status": "VOIDED",
                "expires_at": timezone.now().isoformat(),
            },
        )
        raise ZeroDivisionError
    assert not OutboxEvent.objects.filter(aggregate_id="hld_rolled_back").exists()


@pytest.mark.django_db
def test_holds_emit_placed_captured_voided_expired():
    account, merchant = funded_account("100.00"), funded_account("0.00", owner_id="merchant")
    captured = hold_place(account=account.public_id, amount="10.00", currency="USD").hold
    hold_capture(hold_id=captured.public_id, to_account=merchant.public_id, amount="4.00")
    voided = hold_place(account=account.public_id, amount="1.00", currency="USD").hold
    hold_void(hold_id=voided.public_id)
    expiring = hold_place(account=account.public_id, amount="2.00", currency="USD").hold
    holds_expire(now=expiring.expires_at)
    kinds = [(e.event_type, e.aggregate_id) for e in OutboxEvent.objects.filter(aggregate_type="hold").order_by("id")]
    assert kinds == [
        ("hold.placed", captured.public_id),
        ("hold.captured", captured.public_id),
        ("hold.placed", voided.public_id),
        ("hold.voided", voided.public_id),
        ("hold.placed", expiring.public_id),
        ("hold.expired", expiring.public_id),
    ]
    capture = events("hold.captured")[0].payload
    assert capture["captured_minor"] == 400 and capture["transaction"].startswith("txn_")
    assert OutboxEvent.objects.filter(aggregate_id=capture["transaction"], event_type="transaction.posted").exists()


@pytest.mark.django_db
def test_a_payment_emits_each_status_change_in_order():
    account = funded_account("500.00", "EUR")
    payment = payments.payment_send(request=request_from(sct_body(account.public_id)), debtor_account=account.public_id)
    moves = [(e.payload["from_status"], e.payload["to_status"]) for e in events("payment.status_changed")]
    assert moves == [
        ("", "RECEIVED"),
        ("RECEIVED", "VALIDATED"),
        ("VALIDATED", "CHECKED"),
        ("CHECKED", "FUNDS_RESERVED"),
        ("FUNDS_RESERVED", "QUEUED"),
    ]
    assert {e.aggregate_id for e in events("payment.status_changed")} == {payment.payment.public_id}


@pytest.mark.django_db
def test_the_fx_deal_api_writes_a_schema_valid_event():
    with transaction.atomic():
        fx_deal_booked_emit(
            deal_id="fxd_1",
            customer_account="acc_1",
            pair="EUR/USD",
            side="BUY",
            sold_currency="USD",
            sold_minor=10850,
            bought_currency="EUR",
            bought_minor=10000,
            rate="1.085",
            transactions=["txn_1"],
        )
    assert validate_outbox() >= 1
    bad = OutboxEvent.objects.get(aggregate_id="fxd_1")
    bad.payload["pair"] = "EURUSD"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad.payload, schema("fx.deal_booked", 1))
