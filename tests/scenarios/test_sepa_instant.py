"""Scenario 5, "SEPA instant, end to end", as a worked example through real processes.

A customer in Germany pays 150.00 EUR to a French IBAN with ``speed: instant``. Routing chooses SCT Inst (EUR to
the SEPA zone, instant, under ``QENEX_PAYMENTS_SCT_INST_MAX``). Inside the order's transaction the payment is
screened (``compliance.sanctions``) and scored by the fraud model in production (``fraud.model``); it passes, and
150.00 plus the 0.50 SCT Inst fee are held on the account. A real Celery worker submits the pacs.008 to the
network sandbox, which answers ACSC at once (SCT Inst has no separate ACCP step); real beat reads the answer and
settles the payment: the hold is captured to the EUR NOSTRO (the rail's settlement account) and the fee posted to
FEE_INCOME. The account page's live updates ride on the Channels group ``balance.<account>``: here the test joins
that group on the Redis channel layer, as the page's WebSocket consumer does, and receives the new balance that
the beat process published.

Not asserted here: the event on the stream (another part of the product builds the event stream).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from apps.accounts.models import AccountType
from apps.accounts.selectors import internal_account_find
from apps.core.metrics import INFERENCE_DURATION
from apps.fraud import runtime
from apps.fraud.services import model_version_promote, model_version_save
from apps.ledger.events import balance_group
from apps.ledger.models import JournalEntry
from apps.ledger.selectors import balance_get
from apps.payments.selectors import payment_get
from tests.conftest import make_client
from tests.factories import funded_account
from tests.payments.gateway.payments import sct_body
from tests.payments.gateway.test_worker import finished

from .conftest import running_bank

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
FEES = "sepa=0.20,sepa_inst=0.50"


@pytest.fixture
def bank(transactional_db, tmp_path) -> Iterator[dict]:
    # Stopped before the test's database is emptied (this fixture needs transactional_db, so it ends first).
    with running_bank(tmp_path, QENEX_PAYMENTS_FEES=FEES) as running:
        yield running


@pytest.fixture
def fraud_model(settings, tmp_path) -> Iterator[None]:
    """A small model trained on synthetic data, registered and in production (as ``fraud_train --promote``)."""
    from apps.fraud import synthetic
    from apps.fraud.dataset import read_rows
    from apps.fraud.evaluation import Window, train_on

    csv = tmp_path / "fraud.csv"
    synthetic.write_csv(csv, synthetic.generate(customers=150, days=45, seed=11, fraud_scale=3.0))
    model = train_on(read_rows(str(csv)), Window.of_days(date(2026, 1, 1), date(2026, 2, 14)), label_delay_days=7)
    settings.QENEX_FRAUD_MODEL_DIR = str(tmp_path / "models")
    settings.QENEX_FRAUD_MODEL_REFRESH_SECONDS = 0.0
    version = model_version_save(model=model, metrics={"scenario": 5}, actor="test").version
    model_version_promote(version=version, actor="test")
    runtime.clear()
    yield
    runtime.clear()


def scorings() -> float:
    """How many inline fraud scorings this process has timed (the histogram's count)."""
    return next(s.value for m in INFERENCE_DURATION.collect() for s in m.samples if s.name.endswith("_count"))


def test_an_instant_euro_payment_is_screened_scored_sent_and_settled_with_its_fee(bank, fraud_model, settings):
    settings.QENEX_PAYMENTS_FEES = FEES  # the fee is priced when the order is made, in this (the API's) process
    customer = funded_account("500.00", "EUR", owner_id="cust-sepa-instant", name="Max Mustermann")
    payer = make_client(["payments:write", "payments:read"], name="banking-app", owners=["cust-sepa-instant"])

    # The account page listens to the account's group; so does the test, on the same Redis channel layer.
    layer = get_channel_layer()
    page = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(balance_group(customer.public_id), page)

    # 1. The order: routed to SCT Inst, screened and scored, funds and fee held, queued for the worker.
    scored_before = scorings()
    body = sct_body(customer.public_id, speed="instant", reference="INST-1")
    sent = payer.post("/api/v1/payments/send", body, format="json", HTTP_IDEMPOTENCY_KEY="inst-1")
    assert sent.status_code == 201, sent.json()
    payment = sent.json()
    assert (payment["rail"], payment["message_format"], payment["fee"]) == ("sepa_inst", "pacs.008", "0.50")
    assert any("instant" in reason for reason in payment["routing_reasons"])
    assert scorings() == scored_before + 1  # the fraud model scored it inline
    checked = payer.get(f"/api/v1/payments/{payment['id']}").json()["history"]
    passed = next(event["reason"] for event in checked if event["to_status"] == "CHECKED")
    assert "compliance.sanctions" in passed and "fraud.model" in passed
    assert balance_get(account=customer).held_minor == 15050

    # 2. Worker → network → beat: the sandbox answers ACSC, the payment settles within seconds.
    order = finished(payment_get(public_id=payment["id"]), bank["logs"], timeout=60)
    assert order.status == "SETTLED", order.reason
    detail = payer.get(f"/api/v1/payments/{payment['id']}").json()
    statuses = [event["to_status"] for event in detail["history"]]
    assert statuses[-3:] == ["SUBMITTED", "ACCEPTED", "SETTLED"]
    sent_out = [m for m in detail["messages"] if m["direction"] == "OUT"]
    answers = [m for m in detail["messages"] if m["direction"] == "IN"]
    assert [m["message_type"] for m in sent_out] == ["pacs.008"]
    assert [(m["message_type"], m["status"]) for m in answers] == [("pacs.002.001.10", "ACSC")]  # no ACCP step
    assert bank["sandbox"].seen(str(order.uetr)) == 1

    # 3. The hold captured to the settlement account, the fee posted, nothing left held.
    nostro = internal_account_find(account_type=AccountType.NOSTRO, currency="EUR")
    fee_income = internal_account_find(account_type=AccountType.FEE_INCOME, currency="EUR")
    capture = JournalEntry.objects.get(public_id=order.capture_transaction_id)
    assert sorted((p.account_id, p.amount_minor) for p in capture.postings.all()) == sorted(
        [(customer.pk, -15000), (nostro.pk, 15000)]
    )
    fee = JournalEntry.objects.get(public_id=order.fee_transaction_id)
    assert sorted((p.account_id, p.amount_minor) for p in fee.postings.all()) == sorted(
        [(customer.pk, -50), (fee_income.pk, 50)]
    )
    balance = balance_get(account=customer)
    assert (balance.ledger_minor, balance.held_minor) == (50000 - 15050, 0)

    # 4. The live update: the page's group got the new balances, published by the process that settled it.
    updates = async_to_sync(page_updates)(layer, page, count=2)
    assert [(u["transaction"], u["balance"]) for u in updates] == [
        (order.capture_transaction_id, "350.00"),
        (order.fee_transaction_id, "349.50"),
    ]
    assert all(u["account"] == customer.public_id and u["currency"] == "EUR" for u in updates)
    async_to_sync(layer.group_discard)(balance_group(customer.public_id), page)


async def page_updates(layer, channel: str, *, count: int, timeout: float = 30.0) -> list[dict]:
    """The first ``count`` messages on ``channel`` (one event loop for all the reads, as a consumer has)."""
    updates = []
    async with asyncio.timeout(timeout):
        while len(updates) < count:
            updates.append(await layer.receive(channel))
    return updates
