"""Each rail answers a valid message like the real network, and rejects an invalid one; every answer parses."""

from __future__ import annotations

import json

import pytest

from apps.payments.formats.fedwire import parse_fedwire_acknowledgement
from apps.payments.formats.iso20022 import parse_pacs002
from apps.payments.formats.nacha import Addenda99, parse_ach_file
from apps.payments.formats.swift_mt import parse_mt199, parse_mt900, parse_mt910

from .messages import ach_file, cbpr_pacs008, fedwire_ctr, mt103, sct

pytestmark = pytest.mark.slow  # one sandbox subprocess for the module


def test_sepa_credit_transfer_is_accepted_then_settled(network_sandbox) -> None:
    raw, uetr = sct()
    receipt = network_sandbox.submit("sepa", raw)
    assert receipt["message_id"] == uetr and receipt["duplicate"] is False
    replies = network_sandbox.wait_for_replies("sepa", receipt["network_reference"], 2)
    assert [r["status"] for r in replies] == ["ACCP", "ACSC"]
    for reply, status in zip(replies, ("ACCP", "ACSC"), strict=True):
        report = parse_pacs002(reply["body"])
        assert report.original_groups[0].original_message_name_id == "pacs.008.001.08"
        assert report.transactions[0].original_uetr == uetr
        assert report.transactions[0].status == status
    assert network_sandbox.status("sepa", uetr)["state"] == "final"


def test_sct_inst_is_settled_in_one_answer(network_sandbox) -> None:
    raw, uetr = sct(instant=True)
    receipt = network_sandbox.submit("sepa_inst", raw)
    [reply] = network_sandbox.wait_for_replies("sepa_inst", uetr, 1)
    assert parse_pacs002(reply["body"]).transactions[0].status == "ACSC"
    assert receipt["network_reference"].startswith("INST")


def test_invalid_sepa_message_gets_a_group_rejection_ff01(network_sandbox) -> None:
    raw, _ = sct()
    broken = raw.replace(b"<Ccy>", b"<Ccy>").replace(b'Ccy="EUR"', b'Ccy="USD"')
    receipt = network_sandbox.submit("sepa", broken)
    [reply] = network_sandbox.wait_for_replies("sepa", receipt["network_reference"], 1)
    group = parse_pacs002(reply["body"]).original_groups[0]
    assert (reply["status"], group.group_status, group.reasons[0].code) == ("RJCT", "RJCT", "FF01")
    assert any("EUR" in line for line in group.reasons[0].additional_info)
    assert network_sandbox.status("sepa", receipt["network_reference"])["valid"] is False


def test_instant_payment_on_the_sct_rail_is_rejected(network_sandbox) -> None:
    raw, _ = sct(instant=True)
    receipt = network_sandbox.submit("sepa", raw)
    [reply] = network_sandbox.wait_for_replies("sepa", receipt["network_reference"], 1)
    assert reply["reason"] == "FF01"
    assert "sepa_inst" in " ".join(parse_pacs002(reply["body"]).original_groups[0].reasons[0].additional_info)


def test_forced_rejection_carries_the_iso_reason(network_sandbox) -> None:
    raw, uetr = sct()
    network_sandbox.submit("sepa", raw, "reject:AC04")
    [reply] = network_sandbox.wait_for_replies("sepa", uetr, 1)
    transaction = parse_pacs002(reply["body"]).transactions[0]
    assert (transaction.status, transaction.reasons[0].code, transaction.original_uetr) == ("RJCT", "AC04", uetr)


def test_mt103_is_confirmed_by_mt900_and_an_mt199_status(network_sandbox) -> None:
    raw, uetr, reference = mt103()
    receipt = network_sandbox.submit("swift", raw)
    assert receipt["message_id"] == f"{reference}+{uetr}"
    debit, status = network_sandbox.wait_for_replies("swift", receipt["network_reference"], 2)
    mt900 = parse_mt900(debit["body"])
    assert (mt900.related_reference, mt900.currency, str(mt900.amount)) == (reference, "USD", "100000.00")
    assert (mt900.sender_bic, mt900.receiver_bic) == ("DEUTDEFFXXX", "CHASUS33XXX")
    mt199 = parse_mt199(status["body"])
    assert mt199.uetr == uetr and mt199.related_reference == reference and mt199.narrative[1] == "//ACSC"


def test_mt103_rejection_and_return(network_sandbox) -> None:
    raw, uetr, _ = mt103()
    network_sandbox.submit("swift", raw, "reject:AM04")
    [rejection] = network_sandbox.wait_for_replies("swift", f"{mt103_key(raw)}", 1)
    assert parse_mt199(rejection["body"]).narrative[1:] == ("//RJCT", "//AM04")

    raw, uetr, reference = mt103()
    receipt = network_sandbox.submit("swift", raw, "return:AC04")
    replies = network_sandbox.wait_for_replies("swift", receipt["network_reference"], 3)
    assert [r["message_type"] for r in replies] == ["MT900", "MT199", "MT910"]
    mt910 = parse_mt910(replies[2]["body"])
    assert mt910.related_reference == reference and mt910.sender_to_receiver_information == ("/RETN/AC04",)


def mt103_key(raw: bytes) -> str:
    from apps.payments.formats.swift_mt import parse_mt103

    message = parse_mt103(raw)
    return f"{message.sender_reference}+{message.uetr}"


def test_unreadable_mt_is_naked_by_swift(network_sandbox) -> None:
    raw = b"{1:F01CHASUS33AXXX0000000000}{2:I103DEUTDEFFXXXXN}{4:\r\n:20:ONLY-A-REFERENCE\r\n-}"
    receipt = network_sandbox.submit("swift", raw)
    [nak] = network_sandbox.wait_for_replies("swift", receipt["network_reference"], 1)
    mt199 = parse_mt199(nak["body"])
    assert nak["kind"] == "nak" and mt199.sender_bic == "SWHQBEBBXXX" and mt199.receiver_bic == "CHASUS33XXX"
    assert mt199.narrative[0] == "NAK" and any("32A" in line for line in mt199.narrative)


def test_cbpr_plus_pacs008_on_the_swift_rail(network_sandbox) -> None:
    raw, uetr = cbpr_pacs008()
    receipt = network_sandbox.submit("swift", raw)
    assert receipt["message_id"] == uetr
    [reply] = network_sandbox.wait_for_replies("swift", uetr, 1)
    assert parse_pacs002(reply["body"]).transactions[0].original_uetr == uetr
    assert reply["status"] == "ACSC"


def test_fedwire_acknowledgement_with_imad_and_omad(network_sandbox) -> None:
    raw, imad = fedwire_ctr()
    receipt = network_sandbox.submit("fedwire", raw)
    assert receipt["message_id"] == imad
    [reply] = network_sandbox.wait_for_replies("fedwire", imad, 1)
    ack = parse_fedwire_acknowledgement(reply["body"])
    assert ack.accepted and str(ack.message.imad) == imad
    assert ack.omad is not None and ack.omad.destination == "02100002"


def test_fedwire_rejections(network_sandbox) -> None:
    raw, imad = fedwire_ctr()
    network_sandbox.submit("fedwire", raw, "reject:F100")
    [reply] = network_sandbox.wait_for_replies("fedwire", imad, 1)
    ack = parse_fedwire_acknowledgement(reply["body"])
    assert not ack.accepted and (ack.error.category, ack.error.code) == ("F", "100")

    broken = raw.replace(b"{2000}", b"{2000}X")
    receipt = network_sandbox.submit("fedwire", broken)
    [reply] = network_sandbox.wait_for_replies("fedwire", receipt["network_reference"], 1)
    ack = parse_fedwire_acknowledgement(reply["body"])
    assert (ack.error.category, ack.error.code, reply["reason"]) == ("E", "101", "E101")


def test_ach_file_is_acknowledged_and_returned_r01(network_sandbox) -> None:
    raw, traces = ach_file()
    receipt = network_sandbox.submit("ach", raw, "return:R01")
    ack, returned = network_sandbox.wait_for_replies("ach", receipt["network_reference"], 2)
    document = json.loads(ack["body"])
    assert (document["status"], document["entry_count"], document["total_credit_cents"]) == ("ACCEPTED", 2, 152_500)
    return_file = parse_ach_file(returned["body"])
    addenda = [entry.addenda[0] for batch in return_file.batches for entry in batch.entries]
    assert all(isinstance(a, Addenda99) and a.return_reason_code == "R01" for a in addenda)
    assert sorted(a.original_trace_number for a in addenda) == traces
    assert returned["reason"] == "R01"


def test_invalid_ach_file_is_rejected(network_sandbox) -> None:
    raw, _ = ach_file()
    lines = raw.decode().splitlines()
    lines[2] = lines[2][:29] + "0000999999" + lines[2][39:]  # change an amount: totals no longer match
    receipt = network_sandbox.submit("ach", ("\n".join(lines) + "\n").encode())
    [ack] = network_sandbox.wait_for_replies("ach", receipt["network_reference"], 1)
    document = json.loads(ack["body"])
    assert (document["status"], document["reason"]) == ("REJECTED", "invalid_file")
    assert any("total" in error for error in document["errors"])
