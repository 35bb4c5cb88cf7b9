"""Property-based round trips and fuzzing of the ISO 20022 builders and parsers (hypothesis)."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.payments.formats.amounts import currency_exponent
from apps.payments.formats.errors import FieldError, MessageValidationError
from apps.payments.formats.iso20022 import (
    Pacs002,
    SEPAProtocol,
    StatusReason,
    TransactionStatus,
    is_epc_latin,
    parse,
    to_epc_latin,
    validate_raw,
)
from tests.payments.formats.test_iso20022_samples import sample_pacs008

GOLDEN_FILES = sorted((Path(__file__).parent / "golden" / "iso20022").rglob("*.xml"))
GOLDEN_BYTES = [path.read_bytes() for path in GOLDEN_FILES]
# ~100 examples keeps the suite fast; raise ISO20022_FUZZ_EXAMPLES for a long fuzzing run. No example database
# is written (database=None), so running the suite leaves no files behind.
SETTINGS = settings(
    max_examples=int(os.environ.get("ISO20022_FUZZ_EXAMPLES", "100")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# XML 1.0 text: no control characters, surrogates or non-characters.
xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), min_size=1, max_size=140)
latin_text = st.text(st.sampled_from("abcXYZ019 /-?:().,'+"), min_size=1, max_size=35).filter(
    lambda value: (
        value.strip() == value and value and not value.startswith("/") and not value.endswith("/") and "//" not in value
    )
)
ibans = st.sampled_from(
    [
        "DE89370400440532013000",
        "FR1420041010050500013M02606",
        "GB29NWBK60161331926819",
        "NL91ABNA0417164300",
        "BE68539007547034",
        "IT60X0542811101000000123456",
    ]
)


@st.composite
def currency_amounts(draw: st.DrawFn) -> tuple[Decimal, str]:
    """An amount valid for its currency, from one minor unit up to the XSD's 18 total digits."""
    currency = draw(st.sampled_from(["EUR", "USD", "JPY", "KWD", "BHD", "GBP", "CHF", "CLF"]))
    exponent = currency_exponent(currency) or 0
    minor_units = draw(st.one_of(st.just(1), st.just(10**18 - 1), st.integers(min_value=1, max_value=10**18 - 1)))
    return Decimal(minor_units).scaleb(-exponent), currency


@SETTINGS
@given(
    amount=currency_amounts(),
    debtor_name=xml_text,
    creditor_name=xml_text,
    remittance=st.lists(xml_text, max_size=3),
    created=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
)
def test_pacs008_round_trip_with_any_currency_precision_and_unicode_names(
    amount: tuple[Decimal, str], debtor_name: str, creditor_name: str, remittance: list[str], created: datetime
) -> None:
    value, currency = amount
    base = sample_pacs008()
    tx = replace(
        base.transactions[0],
        amount=value,
        currency=currency,
        charges=(),
        instructed_amount=None,
        instructed_currency=None,
        debtor=replace(base.transactions[0].debtor, name=debtor_name),
        creditor=replace(base.transactions[0].creditor, name=creditor_name),
        remittance_info=tuple(remittance),
    )
    message = replace(base, created=created, transactions=(tx,))
    assert parse(message.to_xml()) == message


@SETTINGS
@given(amount=currency_amounts())
def test_one_more_decimal_than_the_currency_allows_is_refused(amount: tuple[Decimal, str]) -> None:
    value, currency = amount
    too_precise = value + Decimal(1).scaleb(-(currency_exponent(currency) or 0) - 1)
    base = sample_pacs008()
    tx = replace(
        base.transactions[0],
        amount=too_precise,
        currency=currency,
        charges=(),
        instructed_amount=None,
        instructed_currency=None,
    )
    try:
        replace(base, transactions=(tx,)).to_xml()
    except MessageValidationError as exc:
        assert any("decimal places" in error.reason or "XSD" in error.reason for error in exc.errors)
    else:  # pragma: no cover - hypothesis would report the counterexample
        raise AssertionError(f"{too_precise} {currency} was accepted")


@SETTINGS
@given(
    cents=st.one_of(st.just(1), st.just(99_999_999_999), st.integers(min_value=1, max_value=99_999_999_999)),
    debtor_name=st.text(min_size=1, max_size=60),
    creditor_name=st.text(min_size=1, max_size=60),
    reference=latin_text,
    debtor_iban=ibans,
    creditor_iban=ibans,
)
def test_sepa_sct_transliterates_any_name_or_refuses_with_a_field_error(
    cents: int, debtor_name: str, creditor_name: str, reference: str, debtor_iban: str, creditor_iban: str
) -> None:
    protocol = SEPAProtocol(clock=lambda: datetime(2026, 3, 2, tzinfo=UTC), id_factory=lambda: "ID-1")
    amount = Decimal(cents).scaleb(-2)
    try:
        sct = protocol.create_sct(
            debtor_iban=debtor_iban,
            debtor_name=debtor_name,
            creditor_iban=creditor_iban,
            creditor_name=creditor_name,
            amount=amount,
            reference=reference,
        )
    except MessageValidationError as exc:
        converted = [to_epc_latin(name) for name in (debtor_name, creditor_name)]
        # Only names that convert to nothing or to more than 70 characters may be refused.
        assert any(not name or len(name) > 70 for name in converted), exc.errors
        return
    assert is_epc_latin(sct.payment_infos[0].debtor.name)
    assert is_epc_latin(sct.payment_infos[0].transactions[0].creditor.name)
    assert parse(sct.to_xml()) == sct


@SETTINGS
@given(name=st.text(min_size=1, max_size=40))
def test_strict_sepa_refuses_exactly_the_non_latin_names(name: str) -> None:
    protocol = SEPAProtocol(transliterate=False)
    try:
        protocol.create_sct(
            debtor_iban="DE89370400440532013000",
            debtor_name=name,
            creditor_iban="FR1420041010050500013M02606",
            creditor_name="Pierre Dupont",
            amount=Decimal("1.00"),
            reference="REF-1",
        )
    except MessageValidationError as exc:
        if not is_epc_latin(name):
            assert exc.errors[0] == FieldError(
                "debtor_name", "SEPA charset: text contains characters outside the EPC Latin set"
            )
        return
    assert is_epc_latin(name)


@SETTINGS
@given(
    sequence_type=st.sampled_from(["FRST", "RCUR", "OOFF", "FNAL"]),
    scheme=st.sampled_from(["CORE", "B2B"]),
    cents=st.integers(min_value=1, max_value=99_999_999_999),
    mandate_id=latin_text,
    signed=st.dates(min_value=date(2009, 11, 2), max_value=date(2030, 1, 1)),
)
def test_sdd_round_trip(sequence_type: str, scheme: str, cents: int, mandate_id: str, signed: date) -> None:
    sdd = SEPAProtocol(clock=lambda: datetime(2026, 3, 2, tzinfo=UTC), id_factory=lambda: "ID-1").create_sdd(
        creditor_iban="DE89370400440532013000",
        creditor_name="Stadtwerke",
        creditor_id="DE98ZZZ09999999999",
        debtor_iban="FR1420041010050500013M02606",
        debtor_name="Pierre Dupont",
        amount=Decimal(cents).scaleb(-2),
        mandate_id=mandate_id,
        mandate_signature_date=signed,
        sequence_type=sequence_type,
        reference="E2E-1",
        collection_date=date(2026, 3, 10),
        scheme=scheme,
    )
    assert parse(sdd.to_xml()) == sdd


@SETTINGS
@given(
    statuses=st.lists(st.tuples(st.sampled_from(["ACCP", "ACSC", "PDNG", "RJCT"]), latin_text), min_size=1, max_size=5)
)
def test_pacs002_round_trip(statuses: list[tuple[str, str]]) -> None:
    message = Pacs002(
        message_id="STS-1",
        created=datetime(2026, 3, 2, tzinfo=UTC),
        transactions=tuple(
            TransactionStatus(
                status=status,
                original_end_to_end_id=e2e,
                reasons=(StatusReason(code="AC04"),) if status == "RJCT" else (),
            )
            for status, e2e in statuses
        ),
    )
    assert parse(message.to_xml()) == message


# --------------------------------------------------------------------------- fuzzing
def _only_validation_errors(raw: bytes) -> None:
    message_type, errors = validate_raw(raw)
    assert isinstance(message_type, str) and all(isinstance(error, FieldError) for error in errors)
    assert not any(error.reason.startswith("could not be validated") for error in errors), errors
    try:
        parse(raw)
    except MessageValidationError as exc:
        assert exc.errors
    else:
        assert errors == []


@SETTINGS
@given(raw=st.binary(max_size=2000))
def test_arbitrary_bytes_only_raise_message_validation_error(raw: bytes) -> None:
    _only_validation_errors(raw)
    _only_validation_errors(
        b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08">' + raw + b"</Document>"
    )


@st.composite
def mutated_messages(draw: st.DrawFn) -> bytes:
    raw = draw(st.sampled_from(GOLDEN_BYTES))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        position = draw(st.integers(min_value=0, max_value=len(raw)))
        action = draw(st.sampled_from(["delete", "insert", "replace-text", "duplicate"]))
        if action == "delete":
            raw = raw[:position] + raw[position + draw(st.integers(min_value=1, max_value=40)) :]
        elif action == "insert":
            raw = raw[:position] + draw(st.binary(min_size=1, max_size=20)) + raw[position:]
        elif action == "duplicate":
            raw = raw[:position] + raw[position : position + 60] + raw[position:]
        else:
            start = raw.find(b">", position)
            end = raw.find(b"<", start + 1) if start >= 0 else -1
            if 0 <= start < end:
                text = draw(
                    st.sampled_from(
                        [
                            b"",
                            b"0",
                            b"-1",
                            b"1.123456",
                            b"ZZ",
                            b"9" * 40,
                            b"RJCT",
                            b"&amp;",
                            b"2026-02-30",
                            b"99999999999999999999.99",
                            "é".encode(),
                        ]
                    )
                )
                raw = raw[: start + 1] + text + raw[end:]
    return raw


@SETTINGS
@given(raw=mutated_messages())
def test_mutated_valid_messages_only_raise_message_validation_error(raw: bytes) -> None:
    _only_validation_errors(raw)
