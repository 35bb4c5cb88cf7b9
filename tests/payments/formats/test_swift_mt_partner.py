"""Messages written by hand from the standard, the way other banks' systems produce them.

They use LF endings, output (``O``) application headers, no block 3 where the type allows it,
trailers, and optional fields our builder never emits; each must read into the expected values.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from apps.payments.formats.errors import MessageValidationError
from apps.payments.formats.swift_mt import (
    MT103,
    MT202,
    MT202COV,
    MT900,
    MT910,
    MT940,
    MT950,
    AccountIdentification,
    Balance,
    CurrencyAmount,
    Institution,
    InstructionCode,
    OutputApplicationHeader,
    Party,
    StatementNumber,
    TimeIndication,
    parse,
    parse_mt103,
    parse_mt202,
    parse_mt202cov,
    parse_mt900,
    parse_mt910,
    parse_mt940,
    parse_mt950,
    validate_raw,
)

GOLDEN = Path(__file__).parent / "golden" / "swift_mt"


def read(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def test_partner_mt103_output_header_lf_and_trailer() -> None:
    message = parse_mt103(read("partner_mt103_output_lf.fin"))
    assert isinstance(message.header.application, OutputApplicationHeader)
    assert (message.sender_bic, message.receiver_bic) == ("CHASUS33XXX", "DEUTDEFFXXX")
    assert message.header.message_user_reference == "PAYREF7781"
    assert message.uetr == "4b1d27e8-0c71-4a5f-9e37-2d0c1d3b6a90"
    assert message.header.trailer == (("CHK", "3916EF336FF7"), ("TNG", ""))
    assert (message.value_date, message.currency, message.amount) == (date(2024, 3, 15), "EUR", Decimal("1958.47"))
    assert message.instruction_codes == (InstructionCode("INTC"),)
    assert message.ordering_customer == Party("A", account="GB29NWBK60161331926819", bic="NWBKGB2L")
    assert message.intermediary_institution == Institution("A", bic="INGBNL2A")
    assert message.account_with_institution == Institution("A", account="12345678", dc_mark="C", bic="COBADEFF")
    assert message.beneficiary_customer.name_address == ("FRANZ HUBER", "HAUPTSTRASSE 1", "80331 MUENCHEN")
    assert message.details_of_charges == "OUR"
    assert message.receivers_charges == CurrencyAmount("EUR", Decimal("12.50"))
    assert not message.is_stp


def test_partner_mt103_stp_crlf_with_option_f_parties() -> None:
    message = parse_mt103(read("partner_mt103_stp_crlf.fin"))
    assert message.is_stp
    assert message.header.user_header == (
        ("113", "ROMF"),
        ("119", "STP"),
        ("111", "001"),
        ("121", "0e9c4b3a-8d2f-4c4e-b1a7-6f5e4d3c2b1a"),
    )
    assert message.header.application.priority == "U"
    assert message.time_indications == (TimeIndication("CLSTIME", "1500", "+0100"),)
    assert message.ordering_customer.identifier == "DRLC/FR/PARIS/88841"
    assert message.ordering_customer.name == "SOCIETE EXEMPLE SA"
    assert message.beneficiary_customer == Party(
        "F", account="DE44500105175407324931", name_address=("1/MAX MUSTERMANN", "2/MUSTERWEG 5", "3/DE/BERLIN")
    )
    assert message.senders_correspondent == Institution("B", account="FR7630004000031234567890143", dc_mark="D")
    assert message.amount == Decimal("12345.6")
    assert message.regulatory_reporting == ("/BENEFRES/DE//ZAHLUNG",)


def test_partner_mt202_minimal() -> None:
    message = parse_mt202(read("partner_mt202_minimal_lf.fin"))
    assert isinstance(message, MT202)
    assert message.senders_correspondent == Institution("A", bic="CHASDEFX")
    assert message.beneficiary_institution == Institution("A", bic="DEUTDEFF")
    assert message.ordering_institution is None


def test_partner_mt202cov_with_sequence_b() -> None:
    message = parse_mt202cov(read("partner_mt202cov_output_lf.fin"))
    assert isinstance(message, MT202COV)
    assert message.intermediary == Institution("D", name_address=("FIRST NATIONAL CORRESPONDENT", "CHICAGO"))
    assert message.beneficiary_institution == Institution("A", account="123456789", bic="BOFAUS3N")
    b = message.underlying
    assert b.ordering_customer.name == "HANS MEIER"
    assert b.ordering_institution == Institution("D", name_address=("DEUTSCHE BANK", "FRANKFURT"))
    assert b.account_with_institution == Institution("C", account="/FW021000018")
    assert b.beneficiary_customer == Party("A", account="2233445566", bic="BOFAUS3N")
    assert b.instructed_amount == CurrencyAmount("USD", Decimal("25000"))


def test_partner_mt900_with_25p_and_block_5() -> None:
    message = parse_mt900(read("partner_mt900_output_lf.fin"))
    assert isinstance(message, MT900)
    assert message.account == AccountIdentification("400-123456-7", bic="CHASUS33")
    assert message.amount == Decimal("100015")
    assert message.sender_to_receiver_information == ("/CHGS/USD15,00",)
    assert message.uetr is None


def test_partner_mt910_without_block_3() -> None:
    message = parse_mt910(read("partner_mt910_no_block3_lf.fin"))
    assert isinstance(message, MT910)
    assert message.header.user_header is None
    assert message.date_time_indication == datetime(2024, 3, 15, 15, 59, tzinfo=timezone(-timedelta(hours=5)))
    assert message.ordering_institution == Institution("D", name_address=("SMALL TOWN BANK", "SPRINGFIELD IL"))


def test_partner_mt940_intermediate_pages_and_year_end() -> None:
    message = parse_mt940(read("partner_mt940_intermediate_lf.fin"))
    assert isinstance(message, MT940)
    assert message.account == AccountIdentification("DE89370400440532013000", bic="DEUTDEFF")
    assert message.statement_number == StatementNumber(1, 1)
    assert message.opening_balance == Balance("C", date(2023, 12, 29), "EUR", Decimal(0), intermediate=True)
    assert message.closing_balance.intermediate
    first, second, third = message.statement_lines
    assert (first.value_date, first.entry_date, first.funds_code) == (date(2023, 12, 31), date(2024, 1, 2), "R")
    assert first.information[0].startswith("166?00GUTSCHRIFT")
    assert len(first.information) == 2
    assert (second.mark, second.transaction_type, second.customer_reference) == ("RC", "NCHK", "CHQ 445")
    assert second.information == ()
    assert (third.bank_reference, third.supplementary_details, third.information) == (
        "X1",
        "SUPP INFO",
        ("RUECKUEBERWEISUNG",),
    )
    assert len(message.forward_available_balances) == 2
    assert message.information_to_account_owner == ("KONTOAUSZUG SEITE 1",)


def test_partner_mt950_without_entries() -> None:
    message = parse_mt950(read("partner_mt950_empty_entries_lf.fin"))
    assert isinstance(message, MT950)
    assert message.statement_lines == ()
    assert message.closing_available_balance == Balance("C", date(2024, 3, 15), "USD", Decimal(0))


def test_partner_message_with_many_errors_reports_all_with_lines() -> None:
    message_type, errors = validate_raw(read("partner_mt103_many_errors.fin"))
    assert message_type == "MT103"
    found = {(e.field, e.line) for e in errors}
    assert {("{121:}", 1), (":20:", 2), (":32A:", 4), (":50K:", 6), (":70:", 9), (":71A:", 14)} <= found
    umlaut = [e for e in errors if e.field == ":50K:"]
    assert [e.reason for e in umlaut] == [
        "character 'Ö' (U+00D6) at column 2 is not in the SWIFT X character set",
        "character 'Ü' (U+00DC) at column 7 is not in the SWIFT X character set",
    ]


def test_every_partner_file_round_trips_through_our_builder() -> None:
    for path in sorted(GOLDEN.glob("partner_mt*.fin")):
        if "errors" in path.name:
            continue
        message = parse(path.read_bytes())
        assert parse(message.to_fin()) == message, path.name


def test_typed_parser_refuses_another_message_type() -> None:
    message_type, errors = validate_raw(read("partner_mt900_output_lf.fin"))
    assert (message_type, errors) == ("MT900", [])
    with pytest.raises(MessageValidationError, match="expected MT103, got MT900"):
        parse_mt103(read("partner_mt900_output_lf.fin"))


def test_parsed_types() -> None:
    assert isinstance(parse(read("partner_mt103_output_lf.fin")), MT103)
