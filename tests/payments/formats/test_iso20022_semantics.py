"""XSD errors, semantic rules, hardened parsing and the uniform validation entry point."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal

import pytest

from apps.payments.formats.errors import FieldError, MessageValidationError
from apps.payments.formats.iso20022 import (
    FORMAT_NAME,
    Agent,
    build_app_hdr,
    build_pacs008,
    load_schema,
    looks_like,
    parse,
    parse_app_hdr,
    parse_camt053,
    parse_pacs002,
    parse_pacs008,
    parse_pain001,
    validate_raw,
)
from tests.payments.formats.test_iso20022_samples import (
    sample_business_message,
    sample_camt,
    sample_pacs002,
    sample_pacs008,
    sample_pacs009,
    sample_pain001,
)


def _line_of(raw: bytes, needle: bytes) -> int:
    return raw[: raw.index(needle)].count(b"\n") + 1


def _errors(raw: bytes) -> list[FieldError]:
    message_type, errors = validate_raw(raw)
    return errors


def _pacs008_xml() -> bytes:
    return sample_pacs008().to_xml()


def _with_transaction(**changes: object):
    message = sample_pacs008()
    return replace(message, transactions=(replace(message.transactions[0], **changes),))


# --------------------------------------------------------------------------- group header totals
def test_nb_of_txs_that_disagrees_with_the_transactions_is_reported_with_its_line() -> None:
    raw = _pacs008_xml().replace(b"<NbOfTxs>1</NbOfTxs>", b"<NbOfTxs>2</NbOfTxs>")
    errors = _errors(raw)
    assert (
        FieldError(
            "GrpHdr/NbOfTxs", "NbOfTxs is 2 but the message carries 1 transaction(s)", _line_of(raw, b"<NbOfTxs>")
        )
        in errors
    )


def test_ctrl_sum_that_disagrees_with_the_amounts_is_reported() -> None:
    raw = _pacs008_xml().replace(b"<CtrlSum>1250.50</CtrlSum>", b"<CtrlSum>1250.51</CtrlSum>")
    with pytest.raises(MessageValidationError) as info:
        parse_pacs008(raw)
    assert [error.field for error in info.value.errors] == ["GrpHdr/CtrlSum"]
    assert "add up to 1250.50" in info.value.errors[0].reason


def test_ctrl_sum_that_matches_numerically_is_accepted() -> None:
    raw = _pacs008_xml().replace(b"<CtrlSum>1250.50</CtrlSum>", b"<CtrlSum>1250.5</CtrlSum>")
    assert _errors(raw) == []


def test_payment_information_counts_are_checked_per_block() -> None:
    head, tail = sample_pain001().to_xml().split(b"<PmtInf>")
    raw = (
        head
        + b"<PmtInf>"
        + tail.replace(b"<NbOfTxs>2</NbOfTxs>", b"<NbOfTxs>3</NbOfTxs>").replace(
            b"<CtrlSum>1500.01</CtrlSum>", b"<CtrlSum>1500.02</CtrlSum>"
        )
    )
    fields = {error.field for error in _errors(raw)}
    assert fields == {"PmtInf/NbOfTxs", "PmtInf/CtrlSum"}


def test_total_interbank_settlement_amount_must_equal_the_transactions() -> None:
    message = replace(
        sample_pacs008(),
        total_interbank_settlement_amount=Decimal("1250.50"),
        total_interbank_settlement_currency="GBP",
    )
    assert parse(message.to_xml()) == message
    wrong = replace(message, total_interbank_settlement_amount=Decimal("1000.00"))
    with pytest.raises(MessageValidationError) as info:
        build_pacs008(wrong)
    assert info.value.errors[0].field == "GrpHdr/TtlIntrBkSttlmAmt"
    other_currency = replace(message, total_interbank_settlement_currency="EUR")
    with pytest.raises(MessageValidationError, match="total is in EUR but transactions are in GBP"):
        build_pacs008(other_currency)


# --------------------------------------------------------------------------- amounts
def test_more_decimals_than_the_currency_allows_is_an_error_in_a_parsed_message() -> None:
    raw = _pacs008_xml().replace(
        b'<IntrBkSttlmAmt Ccy="GBP">1250.50</IntrBkSttlmAmt>', b'<IntrBkSttlmAmt Ccy="JPY">1250.5</IntrBkSttlmAmt>'
    )
    errors = _errors(raw)
    assert (
        FieldError(
            "CdtTrfTxInf/IntrBkSttlmAmt",
            "JPY allows at most 0 decimal places, got 1250.5",
            _line_of(raw, b"<IntrBkSttlmAmt"),
        )
        in errors
    )


@pytest.mark.parametrize(
    ("currency", "amount", "valid"),
    [
        ("JPY", "125050", True),
        ("JPY", "1.5", False),
        ("KWD", "1.250", True),
        ("KWD", "1.2505", False),
        ("EUR", "0.01", True),
        ("EUR", "0.001", False),
        ("EUR", "1.000", True),
    ],
)
def test_builder_refuses_amounts_more_precise_than_the_currency(currency: str, amount: str, valid: bool) -> None:
    message = _with_transaction(
        amount=Decimal(amount), currency=currency, charges=(), instructed_amount=None, instructed_currency=None
    )
    if valid:
        assert parse(message.to_xml()) == message
    else:
        with pytest.raises(MessageValidationError, match=f"{currency} allows at most"):
            message.to_xml()


def test_builder_refuses_float_amounts() -> None:
    with pytest.raises(MessageValidationError, match="must be a Decimal, not float"):
        _with_transaction(amount=1250.5).to_xml()


def test_unknown_currency_is_reported() -> None:
    raw = _pacs008_xml().replace(b'Ccy="GBP"', b'Ccy="XYZ"')
    assert any(error.reason == "unknown ISO 4217 currency 'XYZ'" for error in _errors(raw))


# --------------------------------------------------------------------------- IBAN / BIC
def test_iban_with_a_wrong_check_digit_is_reported() -> None:
    raw = _pacs008_xml().replace(b"DE89370400440532013000", b"DE88370400440532013000")
    errors = _errors(raw)
    assert [error.field for error in errors] == ["CdtTrfTxInf/DbtrAcct/Id/IBAN"]
    assert "Invalid checksum digits" in errors[0].reason


def test_bic_with_an_unknown_country_is_reported_even_when_the_xsd_pattern_matches() -> None:
    raw = _pacs008_xml().replace(b"<BICFI>NWBKGB2LXXX</BICFI>", b"<BICFI>NWBKQQ2LXXX</BICFI>")
    errors = _errors(raw)
    assert {error.field for error in errors} == {
        "GrpHdr/InstdAgt/FinInstnId/BICFI",
        "CdtTrfTxInf/CdtrAgt/FinInstnId/BICFI",
    }
    assert all("Invalid country code" in error.reason for error in errors)


def test_builder_refuses_an_invalid_iban() -> None:
    message = _with_transaction(
        debtor_account=replace(sample_pacs008().transactions[0].debtor_account, iban="DE00370400440532013000")
    )
    with pytest.raises(MessageValidationError, match="invalid IBAN"):
        message.to_xml()


# --------------------------------------------------------------------------- XSD errors
def test_every_xsd_error_is_reported_with_field_and_line() -> None:
    raw = (
        _pacs008_xml()
        .replace(b"<ChrgBr>SHAR</ChrgBr>", b"<ChrgBr>BOTH</ChrgBr>")
        .replace(b"<CreDtTm>2026-03-02T10:30:00+00:00</CreDtTm>", b"<CreDtTm>yesterday</CreDtTm>")
    )
    with pytest.raises(MessageValidationError) as info:
        parse_pacs008(raw)
    by_field = {error.field: error for error in info.value.errors}
    assert by_field["GrpHdr/CreDtTm"].line == _line_of(raw, b"<CreDtTm>")
    assert by_field["CdtTrfTxInf/ChrgBr"].line == _line_of(raw, b"<ChrgBr>")
    assert by_field["CdtTrfTxInf/ChrgBr"].reason.startswith("XSD: Element 'ChrgBr': [facet 'enumeration']")
    assert info.value.message_type == "pacs.008.001.08"


def test_missing_mandatory_element_is_an_xsd_error() -> None:
    raw = _pacs008_xml().replace(b"      <ChrgBr>SHAR</ChrgBr>\n", b"")
    errors = _errors(raw)
    assert len(errors) == 1 and errors[0].reason.startswith("XSD:") and "ChrgBr" in errors[0].reason


def test_element_out_of_order_is_an_xsd_error() -> None:
    raw = _pacs008_xml().replace(
        b"<MsgId>QNXPACS008-0001</MsgId>\n      <CreDtTm>2026-03-02T10:30:00+00:00</CreDtTm>",
        b"<CreDtTm>2026-03-02T10:30:00+00:00</CreDtTm>\n      <MsgId>QNXPACS008-0001</MsgId>",
    )
    assert any("not expected" in error.reason for error in _errors(raw))


def test_date_time_valid_for_xsd_but_not_representable_is_a_field_error() -> None:
    raw = _pacs008_xml().replace(b"2026-03-02T10:30:00+00:00", b"2026-03-02T24:00:00+00:00")
    with pytest.raises(MessageValidationError) as info:
        parse(raw)
    assert info.value.errors[0].field == "CreDtTm"
    assert "cannot be represented" in info.value.errors[0].reason
    assert validate_raw(raw)[1] == info.value.errors


# --------------------------------------------------------------------------- status / statement rules
def test_rejected_transaction_without_a_reason_is_reported() -> None:
    message = sample_pacs002()
    rejected = replace(message.transactions[1], reasons=())
    broken = replace(message, transactions=(message.transactions[0], rejected))
    with pytest.raises(MessageValidationError) as info:
        broken.to_xml()
    assert info.value.errors == [
        FieldError("TxInfAndSts/TxSts", "status RJCT requires a StsRsnInf/Rsn reason code", info.value.errors[0].line)
    ]
    assert parse_pacs002(message.to_xml()) == message


def test_statement_closing_balance_must_equal_opening_plus_booked_entries() -> None:
    raw = sample_camt("camt.053.001.08").to_xml()
    assert parse_camt053(raw) == sample_camt("camt.053.001.08")
    broken = raw.replace(b'<Amt Ccy="EUR">2457.90</Amt>', b'<Amt Ccy="EUR">2457.91</Amt>')
    errors = _errors(broken)
    assert [error.field for error in errors] == ["Stmt/Bal"]
    assert "differs from opening balance plus booked entries (2457.90)" in errors[0].reason


# --------------------------------------------------------------------------- hardened parsing
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf><GrpHdr>
<MsgId>&xxe;</MsgId></GrpHdr></FIToFICstmrCdtTrf></Document>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08">&lol4;</Document>"""


@pytest.mark.parametrize("payload", [XXE, BILLION_LAUGHS, XXE.replace(b"DOCTYPE", b"doctype")])
def test_doctype_and_entities_are_refused(payload: bytes) -> None:
    with pytest.raises(MessageValidationError) as info:
        parse(payload)
    assert info.value.errors[0].reason == "DOCTYPE/ENTITY declarations are not allowed"
    assert validate_raw(payload) == (FORMAT_NAME, info.value.errors)


@pytest.mark.parametrize(
    ("raw", "reason_start"),
    [
        (b"", "empty input"),
        (b"not xml at all", "not well-formed XML"),
        (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08'>", "not well-formed XML"),
        (b"<Document xmlns='urn:example'/>", "not an ISO 20022 message"),
        (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pacs.008.001.01'/>", "unsupported message pacs.008.001.01"),
        (b"<Foo xmlns='urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08'/>", "root element must be Document"),
    ],
)
def test_unusable_input_gives_errors_not_exceptions(raw: bytes, reason_start: str) -> None:
    _, errors = validate_raw(raw)
    assert errors and errors[0].reason.startswith(reason_start)
    with pytest.raises(MessageValidationError):
        parse(raw)


def test_validate_raw_never_raises_for_non_bytes() -> None:
    assert validate_raw(None)[1][0].reason == "input must be bytes or str"  # type: ignore[arg-type]


def test_parser_for_one_type_refuses_another() -> None:
    with pytest.raises(MessageValidationError, match="expected a pain.001.001.03-12 Document"):
        parse_pain001(_pacs008_xml())


# --------------------------------------------------------------------------- uniform entry point
def test_looks_like_sniffs_iso20022_namespaces_only() -> None:
    assert looks_like(_pacs008_xml())
    assert looks_like(b"\xef\xbb\xbf  <x:Document xmlns:x='urn:iso:std:iso:20022:tech:xsd:camt.053.001.08'/>")
    assert not looks_like(b"{1:F01BANKBEBBAXXX0000000000}{2:I103BANKDEFFXXXXN}")
    assert not looks_like(b"<Document xmlns='urn:example'/>")
    assert not looks_like(b"")
    assert FORMAT_NAME == "ISO 20022"


def test_validate_raw_names_the_message_and_accepts_strings() -> None:
    assert validate_raw(_pacs008_xml()) == ("pacs.008.001.08", [])
    assert parse(_pacs008_xml().decode()) == sample_pacs008()


def test_envelope_header_must_name_the_document() -> None:
    raw = sample_business_message().to_xml().replace(b"<MsgDefIdr>pacs.008.001.08", b"<MsgDefIdr>pacs.009.001.08")
    message_type, errors = validate_raw(raw)
    assert message_type == "pacs.008.001.08"
    assert [error.field for error in errors] == ["AppHdr/MsgDefIdr"]
    message = sample_business_message()
    with pytest.raises(MessageValidationError, match="AppHdr names pacs.009.001.08"):
        replace(message, header=replace(message.header, message_definition_id="pacs.009.001.08")).to_xml()


def test_envelope_errors_in_the_document_are_reported_with_lines() -> None:
    raw = sample_business_message().to_xml().replace(b"<NbOfTxs>1</NbOfTxs>", b"<NbOfTxs>7</NbOfTxs>")
    errors = _errors(raw)
    assert errors == [
        FieldError(
            "GrpHdr/NbOfTxs", "NbOfTxs is 7 but the message carries 1 transaction(s)", _line_of(raw, b"<NbOfTxs>")
        )
    ]


def test_empty_agent_is_written_as_notprovided_and_read_back_empty() -> None:
    message = _with_transaction(creditor_agent=Agent())
    raw = message.to_xml()
    assert b"<Id>NOTPROVIDED</Id>" in raw
    assert parse(raw) == message


# --------------------------------------------------------------------------- AppHdr, schemas, robustness
def test_standalone_app_hdr_builds_parses_and_validates() -> None:
    header = sample_business_message().header
    raw = build_app_hdr(header)
    assert parse_app_hdr(raw) == header
    assert parse(raw) == header
    assert validate_raw(raw) == ("head.001.001.02", [])
    bad = raw.replace(b"<BICFI>COBADEFFXXX</BICFI>", b"<BICFI>COBADEFF</BICFI><Foo/>")
    assert validate_raw(bad)[1][0].reason.startswith("XSD: Element 'Foo': This element is not expected")


def test_each_schema_is_compiled_once_per_process() -> None:
    assert load_schema("pacs.008.001.08") is load_schema("pacs.008.001.08")


def test_validation_is_consistent_across_threads() -> None:
    valid = _pacs008_xml()
    invalid = valid.replace(b"<ChrgBr>SHAR</ChrgBr>", b"<ChrgBr>BOTH</ChrgBr>")
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(validate_raw, [valid, invalid] * 20))
    assert all(result == ("pacs.008.001.08", []) for result in results[::2])
    assert all(len(result[1]) == 1 and result[1][0].field == "CdtTrfTxInf/ChrgBr" for result in results[1::2])


def test_validate_raw_reports_instead_of_raising_on_an_internal_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    import apps.payments.formats.iso20022 as iso20022

    def broken_reader(document: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setitem(iso20022._READERS, "pacs.008.001.08", broken_reader)
    message_type, errors = validate_raw(_pacs008_xml())
    assert errors == [FieldError("document", "could not be validated: RuntimeError: boom")]


def test_builder_refuses_text_that_cannot_be_written_as_xml() -> None:
    with pytest.raises(MessageValidationError, match="cannot be written as XML"):
        _with_transaction(end_to_end_id="E2E\x00").to_xml()


def test_equivalent_amounts_in_pain001_are_reported_as_unsupported() -> None:
    raw = sample_pain001().to_xml()
    raw = raw.replace(
        b'<InstdAmt Ccy="EUR">0.01</InstdAmt>',
        b'<EqvtAmt><Amt Ccy="EUR">0.01</Amt><CcyOfTrf>USD</CcyOfTrf></EqvtAmt>',
    ).replace(
        b"<SvcLvl>\n          <Cd>SEPA</Cd>\n        </SvcLvl>", b"<SvcLvl>\n          <Cd>NURG</Cd>\n        </SvcLvl>"
    )
    with pytest.raises(MessageValidationError) as info:
        parse(raw)
    assert info.value.errors[0].field == "CdtTrfTxInf/Amt/EqvtAmt"
    assert info.value.errors[0].reason == "equivalent amounts (EqvtAmt) are not supported"


def test_pain001_transaction_level_payment_type_round_trips() -> None:
    message = sample_pain001()
    info = message.payment_infos[0]
    tx = replace(info.transactions[0], service_level="SEPA", category_purpose="SUPP")
    changed = replace(message, payment_infos=(replace(info, transactions=(tx, info.transactions[1])),))
    assert parse(changed.to_xml()) == changed


def test_plain_pacs009_without_cover_round_trips() -> None:
    message = sample_pacs009()
    plain = replace(message, transactions=(replace(message.transactions[0], underlying=None),))
    assert not plain.is_cover and message.is_cover
    assert parse(plain.to_xml()) == plain
