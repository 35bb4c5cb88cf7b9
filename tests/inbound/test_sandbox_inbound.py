"""The network sandbox (in process, a fake clock) produces returns, NOCs and inbound messages on request."""

from __future__ import annotations

import pytest

from apps.inbound import messages as inbound_messages
from apps.payments.sandbox.config import SandboxConfig
from apps.payments.sandbox.network import Network, SubmissionRefused
from apps.payments.sandbox.outcomes import parse_outcome_header
from tests.payments.sandbox.messages import ach_file as ach_ppd_file
from tests.payments.sandbox.messages import sct

from .messages import pacs008


class Clock:
    def __init__(self) -> None:
        self.now = 1_780_000_000.0  # 2026

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def network():
    clock = Clock()
    net = Network(SandboxConfig(delay_seconds=0.1), clock=clock)
    net.clock_handle = clock
    return net


def _later(network, seconds: float = 1.0) -> None:
    network.clock_handle.now += seconds


def test_noc_outcome_sends_a_cor_file_to_the_inbound_feed(network):
    raw, traces = ach_ppd_file()
    network.submit("ach", raw, parse_outcome_header("noc:C01"))
    _later(network)
    (delivered,) = network.inbound("ach", 0, 100)["messages"]
    read = inbound_messages.read_message(delivered["body"].encode())
    assert {type(item) for item in read.items} == {inbound_messages.Changed}
    assert {item.change_code for item in read.items} == {"C01"}
    assert {item.original_ids[0] for item in read.items} <= set(traces)
    assert network.inbound("ach", delivered["cursor"], 100)["messages"] == []


def test_noc_is_refused_off_ach_and_with_an_unknown_code(network):
    raw, _ = ach_ppd_file()
    with pytest.raises(SubmissionRefused):
        network.submit("ach", raw, parse_outcome_header("noc:C99"))
    with pytest.raises(SubmissionRefused):
        network.submit("sepa", sct()[0], parse_outcome_header("noc:C01"))


def test_sepa_return_after_settlement_is_a_pacs004_quoting_the_uetr(network):
    raw, uetr = sct()
    network.submit("sepa", raw, parse_outcome_header("return:AC04"))
    _later(network)
    kinds = [a["kind"] for a in network.acks("sepa", 0, 100)["acks"]]
    assert kinds == ["status", "status", "return"]
    (delivered,) = network.inbound("sepa", 0, 100)["messages"]
    (item,) = inbound_messages.read_message(delivered["body"].encode(), rail="sepa").items
    assert item.reason_code == "AC04" and uetr in item.original_ids


def test_a_message_from_another_bank_is_delivered_once_validated(network):
    raw, uetr = pacs008()
    receipt = network.deliver("sepa", raw)
    (delivered,) = network.inbound("sepa", 0, 100)["messages"]
    assert delivered["inbound_id"] == receipt["inbound_id"] and uetr in delivered["body"]
    with pytest.raises(SubmissionRefused) as refused:
        network.deliver("sepa", b"<Document>nope</Document>")
    assert refused.value.code == "invalid_message"


def test_our_pacs004_is_taken_and_settled(network):
    from django.utils import timezone

    from apps.inbound.models import InboundPayment
    from apps.inbound.returns_out import _pacs004

    raw, uetr = pacs008()
    (item,) = inbound_messages.read_message(raw, rail="sepa").items
    inbound = InboundPayment(rail="sepa", amount_minor=item.amount_minor, currency="EUR", original=item.original)
    body = _pacs004(inbound, "AC01", timezone.now())
    receipt = network.submit("sepa", body, None).body
    _later(network)
    (answer,) = network.status("sepa", receipt["network_reference"])["replies"]
    assert answer["status"] == "ACSC"
    again = network.submit("sepa", body, None).body
    assert again["duplicate"] is True


def test_a_recall_is_delivered_and_our_camt029_is_taken(network):
    import uuid

    from .messages import camt056

    network.deliver("sepa", camt056(uetr=str(uuid.uuid4())))
    (delivered,) = network.inbound("sepa", 0, 100)["messages"]
    assert delivered["message_type"] == "camt.056.001.08"
    from datetime import UTC, datetime

    from apps.payments.formats.iso20022 import Agent, Camt029, CancellationStatus

    answer = Camt029(
        assignment_id="ANS-1",
        created=datetime.now(UTC).replace(microsecond=0),
        assigner=Agent(bic="QNXBDEFFXXX"),
        assignee=Agent(bic="BNPAFRPPXXX"),
        confirmation="RJCR",
        transactions=(CancellationStatus(status="RJCR", reason_code="NOOR"),),
    ).to_xml()
    receipt = network.submit("sepa", answer, None).body
    assert receipt["message_type"] == "camt.029.001.09" and receipt["duplicate"] is False
