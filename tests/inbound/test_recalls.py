"""camt.056 recalls of payments we received, answered with camt.029."""

from __future__ import annotations

import uuid

import pytest

from apps.inbound import services
from apps.inbound.models import ExceptionItem, InboundPayment, RecallRequest
from apps.payments.formats.iso20022 import parse

from .messages import OTHER_IBAN, camt056, pacs008

pytestmark = pytest.mark.django_db


def answer_of(recall: RecallRequest):
    return parse(recall.answer_body.encode())


def test_a_recall_of_a_payment_in_suspense_returns_it_and_answers_cncl(eur_account):
    raw, uetr = pacs008(creditor_iban=OTHER_IBAN, amount="60.00")
    services.message_receive(raw=raw, rail="sepa")
    (item,) = services.message_receive(raw=camt056(uetr=uetr, reason="DUPL"), rail="sepa").items
    assert item.outcome == "cancelled"
    inbound = InboundPayment.objects.get(network_id=uetr)
    assert inbound.status == "RETURNED" and inbound.return_reason_code == "FOCR"
    assert ExceptionItem.objects.get(inbound=inbound).status == "RETURNED"
    recall = RecallRequest.objects.get(inbound=inbound)
    answer = answer_of(recall)
    assert answer.confirmation == "CNCL" and answer.transactions[0].status == "ACCR"
    assert answer.transactions[0].original_uetr == uetr


def test_a_recall_of_a_credited_payment_is_refused_for_the_customer_to_decide(eur_account):
    raw, uetr = pacs008(amount="60.00")
    services.message_receive(raw=raw, rail="sepa")
    (item,) = services.message_receive(raw=camt056(uetr=uetr, reason="FRAD"), rail="sepa").items
    assert item.outcome == "refused" and item.detail == "CUST"
    assert InboundPayment.objects.get(network_id=uetr).status == "CREDITED"
    answer = answer_of(RecallRequest.objects.get(reason_code="FRAD"))
    assert (answer.confirmation, answer.transactions[0].reason_code) == ("RJCR", "CUST")


def test_a_recall_of_something_we_never_received_is_refused_noor_and_recorded_once(db):
    raw = camt056(uetr=str(uuid.uuid4()))
    (item,) = services.message_receive(raw=raw, rail="sepa").items
    assert item.outcome == "refused" and item.detail == "NOOR"
    (again,) = services.message_receive(raw=raw, rail="sepa").items
    assert again.outcome == "duplicate"
    assert RecallRequest.objects.count() == 1


def test_a_second_recall_after_the_return_is_refused_ardt(eur_account):
    raw, uetr = pacs008(creditor_iban=OTHER_IBAN, amount="60.00")
    services.message_receive(raw=raw, rail="sepa")
    services.message_receive(raw=camt056(uetr=uetr), rail="sepa")
    (item,) = services.message_receive(raw=camt056(uetr=uetr), rail="sepa").items
    assert item.detail == "ARDT"
