"""Fedwire FAIM golden files: exact bytes for fixed inputs, one per business function we send.

Regenerate (``REGENERATE_GOLDEN=1``) only after checking the new bytes against FAIM by eye.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from apps.payments.formats import fedwire
from apps.payments.formats.fedwire import FedwireMessage, FedwireParty, Imad, build_fedwire_message

GOLDEN = Path(__file__).parent / "golden" / "fedwire"
IMAD = Imad(date(2024, 1, 5), "QMGFT015", "000123")


def sample_ctr() -> FedwireMessage:
    return FedwireMessage(
        type_code="10",
        subtype_code="00",
        imad=IMAD,
        amount=1_234_567,
        sender_aba="121000248",
        sender_short_name="WELLS FARGO NA",
        receiver_aba="021000021",
        receiver_short_name="JPMORGAN CHASE",
        business_function_code="CTR",
        user_request_correlation="QX000001",
        test_production_code="T",
        sender_reference="QX-2024-0001",
        beneficiary_fi=FedwireParty("F", "021000021", "JPMORGAN CHASE BANK NA", ("NEW YORK NY",)),
        beneficiary=FedwireParty("D", "123456789", "JOHN SMITH", ("1 MAIN STREET", "NEW YORK NY 10001", "US")),
        beneficiary_reference="INV-42",
        originator=FedwireParty("D", "987654321", "ACME CORP", ("2 ELM STREET", "SAN FRANCISCO CA 94105")),
        originator_fi=FedwireParty("F", "121000248", "WELLS FARGO BANK NA"),
        originator_to_beneficiary=("INVOICE 42 JANUARY", "THANK YOU"),
        receiver_fi_information=("/ACC/CREDIT ON RECEIPT",),
    )


def sample_btr() -> FedwireMessage:
    return FedwireMessage(
        type_code="16",
        subtype_code="00",
        imad=Imad(date(2024, 1, 5), "QMGFT015", "000124"),
        amount=500_000_000_00,
        sender_aba="121000248",
        receiver_aba="021000021",
        business_function_code="BTR",
        user_request_correlation="QX000002",
        sender_reference="QX-BTR-0002",
        beneficiary_fi=FedwireParty("F", "021000021", "JPMORGAN CHASE BANK NA"),
        additional_fi_to_fi=("LIQUIDITY TRANSFER",),
    )


def sample_reversal() -> FedwireMessage:
    return FedwireMessage(
        type_code="10",
        subtype_code="02",
        imad=Imad(date(2024, 1, 5), "QMGFT015", "000125"),
        amount=1_234_567,
        sender_aba="121000248",
        receiver_aba="021000021",
        business_function_code="CTR",
        user_request_correlation="QX000003",
        previous_imad="20240105QMGFT015000123",
        beneficiary=FedwireParty("D", "987654321", "ACME CORP"),
        originator=FedwireParty("D", "123456789", "JOHN SMITH"),
    )


def sample_drc() -> FedwireMessage:
    return FedwireMessage(
        type_code="10",
        subtype_code="31",
        imad=Imad(date(2024, 1, 5), "QMGFT015", "000126"),
        amount=75_000_00,
        sender_aba="121000248",
        receiver_aba="021000021",
        business_function_code="DRC",
        user_request_correlation="QX000004",
        beneficiary=FedwireParty("D", "555666777", "ACME CORP"),
        account_debited_drawdown=FedwireParty("D", "111222333", "ACME SUBSIDIARY LLC", ("10 PARK AVE",)),
        account_credited_drawdown="121000248",
        originator_to_beneficiary=("CASH CONCENTRATION",),
    )


SAMPLES = {
    "ctr.txt": sample_ctr,
    "btr.txt": sample_btr,
    "ctr_reversal.txt": sample_reversal,
    "drc.txt": sample_drc,
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_builder_output_matches_golden_file(name: str) -> None:
    built = build_fedwire_message(SAMPLES[name]())
    path = GOLDEN / name
    if os.environ.get("REGENERATE_GOLDEN"):
        path.write_bytes(built)
    assert built == path.read_bytes()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_golden_file_parses_back_to_the_same_domain_object(name: str) -> None:
    assert fedwire.parse((GOLDEN / name).read_bytes()) == SAMPLES[name]()


def test_ctr_golden_tags_are_exact() -> None:
    lines = (GOLDEN / "ctr.txt").read_text().splitlines()
    assert lines[:7] == [
        "{1500}30QX000001T ",
        "{1510}1000",
        "{1520}20240105QMGFT015000123",
        "{2000}000001234567",
        "{3100}121000248WELLS FARGO NA*",
        "{3320}QX-2024-0001*",
        "{3400}021000021JPMORGAN CHASE*",
    ]
    assert "{4200}D123456789*JOHN SMITH*1 MAIN STREET*NEW YORK NY 10001*US*" in lines
    assert "{6000}INVOICE 42 JANUARY*THANK YOU*" in lines


def test_unseparated_message_reads_the_same() -> None:
    raw = build_fedwire_message(sample_ctr(), separator="")
    assert b"\n" not in raw
    assert fedwire.parse(raw) == sample_ctr()
    assert fedwire.parse(build_fedwire_message(sample_ctr(), separator="\r\n")) == sample_ctr()
