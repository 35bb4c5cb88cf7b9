"""Submission and answers, in this process, against a real network sandbox process: each rail to SETTLED,
rejections, duplicate and out-of-order answers, a lost receipt resent under the same id, FAILED after N attempts.
(The same paths through a real Celery worker and beat: test_worker.py.)"""

from __future__ import annotations

import time

import pytest

from apps.accounts.models import AccountType
from apps.accounts.selectors import internal_account_find
from apps.ledger.models import Hold, HoldStatus, JournalEntry
from apps.ledger.selectors import balance_get
from apps.payments import services
from apps.payments.models import Direction, PaymentOrder
from apps.payments.services import payment_retry_failed
from apps.payments.states import FINAL, PaymentStatus
from tests.factories import funded_account

from .conftest import STALL_SECONDS
from .payments import ach_body, request_from, sct_body, seed_body

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # a sandbox subprocess for the module
S = PaymentStatus


@pytest.fixture
def network(link, settings):
    settings.QENEX_PAYMENTS_NETWORK_URLS = f"*={link.url}"
    settings.QENEX_PAYMENTS_HTTP_TIMEOUT = 5.0
    return link


def send(body, account):
    return services.payment_send(request=request_from(body), debtor_account=account.public_id).payment


def answered(payment: PaymentOrder, *, until=FINAL, timeout: float = 10.0) -> PaymentOrder:
    """Read the rail's feed (as beat does) until the payment reaches one of ``until``."""
    deadline = time.monotonic() + timeout
    while True:
        services.acks_poll(rail=payment.rail)
        payment.refresh_from_db()
        if payment.status in until or time.monotonic() > deadline:
            return payment
        time.sleep(0.1)


def nostro_minor(currency: str) -> int:
    account = internal_account_find(account_type=AccountType.NOSTRO, currency=currency)
    return balance_get(account=account).ledger_minor if account else 0


@pytest.mark.parametrize(
    ("maker", "currency", "overrides", "rail", "swift_format"),
    [
        (sct_body, "EUR", {}, "sepa", "mt103"),
        (sct_body, "EUR", {"speed": "instant"}, "sepa_inst", "mt103"),
        (seed_body, "USD", {}, "swift", "mt103"),
        (seed_body, "USD", {}, "swift", "pacs008"),
        (ach_body, "USD", {"speed": "urgent"}, "fedwire", "mt103"),
    ],
)
def test_each_rail_settles_and_the_hold_is_captured_to_the_settlement_account(
    network, settings, maker, currency, overrides, rail, swift_format
):
    settings.QENEX_PAYMENTS_SWIFT_FORMAT = swift_format
    account = funded_account("60000.00", currency)
    payment = send(maker(account.public_id, **overrides), account)
    nostro_before = nostro_minor(currency)
    assert services.payment_submit(payment_id=payment.public_id).status == S.SUBMITTED
    payment = answered(payment)
    assert payment.status == S.SETTLED, payment.reason
    assert Hold.objects.get(public_id=payment.hold_id).status == HoldStatus.CAPTURED
    entry = JournalEntry.objects.get(public_id=payment.capture_transaction_id)
    assert entry.amount_minor == payment.amount_minor
    assert nostro_minor(currency) - nostro_before == payment.amount_minor
    balance = balance_get(account=account)
    assert (balance.ledger_minor, balance.held_minor) == (6_000_000 - payment.amount_minor, 0)
    statuses = list(payment.events.values_list("to_status", flat=True))
    assert statuses[-4:] == [S.SUBMITTING, S.SUBMITTED, S.ACCEPTED, S.SETTLED]
    sent = payment.messages.get(direction=Direction.OUT)
    assert sent.message_type == payment.message_format


def test_a_rejection_voids_the_hold_and_keeps_the_reason(network):
    account = funded_account("500.00", "EUR")
    payment = send(sct_body(account.public_id), account)
    network.force_next("reject:AC04")
    services.payment_submit(payment_id=payment.public_id)
    payment = answered(payment)
    assert (payment.status, payment.reason_code) == (S.REJECTED, "AC04")
    assert Hold.objects.get(public_id=payment.hold_id).status == HoldStatus.VOIDED
    balance = balance_get(account=account)
    assert (balance.ledger_minor, balance.available_minor) == (50000, 50000)


def test_repeated_and_reordered_answers_settle_once(network):
    account = funded_account("500.00", "EUR")
    payment = send(sct_body(account.public_id), account)
    network.force_next("accept,duplicate_ack,out_of_order")
    services.payment_submit(payment_id=payment.public_id)
    payment = answered(payment)
    assert payment.status == S.SETTLED
    time.sleep(0.6)  # the repeated answers arrive too
    services.acks_poll(rail="sepa")
    received = payment.messages.filter(direction=Direction.IN)
    assert sorted(received.values_list("status", flat=True)) == ["ACCP", "ACSC"]
    assert JournalEntry.objects.filter(public_id=payment.capture_transaction_id).count() == 1
    assert balance_get(account=account).ledger_minor == 50000 - 15000


def test_a_lost_receipt_is_resent_under_the_same_id_and_the_network_counts_one_payment(
    network, settings, gateway_sandbox
):
    settings.QENEX_PAYMENTS_HTTP_TIMEOUT = STALL_SECONDS / 3
    account = funded_account("500.00", "EUR")
    payment = send(sct_body(account.public_id), account)
    network.force_next("accept,stall")  # the network takes it; its answer to our POST comes after our timeout
    first = services.payment_submit(payment_id=payment.public_id)
    assert first.status == S.QUEUED and first.retry_in is not None
    second = services.payment_submit(payment_id=payment.public_id)  # the retry: same message, same UETR
    assert second.status == S.SUBMITTED
    assert "already had it" in payment.events.last().reason
    seen = gateway_sandbox.get(f"/_sandbox/seen?id={payment.uetr}")[1]["submissions"]
    assert [s["duplicate"] for s in seen] == [False, True]
    assert len({s["network_reference"] for s in seen}) == 1
    payment = answered(payment)
    assert payment.status == S.SETTLED
    assert Hold.objects.get(public_id=payment.hold_id).status == HoldStatus.CAPTURED
    assert balance_get(account=account).ledger_minor == 50000 - 15000


def test_without_a_receipt_after_every_attempt_the_payment_fails_and_an_operator_can_retry(settings):
    settings.QENEX_PAYMENTS_NETWORK_URLS = "*=http://127.0.0.1:9"  # nothing listens on the discard port
    settings.QENEX_PAYMENTS_SUBMIT_ATTEMPTS = 2
    account = funded_account("500.00", "EUR")
    payment = send(sct_body(account.public_id), account)
    assert services.payment_submit(payment_id=payment.public_id).retry_in == settings.QENEX_PAYMENTS_RETRY_SECONDS
    outcome = services.payment_submit(payment_id=payment.public_id)
    payment.refresh_from_db()
    assert (outcome.status, outcome.retry_in, payment.reason_code) == (S.FAILED, None, "no_receipt")
    assert balance_get(account=account).held_minor == 15000  # the dead letter keeps its hold
    assert payment_retry_failed(payment_id=payment.public_id, actor="operator").status == S.QUEUED


def test_ach_payments_wait_for_the_batch_file():
    account = funded_account("500.00", "USD")
    payment = send(ach_body(account.public_id), account)
    assert services.payment_submit(payment_id=payment.public_id).status == S.QUEUED


def test_a_future_dated_payment_waits_for_its_value_date_then_goes(network):
    from datetime import timedelta

    from django.utils import timezone

    from apps.payments import business_days

    account = funded_account("500.00", "EUR")
    today = business_days.today(rail="sepa", currency="EUR", now=timezone.now())
    later = business_days.next_business_day(today + timedelta(days=10), business_days.TARGET)
    payment = send(sct_body(account.public_id, requested_execution_date=later.isoformat()), account)
    assert (payment.status, payment.value_date) == (S.QUEUED, later)
    assert payment.events.get(to_status=S.QUEUED).reason == f"warehoused until its value date {later}"
    assert Hold.objects.get(public_id=payment.hold_id).expires_at.date() > later  # the hold outlives the wait
    assert services.payment_submit(payment_id=payment.public_id).status == S.QUEUED
    assert not payment.messages.exists()  # nothing sent before its day
    assert services.payments_requeue_stale(now=timezone.now() + timedelta(hours=1)) == 0
    # its day comes (the value date moved to today stands in for the calendar turning)
    PaymentOrder.objects.filter(pk=payment.pk).update(value_date=today)
    assert services.payments_requeue_stale(now=timezone.now() + timedelta(hours=1)) == 1  # handed to a worker
    assert services.payment_submit(payment_id=payment.public_id).status == S.SUBMITTED  # (the worker's call)
    assert answered(payment).status == S.SETTLED


def test_a_warehoused_payment_can_still_be_cancelled(network):
    from datetime import timedelta

    from django.utils import timezone

    from apps.payments import business_days

    account = funded_account("500.00", "EUR")
    today = business_days.today(rail="sepa", currency="EUR", now=timezone.now())
    later = business_days.next_business_day(today + timedelta(days=3), business_days.TARGET)
    payment = send(sct_body(account.public_id, requested_execution_date=later.isoformat()), account)
    assert services.payment_cancel(payment_id=payment.public_id, actor="customer").status == S.CANCELLED
    assert balance_get(account=account).held_minor == 0
