"""Inbound end to end through real processes: the network sandbox delivers, beat and a Celery worker receive and
return, PostgreSQL and Redis are the real ones (scenario 8, suspense then return or apply, is in tests/scenarios/)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import time

import pytest

from apps.inbound.models import InboundPayment, PaymentNotice
from apps.ledger.models import EntryType, JournalEntry
from apps.ledger.selectors import balance_get
from apps.payments import services as payment_services
from apps.payments.formats.nacha import AchFile, Batch, build_ach_file, make_trace_number
from apps.payments.models import PaymentOrder
from apps.payments.services import account_alias_register
from apps.payments.states import PaymentStatus
from tests.factories import funded_account
from tests.payments.formats.test_nacha_golden import ODFI, sample_batch_header, sample_file_header
from tests.payments.gateway.payments import ach_body, request_from

from .messages import OUR_IBAN, outbound_ach_entry, pacs008
from .processes import deliver, inbound_processes, until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
S = PaymentStatus


@pytest.fixture(scope="module")
def processes(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[dict]:
    with inbound_processes(tmp_path_factory.mktemp("inbound-worker"), django_db_blocker) as running:
        yield running


@pytest.fixture
def max_account(db):
    account = funded_account("10.00", currency="EUR", name="Max Mustermann", owner_id="cust-max")
    account_alias_register(identifier=OUR_IBAN, account_id=account.public_id)
    return account


def inbound(uetr: str):
    return InboundPayment.objects.filter(network_id=uetr).first()


def test_an_inbound_sepa_credit_lands_on_the_right_account_and_a_duplicate_credits_once(processes, max_account):
    raw, uetr = pacs008(amount="321.00")
    deliver(processes, "sepa", raw)
    deliver(processes, "sepa", raw)  # the network delivers the same message twice
    credited = until(lambda: inbound(uetr), processes, what="received")
    assert credited.status == "CREDITED" and credited.account == max_account and credited.source == "network"
    other, other_uetr = pacs008(amount="1.00")
    deliver(processes, "sepa", other)  # the feed moved past both copies once this one is in
    until(lambda: inbound(other_uetr), processes, what="second message received")
    assert InboundPayment.objects.filter(network_id=uetr).count() == 1
    assert JournalEntry.objects.filter(metadata__inbound=credited.public_id).count() == 1
    assert balance_get(account=max_account).ledger_minor == 1000 + 32100 + 100


def _ach_batch_for(payment: PaymentOrder, trace: str) -> bytes:
    """Stand-in for the outbound ACH batch (the lead's, not on main yet): one PPD credit entry for ``payment``."""
    sequence = int(trace[-7:])
    header = dataclasses.replace(sample_file_header("A"), file_creation_time=time(12, sequence % 60))  # own file id
    batch = Batch(sample_batch_header("PPD"), (outbound_ach_entry(payment, trace),))
    return build_ach_file(AchFile(header, (batch,)))


def _settled_ach_payment(processes, outcome: str, sequence: int) -> tuple[PaymentOrder, object]:
    account = funded_account("1000.00", "USD")
    payment = payment_services.payment_send(
        request=request_from(ach_body(account.public_id)), debtor_account=account.public_id
    ).payment
    trace = make_trace_number(ODFI, sequence)
    raw = _ach_batch_for(payment, trace)
    receipt = processes["sandbox"].submit("ach", raw, outcome)
    # What the batch will record: the file the payment went in, submitted.
    PaymentOrder.objects.filter(pk=payment.pk).update(status=S.SUBMITTED, attempts=1, network_key=receipt["message_id"])

    # The file acknowledgement settles it (the payments' own answer handling reads the ACH feed).
    def settled() -> bool:
        payment_services.acks_poll(rail="ach")
        return PaymentOrder.objects.get(pk=payment.pk).status in (S.SETTLED, S.RETURNED)

    until(settled, processes, what="settled")
    return payment, account


def test_an_ach_r01_return_after_settlement_reverses_the_posting(processes):
    payment, account = _settled_ach_payment(processes, "return:R01", 7001)
    returned = until(
        lambda: PaymentOrder.objects.filter(pk=payment.pk, status=S.RETURNED).first(), processes, what="returned"
    )
    assert returned.reason_code == "R01"
    reversal = JournalEntry.objects.get(public_id=returned.return_transaction_id)
    assert reversal.entry_type == EntryType.REVERSAL and reversal.reverses.public_id == returned.capture_transaction_id
    assert balance_get(account=account).ledger_minor == 100000
    assert PaymentNotice.objects.get(payment_id=payment.public_id).status == "APPLIED"


def test_a_noc_updates_the_counterparty(processes):
    payment, _ = _settled_ach_payment(processes, "noc:C01", 7002)
    noticed = until(lambda: PaymentNotice.objects.filter(payment_id=payment.public_id).first(), processes, what="noc")
    assert noticed.kind == "CHANGE" and noticed.reason_code == "C01"
    payment.refresh_from_db()
    assert payment.status == S.SETTLED and payment.creditor_identifier == "1234567891"  # the sandbox's correction
