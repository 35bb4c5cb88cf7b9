"""camt.052/053/054 of every version, and MT940/MT942/MT950 files, onto one statement model."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.payments.formats.detect import validate_file
from apps.payments.formats.iso20022 import parse as parse_iso
from apps.payments.formats.iso20022.cash_reports import CASH_REPORT_MESSAGE_TYPES, read_cash_report
from apps.payments.formats.iso20022.schemas import XSD_DIR
from apps.payments.formats.statement import CREDIT, DEBIT, NOTIFICATION, REPORT, STATEMENT, read_statements
from apps.payments.formats.swift_mt.statements import read_statement_file

from .statement_samples import Line, camt_document

SHARED_XSD = Path("/work/shared/specs/iso20022")
UETR = "a1b2c3d4-e5f6-4a7b-8c9d-0123456789ab"
KINDS = {"052": REPORT, "053": STATEMENT, "054": NOTIFICATION}


@pytest.mark.parametrize("message_type", CASH_REPORT_MESSAGE_TYPES)
def test_every_camt_version_is_read_onto_the_statement_model(message_type: str) -> None:
    family, version = message_type[5:8], int(message_type[-2:])
    raw = camt_document(family, version, [Line("10.00", "CRDT", "E2E-1", UETR), Line("5.00", "DBIT", "E2E-2")])
    result = read_cash_report(raw)
    assert result.errors == [] and result.message_type == message_type
    (statement,) = result.statements
    assert statement.kind == KINDS[family] and statement.account == "DE89370400440532013000"
    first, second = statement.entries
    assert (first.amount, first.credit_debit, first.end_to_end_id) == (Decimal("10.00"), CREDIT, "E2E-1")
    assert (second.signed_minor, second.credit_debit) == (-500, DEBIT)
    assert first.uetr == (UETR if version >= 8 else None)  # Refs/UETR exists from V08
    assert first.counterparty_name == "ACME GmbH" and first.remittance.text == "Invoice 42"
    if family != "054":
        assert statement.closing_balance.signed_minor == 100500


@pytest.mark.parametrize("version", [2, 5, 12])
def test_statement_whose_balances_do_not_add_up_is_refused(version: int) -> None:
    raw = camt_document("053", version, [Line("10.00", "CRDT")], closing="999.00")
    result = read_cash_report(raw)
    assert result.statements == []
    assert any("differs from opening balance plus booked entries" in error.reason for error in result.errors)


def test_xsd_errors_of_an_older_version_are_reported_with_their_line() -> None:
    raw = camt_document("053", 4, [Line("10.00", "CRDT")]).replace(b"<CdtDbtInd>CRDT</CdtDbtInd>", b"", 1)
    report = validate_file(raw)
    assert report.message_type == "camt.053.001.04" and not report.valid
    assert all(error.line for error in report.errors) and "XSD" in report.errors[0].reason


def test_invalid_iban_in_a_statement_is_an_error() -> None:
    raw = camt_document("052", 2, [Line("1.00", "CRDT")], iban="DE00370400440532013000")
    assert any("invalid IBAN" in error.reason for error in read_cash_report(raw).errors)


def test_shipped_camt_xsds_are_the_shared_official_files() -> None:
    if not SHARED_XSD.is_dir():
        pytest.skip("shared specs not present")
    for message_type in CASH_REPORT_MESSAGE_TYPES:
        shipped = hashlib.sha256((XSD_DIR / f"{message_type}.xsd").read_bytes()).hexdigest()
        assert shipped == hashlib.sha256((SHARED_XSD / f"{message_type}.xsd").read_bytes()).hexdigest()


def test_parse_returns_statements_for_other_versions() -> None:
    statements = parse_iso(camt_document("054", 2, [Line("7.00", "CRDT", "E2E-7")]))
    assert statements[0].entries[0].end_to_end_id == "E2E-7"


def test_streaming_validation_of_a_large_statement_keeps_no_entries() -> None:
    lines = [Line("1.00", "CRDT", f"E2E-{i}") for i in range(3000)]
    raw = camt_document("053", 2, lines)
    result = read_cash_report(io.BytesIO(raw), keep_entries=False)
    assert result.errors == [] and result.entry_count == 3000 and result.statements[0].entries == ()


# --------------------------------------------------------------------------- MT940 / MT942 / MT950

BARE_TWO_MESSAGES = (
    b"\xef\xbb\xbfABNANL2A\r\n940\r\n"
    b":20:STMT1\r\n:25:DE89370400440532013000\r\n:28C:1/1\r\n:60F:C261130EUR1000,00\r\n"
    b":61:2612011201D250,00NTRFE2E-100//BANKREF1\r\n"
    b":86:166?00SEPA-UEBERWEISUNG?20EREF+E2E-100?21SVWZ+Rechnung 42?32M\xfcller GmbH\r\n"
    b":61:261201C50,00NTRFNONREF\r\n:86:Zinsen\r\n"
    b":62F:C261201EUR800,00\r\n-\r\n"
    b":20:STMT2\r\n:25:DE89370400440532013000\r\n:28C:2/1\r\n:60F:C261201EUR800,00\r\n"
    b":62F:C261202EUR800,00\r\n-\x1a"
)


def test_bare_mt940_file_with_several_messages_and_framing_bytes() -> None:
    result = read_statement_file(BARE_TWO_MESSAGES)
    assert result.errors == [] and result.message_count == 2
    first, second = result.statements
    assert first.account == "DE89370400440532013000" and first.closing_balance.signed_minor == 80000
    debit, credit = first.entries
    assert (debit.signed_minor, debit.end_to_end_id, debit.account_servicer_reference) == (
        -25000,
        "E2E-100",
        "BANKREF1",
    )
    assert debit.remittance.text == "Rechnung 42" and debit.counterparty_name == "Müller GmbH"
    assert debit.bank_transaction_code == "166" and ("20", "EREF+E2E-100") in debit.remittance.subfields
    assert credit.customer_reference is None and credit.remittance.text == "Zinsen"
    assert second.entries == () and second.sequence_number == "2/1"


def test_detection_and_validate_message_pick_up_a_bare_mt940(tmp_path: Path) -> None:
    report = validate_file(BARE_TWO_MESSAGES)
    assert (report.format_name, report.message_type, report.valid) == ("SWIFT MT", "MT940", True)
    broken = BARE_TWO_MESSAGES.replace(b":62F:C261201EUR800,00", b":62F:C261201EUR801,00")
    path = tmp_path / "broken.sta"
    path.write_bytes(broken)
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("validate_message", str(path), stdout=out)
    assert failure.value.returncode == 1 and "does not equal opening balance plus entries" in out.getvalue()


def _fin(body: str, message_type: str = "940") -> str:
    return f"{{1:F01QNXBDEFFAXXX0000000000}}{{2:I{message_type}QNXBDEFFXXXXN}}{{4:\r\n{body}-}}"


def test_fin_enveloped_messages_in_one_file_and_an_mt942() -> None:
    mt940 = (
        ":20:FIN1\r\n:25:DE89370400440532013000\r\n:28C:7/1\r\n:60F:C261130EUR100,00\r\n"
        ":61:261201D10,00NTRFREF1//ASR1\r\n:86:/EREF/E2E-9/REMI/Invoice 9\r\n:62F:C261201EUR90,00\r\n"
    )
    mt942 = (
        ":20:INTRA1\r\n:25:DE89370400440532013000\r\n:28C:8/1\r\n:34F:EUR0,\r\n:13D:2612011200+0100\r\n"
        ":61:261201C5,00NTRFNONREF\r\n:90D:0EUR0,\r\n:90C:1EUR5,00\r\n"
    )
    raw = ("\r\n" + _fin(mt940) + "\r\n$" + _fin(mt942, "942") + "\r\n").encode()
    result = read_statement_file(raw)
    assert result.errors == [], result.errors
    statement, report = result.statements
    assert statement.entries[0].end_to_end_id == "E2E-9" and statement.entries[0].remittance.text == "Invoice 9"
    assert report.kind == REPORT and report.entries[0].signed_minor == 500 and report.created.hour == 12
    wrong_total = raw.replace(b":90C:1EUR5,00", b":90C:1EUR6,00")
    assert any(":90C:" == error.field for error in read_statement_file(wrong_total).errors)


def test_read_statements_dispatches_by_content() -> None:
    kind, statements, errors = read_statements(camt_document("053", 12, [Line("1.00", "DBIT")]))
    assert (kind, len(statements), errors) == ("camt.053.001.12", 1, [])
    kind, statements, errors = read_statements(BARE_TWO_MESSAGES)
    assert (kind, len(statements)) == ("MT940", 2)
    assert read_statements(b"hello")[2]


def test_a_camt_in_an_envelope_with_an_app_hdr_is_read_with_its_own_version() -> None:
    document = camt_document("053", 11, [Line("10.00", "DBIT", "E2E-ENV")]).split(b"?>", 1)[1]
    header = (
        b'<AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.02"><BizMsgIdr>B1</BizMsgIdr>'
        b"<MsgDefIdr>camt.053.001.11</MsgDefIdr></AppHdr>"
    )
    raw = b'<?xml version="1.0" encoding="UTF-8"?><BizMsgEnvlp>' + header + document + b"</BizMsgEnvlp>"
    kind, statements, errors = read_statements(raw)
    assert (kind, errors, statements[0].entries[0].end_to_end_id) == ("camt.053.001.11", [], "E2E-ENV")
    report = validate_file(raw)
    assert (report.message_type, report.valid) == ("camt.053.001.11", True)


def test_an_mt950_between_banks_maps_onto_the_same_model() -> None:
    body = (
        ":20:MT950REF\r\n:25:123456789\r\n:28C:12/1\r\n:60F:C261201USD1000,00\r\n"
        ":61:2612011201D100,00S103PAY-1//FIN0000001\r\n:62F:C261201USD900,00\r\n"
    )
    result = read_statement_file(_fin(body, "950").encode())
    assert result.errors == []
    (statement,) = result.statements
    assert (statement.source_format, statement.currency, statement.closing_balance.signed_minor) == (
        "MT950",
        "USD",
        90000,
    )
    entry = statement.entries[0]
    assert (entry.customer_reference, entry.account_servicer_reference, entry.bank_transaction_code) == (
        "PAY-1",
        "FIN0000001",
        "S103",
    )
