"""The public entry points: the validation interface, SWIFTProtocol and the builders' refusals."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from apps.payments.formats import swift_mt
from apps.payments.formats.errors import MessageValidationError
from apps.payments.formats.swift_mt import (
    MT103,
    MT202,
    SWIFTProtocol,
    build_mt103,
    build_mt202cov,
    make_envelope,
    parse,
    transliterate_to_x,
    wrap_x_lines,
)

from .test_swift_mt_golden import SAMPLES, UETR, sample_mt103, sample_mt202cov

GOLDEN = Path(__file__).parent / "golden" / "swift_mt"
SEED_ARGS = {
    "sender_bic": "CHASUS33XXX",
    "receiver_bic": "DEUTDEFFXXX",
    "sender_account": "123456789",
    "receiver_account": "987654321",
    "amount": Decimal("100000.00"),
    "currency": "USD",
    "reference": "INVOICE-2024-001",
    "remittance_info": "Payment for services",
}


# ------------------------------------------------------------ FORMAT_NAME, looks_like, validate_raw, parse


def test_format_name() -> None:
    assert swift_mt.FORMAT_NAME == "SWIFT MT"


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.fin")), ids=lambda p: p.name)
def test_looks_like_accepts_every_golden_file(path: Path) -> None:
    assert swift_mt.looks_like(path.read_bytes())


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"<?xml version='1.0'?><Document/>",
        b"101REF  ",
        b"{1:",
        b"\x00\xff" * 10,
        b"ISA*00*",
        b"{4:\r\n:20:X\r\n-}",
    ],
)
def test_looks_like_rejects_other_formats(raw: bytes) -> None:
    assert not swift_mt.looks_like(raw)


def test_looks_like_tolerates_bom_and_leading_whitespace() -> None:
    assert swift_mt.looks_like(b"\xef\xbb\xbf\r\n" + (GOLDEN / "built_mt103.fin").read_bytes())


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_validate_raw_on_valid_messages_returns_type_and_no_errors(name: str) -> None:
    expected_type = SAMPLES[name]().message_type
    assert swift_mt.validate_raw((GOLDEN / f"built_{name}.fin").read_bytes()) == (expected_type, [])


def test_validate_raw_reports_type_and_errors_without_raising() -> None:
    raw = (GOLDEN / "built_mt103.fin").read_bytes().replace(b":32A:240315USD100000,00", b":32A:240315USD100000.00")
    message_type, errors = swift_mt.validate_raw(raw)
    assert message_type == "MT103"
    assert [(e.field, e.line) for e in errors] == [(":32A:", 7)]


@pytest.mark.parametrize("raw", [b"", b"garbage", b"\xff\xfe\x00", "not bytes", None, 42])
def test_validate_raw_never_raises(raw: object) -> None:
    message_type, errors = swift_mt.validate_raw(raw)  # type: ignore[arg-type]
    assert message_type == "UNKNOWN"
    assert errors


def test_validate_raw_reports_unsupported_message_type() -> None:
    raw = b"{1:F01CHASUS33AXXX0000000000}{2:I195DEUTDEFFXXXXN}{4:\r\n:20:X\r\n:79:HELLO\r\n-}"
    message_type, errors = swift_mt.validate_raw(raw)
    assert message_type == "MT195"
    assert errors[0].field == "{2:}" and "not supported" in errors[0].reason


def test_parse_accepts_bytes_and_str() -> None:
    raw = (GOLDEN / "built_mt202cov.fin").read_bytes()
    assert swift_mt.parse(raw) == swift_mt.parse(raw.decode("ascii")) == sample_mt202cov()


def test_parse_raises_only_message_validation_error() -> None:
    with pytest.raises(MessageValidationError) as caught:
        swift_mt.parse(b"{1:F01CHASUS33AXXX0000000000}")
    assert caught.value.message_type == "UNKNOWN"


# --------------------------------------------------------------------------- SWIFTProtocol


def test_create_mt103_defaults() -> None:
    mt103 = SWIFTProtocol().create_mt103(**SEED_ARGS)
    assert mt103.value_date == datetime.now(tz=UTC).date()
    assert mt103.details_of_charges == "SHA"
    assert uuid.UUID(mt103.uetr).version == 4  # type: ignore[arg-type]
    assert mt103.uetr == mt103.uetr.lower()  # type: ignore[union-attr]
    assert mt103.remittance_information == ("Payment for services",)
    assert mt103.ordering_customer.name == "NOTPROVIDED"
    assert parse(str(mt103)) == mt103


def test_two_messages_get_different_uetrs() -> None:
    protocol = SWIFTProtocol()
    assert protocol.create_mt103(**SEED_ARGS).uetr != protocol.create_mt103(**SEED_ARGS).uetr


def test_create_mt103_refuses_float_amount() -> None:
    with pytest.raises(MessageValidationError) as caught:
        SWIFTProtocol().create_mt103(**{**SEED_ARGS, "amount": 100000.0})
    assert caught.value.errors[0].field == ":32A:"
    assert "amount must be a Decimal, not float" in caught.value.errors[0].reason


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"sender_bic": "CHASUS3"}, "sender_bic", "BIC must be 8 or 11"),
        ({"receiver_bic": "DEUTXXFF"}, "receiver_bic", "Invalid country code"),
        ({"currency": "ZZZ"}, ":32A:", "unknown ISO 4217 currency"),
        ({"amount": Decimal("1.001")}, ":32A:", "USD allows at most 2 decimal places"),
        ({"amount": Decimal("-5")}, ":32A:", "amount must be positive"),
        ({"reference": "A" * 17}, ":20:", "longer than 16 characters"),
        ({"charges": "ALL"}, ":71A:", "not one of"),
        ({"uetr": "not-a-uuid"}, "{121:}", "UUID version 4"),
        ({"remittance_info": "word " * 40}, ":70:", "at most 4 lines"),
    ],
)
def test_create_mt103_refuses_bad_input(changes: dict[str, object], field: str, reason: str) -> None:
    with pytest.raises(MessageValidationError) as caught:
        SWIFTProtocol().create_mt103(**{**SEED_ARGS, **changes})  # type: ignore[arg-type]
    assert any(e.field == field and reason in e.reason for e in caught.value.errors), caught.value.errors


def test_create_mt103_refuses_non_ascii_names_without_transliteration() -> None:
    with pytest.raises(MessageValidationError) as caught:
        SWIFTProtocol().create_mt103(**SEED_ARGS, sender_name="Jörg Müller & Söhne")
    reasons = [e.reason for e in caught.value.errors if e.field == ":50K:"]
    assert reasons[0] == "character 'ö' (U+00F6) at column 2 is not in the SWIFT X character set"
    assert len(reasons) == 4


def test_create_mt103_transliterates_when_asked() -> None:
    mt103 = SWIFTProtocol().create_mt103(
        **SEED_ARGS,
        sender_name="Jörg Müller & Söhne GmbH",
        sender_address=("Königstraße 5", "80331 München"),
        receiver_name="北京银行",
        transliterate=True,
        stp=True,
        value_date=date(2024, 3, 15),
    )
    assert mt103.ordering_customer.name_address == ("Jorg Muller + Sohne GmbH", "Konigstrasse 5", "80331 Munchen")
    assert mt103.beneficiary_customer.name_address == ("BeiJingYinXing",)
    assert mt103.is_stp
    assert parse(mt103.to_bytes()) == mt103


def test_create_mt202() -> None:
    mt202 = SWIFTProtocol().create_mt202(
        sender_bic="CHASUS33XXX",
        receiver_bic="DEUTDEFFXXX",
        beneficiary_institution_bic="COBADEFF",
        amount=Decimal("5000000"),
        currency="EUR",
        reference="LIQ-1",
        value_date=date(2024, 3, 15),
        uetr=UETR,
    )
    assert isinstance(mt202, MT202)
    assert SWIFTProtocol().parse(SWIFTProtocol().render(mt202)) == mt202
    with pytest.raises(MessageValidationError):
        SWIFTProtocol().create_mt202(
            sender_bic="CHASUS33XXX",
            receiver_bic="DEUTDEFFXXX",
            beneficiary_institution_bic="COBADEFF",
            amount=5000000.0,  # type: ignore[arg-type]
            currency="EUR",
            reference="LIQ-1",
        )


# --------------------------------------------------------------------------- builders refuse what they cannot write


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"amount": 100.0}, ":32A:", "amount must be a Decimal, not float"),
        ({"amount": Decimal("1.001")}, ":32A:", "USD allows at most 2 decimal places"),
        ({"value_date": date(2080, 1, 1)}, ":32A:", "cannot be written as YYMMDD"),
        ({"currency": "JPY", "amount": Decimal("10.5")}, ":32A:", "JPY allows at most 0 decimal places"),
        ({"remittance_information": ("LINE\r\n:20:INJECTED",)}, ":70:", "must not contain a line break"),
        ({"remittance_information": (42,)}, ":70:", "expected text, got int"),
        ({"sender_reference": None}, ":20:", "mandatory field is missing"),
    ],
)
def test_build_mt103_refuses_unwritable_values(changes: dict[str, object], field: str, reason: str) -> None:
    with pytest.raises(MessageValidationError) as caught:
        build_mt103(sample_mt103(**changes))
    assert any(e.field == field and reason in e.reason for e in caught.value.errors), caught.value.errors


def test_build_refuses_value_that_would_read_back_differently() -> None:
    from apps.payments.formats.swift_mt import Party

    ambiguous = sample_mt103(ordering_customer=Party("K", account=None, name_address=("/LOOKS LIKE ACCOUNT", "NAME")))
    with pytest.raises(MessageValidationError) as caught:
        build_mt103(ambiguous)
    assert caught.value.errors[0].field == "ordering_customer"


def test_build_refuses_header_of_another_type() -> None:
    wrong = sample_mt103(header=make_envelope("202", sender_bic="CHASUS33XXX", receiver_bic="DEUTDEFFXXX", uetr=UETR))
    with pytest.raises(MessageValidationError, match="does not match MT103"):
        build_mt103(wrong)


def test_build_mt202cov_needs_cov_flag() -> None:
    message = sample_mt202cov()
    no_flag = dataclasses.replace(
        message, header=make_envelope("202", sender_bic="DEUTDEFFXXX", receiver_bic="CITIUS33XXX", uetr=UETR)
    )
    with pytest.raises(MessageValidationError, match="COV"):
        build_mt202cov(no_flag)


def test_build_refuses_header_that_is_not_an_envelope() -> None:
    with pytest.raises(MessageValidationError, match="header must be a FinEnvelope"):
        build_mt103(sample_mt103(header=None))


# --------------------------------------------------------------------------- transliteration helper


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Müller & Söhne", "Muller + Sohne"),
        ("Ærøskøbing", "Aeroskobing"),
        ("Łódź", "Lodz"),
        ("jose@example.com", "jose(AT)example.com"),
        ("- :leading", "leading"),
        ("tabs\tand\nnewlines", "tabs and newlines"),
        ("Straße_1; #2", "Strasse-1, NO.2"),
    ],
)
def test_transliterate_to_x(text: str, expected: str) -> None:
    assert transliterate_to_x(text) == expected


def test_wrap_x_lines_breaks_at_spaces() -> None:
    assert wrap_x_lines("A" * 30 + " " + "B" * 10) == ("A" * 30, "B" * 10)
    assert wrap_x_lines("C" * 40) == ("C" * 35, "C" * 5)


def test_mt103_exposes_domain_fields_for_mapping() -> None:
    message = sample_mt103()
    assert isinstance(message, MT103)
    assert message.instructed_amount is not None and message.instructed_amount.currency == "EUR"
    assert message.ordering_customer.name == "ACME CORP"


def test_build_mt202_with_cov_flag_is_refused() -> None:
    from apps.payments.formats.swift_mt import build_mt202

    from .test_swift_mt_golden import sample_mt202

    flagged = dataclasses.replace(
        sample_mt202(),
        header=make_envelope(
            "202", sender_bic="BOFAUS3NXXX", receiver_bic="MIDLGB22XXX", uetr=UETR, validation_flag="COV"
        ),
    )
    with pytest.raises(MessageValidationError, match="build an MT202COV"):
        build_mt202(flagged)
