"""MT101 request for transfer: sequence A once, sequence B per transaction; built, read back, partner text, rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from apps.payments.formats import swift_mt
from apps.payments.formats.detect import validate_file
from apps.payments.formats.errors import WARNING, MessageValidationError
from apps.payments.formats.swift_mt import (
    MT101,
    CurrencyAmount,
    Institution,
    InstructionCode,
    MT101Transaction,
    Party,
    build_mt101,
    make_envelope,
    parse_mt101,
)

PARTNER = """{1:F01DEUTDEFFAXXX0000000000}{2:I101CHASUS33XXXXN}{4:
:20:MT101-REQ-0001
:28D:1/1
:50H:/DE89370400440532013000
ACME GMBH
HAUPTSTRASSE 1
:30:260302
:21:TX-1
:32B:EUR1000,00
:57A:BNPAFRPPXXX
:59:/FR1420041010050500013M02606
PIERRE DUPONT
:70:INVOICE 17
:71A:SHA
:21:TX-2
:23E:URGP
:32B:USD250,50
:59A:/12345678
CHASUS33XXX
:71A:OUR
-}"""


def sample_mt101(**overrides) -> MT101:
    values = dict(
        header=make_envelope("101", sender_bic="DEUTDEFFXXX", receiver_bic="CHASUS33XXX"),
        sender_reference="REQ-77",
        customer_reference="CUST-REF-1",
        message_index=1,
        message_total=2,
        instructing_party=Party("L", identifier="ACME-TREASURY-01"),
        requested_execution_date=date(2026, 3, 2),
        authorisation="SIGNED-BY-2",
        transactions=(
            MT101Transaction(
                reference="TX-1",
                fx_deal_reference="FX-0042",
                instruction_codes=(InstructionCode("RTGS"),),
                currency="USD",
                amount=Decimal("12500.00"),
                ordering_customer=Party("G", account="DE89370400440532013000", bic="DEUTDEFFXXX"),
                intermediary=Institution("A", bic="CHASUS33XXX"),
                account_with_institution=Institution("D", name_address=("FIRST BANK", "NEW YORK")),
                beneficiary=Party("", account="12345678", name_address=("JOHN SMITH", "1 MAIN ST")),
                remittance_information=("INV 2026-17",),
                regulatory_reporting=("/ORDERRES/DE//SERVICES",),
                original_ordered_amount=CurrencyAmount("EUR", Decimal("11500.00")),
                details_of_charges="OUR",
                charges_account="DE89370400440532013000",
                exchange_rate=Decimal("1.0869565"),
            ),
            MT101Transaction(
                reference="TX-2",
                currency="EUR",
                amount=Decimal("99.99"),
                ordering_customer=Party(
                    "F", account="DE89370400440532013000", name_address=("1/ACME GMBH", "6/DE/FRANKFURT")
                ),
                beneficiary=Party("A", account="FR1420041010050500013M02606", bic="BNPAFRPPXXX"),
                details_of_charges="SHA",
            ),
        ),
    )
    values.update(overrides)
    return MT101(**values)


def test_mt101_reads_back_identical() -> None:
    message = sample_mt101()
    text = build_mt101(message)
    assert ":28D:1/2\r\n:50L:ACME-TREASURY-01\r\n:30:260302\r\n:25:SIGNED-BY-2\r\n:21:TX-1\r\n:21F:FX-0042\r\n" in text
    assert ":50G:/DE89370400440532013000\r\nDEUTDEFFXXX\r\n" in text
    assert parse_mt101(text) == message
    assert swift_mt.validate_raw(text.encode()) == ("MT101", [])


def test_partner_mt101_with_lf_and_ordering_customer_in_sequence_a() -> None:
    message = parse_mt101(PARTNER)
    assert message.ordering_customer == Party(
        "H", account="DE89370400440532013000", name_address=("ACME GMBH", "HAUPTSTRASSE 1")
    )
    assert [(tx.reference, tx.currency, tx.amount, tx.details_of_charges) for tx in message.transactions] == [
        ("TX-1", "EUR", Decimal("1000.00"), "SHA"),
        ("TX-2", "USD", Decimal("250.50"), "OUR"),
    ]
    assert message.transactions[0].account_with_institution.bic == "BNPAFRPPXXX"
    assert message.transactions[1].instruction_codes == (InstructionCode("URGP"),)
    report = validate_file(PARTNER.encode())
    assert (report.format_name, report.message_type, report.errors) == ("SWIFT MT", "MT101", [])


def test_a_transaction_missing_its_charges_is_named() -> None:
    broken = PARTNER.replace(":71A:SHA\n", "")
    errors = swift_mt.validate_raw(broken.encode())[1]
    assert [(e.field, e.line) for e in errors] == [(":71A:", 8)]
    assert "TX-1" in errors[0].reason


def test_a_bad_amount_in_the_second_transaction_names_its_line() -> None:
    broken = PARTNER.replace(":32B:USD250,50", ":32B:USD250.50")
    errors = swift_mt.validate_raw(broken.encode())[1]
    assert errors and errors[0].field == ":32B:"
    assert errors[0].line == broken.split("\n").index(":32B:USD250.50") + 1


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"fx_deal_reference": None}, ":21F:", "C1"),
        ({"exchange_rate": None, "fx_deal_reference": None}, ":36:", "C2"),
    ],
)
def test_fx_rules(change: dict, field: str, rule: str) -> None:
    message = sample_mt101()
    first = MT101Transaction(**{**message.transactions[0].__dict__, **change})
    with pytest.raises(MessageValidationError) as raised:
        build_mt101(sample_mt101(transactions=(first, message.transactions[1])))
    assert [(e.field, e.severity) for e in raised.value.errors] == [(field, WARNING)]
    assert rule in raised.value.errors[0].reason


def test_ordering_customer_in_sequence_a_and_b_breaks_c3() -> None:
    text = PARTNER.replace(
        ":21:TX-2\n:23E:URGP\n:32B:USD250,50\n", ":21:TX-2\n:23E:URGP\n:32B:USD250,50\n:50G:/123\nCHASUS33XXX\n"
    )
    errors = swift_mt.validate_raw(text.encode())[1]
    assert [(e.field, e.severity) for e in errors] == [(":50a:", WARNING)]
    assert "C3" in errors[0].reason and "TX-2" in errors[0].reason


def test_option_h_needs_an_account_and_28d_an_index_within_the_total() -> None:
    errors = swift_mt.validate_raw(PARTNER.replace(":50H:/DE89370400440532013000\n", ":50H:").encode())[1]
    assert any(e.field == ":50H:" and "/account" in e.reason for e in errors)
    errors = swift_mt.validate_raw(PARTNER.replace(":28D:1/1", ":28D:3/2").encode())[1]
    assert [e.field for e in errors] == [":28D:"]


def test_mt101_needs_a_transaction() -> None:
    text = PARTNER.split(":21:TX-1")[0] + "-}"
    errors = swift_mt.validate_raw(text.encode())[1]
    assert any(e.field == ":21:" for e in errors)
