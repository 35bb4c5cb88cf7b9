"""ISO 8583 authorisation messages: golden bytes, element rules, partner messages by hand, simulator, fuzz."""

from __future__ import annotations

import dataclasses
import os
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.payments.formats import iso8583
from apps.payments.formats.cards import luhn_check_digit
from apps.payments.formats.errors import FieldError, MessageValidationError
from apps.payments.formats.iso8583 import (
    CardMessage,
    authorise,
    build_iso8583_message,
    decide_response_code,
    parse_iso8583_message,
)

GOLDEN = Path(__file__).parent / "golden" / "iso8583"
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TODAY = date(2025, 1, 15)


def sample_0100() -> CardMessage:
    return CardMessage(
        mti="0100",
        pan="4111111111111111",
        processing_code="000000",
        amount=12_34,
        transmission_datetime="0115123045",
        stan="000123",
        local_time="073045",
        local_date="0115",
        expiry="2712",
        mcc="5411",
        pos_entry_mode="051",
        pos_condition_code="00",
        acquirer_id="123456",
        rrn="501512000123",
        terminal_id="TERM0001",
        merchant_id="MERCHANT0000001",
        card_acceptor_name_location="ACME GROCERY           NEW YORK     NYUS",
        currency_code="840",
        pin_block=bytes.fromhex("0412AC89ABCDEF67"),
    )


def sample_0110() -> CardMessage:
    return authorise(sample_0100(), today=TODAY)


def sample_0400() -> CardMessage:
    return CardMessage(
        mti="0400",
        pan="5555555555554444",
        processing_code="000000",
        amount=50_00,
        transmission_datetime="0115123500",
        stan="000124",
        terminal_id="TERM0001",
        currency_code="978",
        original_data_elements="010000012301151230450000012345600000000000",
    )


SAMPLES = {
    "0100_hex_bitmap.bin": (sample_0100, "hex"),
    "0100_binary_bitmap.bin": (sample_0100, "binary"),
    "0110_approved.bin": (sample_0110, "hex"),
    "0400_reversal.bin": (sample_0400, "hex"),
}


def errors_of(raw: bytes) -> list[FieldError]:
    return iso8583.validate_raw(raw)[1]


def has_error(errors: list[FieldError], field: str, reason_part: str = "") -> bool:
    return any(e.field == field and reason_part in e.reason for e in errors)


# --------------------------------------------------------------------------- golden files and interface


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_builder_output_matches_golden_file(name: str) -> None:
    factory, encoding = SAMPLES[name]
    built = build_iso8583_message(factory(), bitmap_encoding=encoding)
    path = GOLDEN / name
    if os.environ.get("REGENERATE_GOLDEN"):
        path.write_bytes(built)
    assert built == path.read_bytes()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_golden_file_parses_back_to_the_same_domain_object(name: str) -> None:
    assert iso8583.parse((GOLDEN / name).read_bytes()) == SAMPLES[name][0]()


def test_0100_golden_layout() -> None:
    raw = (GOLDEN / "0100_hex_bitmap.bin").read_bytes()
    assert raw[:4] == b"0100"
    assert raw[4:20] == b"723C448108E09000"  # DE2-4,7,11-14,18,22,25,32,37,41-43,49,52; no secondary
    assert raw[20:38] == b"164111111111111111"  # LLVAR PAN
    assert raw[38:44] == b"000000" and raw[44:56] == b"000000001234"
    assert raw.endswith(b"8400412AC89ABCDEF67")


def test_0400_uses_a_secondary_bitmap_for_de90() -> None:
    raw = (GOLDEN / "0400_reversal.bin").read_bytes()
    primary, secondary = int(raw[4:20], 16), int(raw[20:36], 16)
    assert primary >> 63 == 1  # bit 1
    assert secondary == 1 << (128 - 90)


def test_interface() -> None:
    raw = (GOLDEN / "0100_hex_bitmap.bin").read_bytes()
    assert iso8583.FORMAT_NAME == "ISO 8583"
    assert iso8583.looks_like(raw)
    assert iso8583.looks_like((GOLDEN / "0100_binary_bitmap.bin").read_bytes())
    assert not iso8583.looks_like(b"{1500}30QX000001T ")
    assert not iso8583.looks_like(b"101 091000019 1234567890")
    assert iso8583.validate_raw(raw) == ("0100", [])
    assert iso8583.validate_raw((GOLDEN / "0110_approved.bin").read_bytes()) == ("0110", [])


# --------------------------------------------------------------------------- element and bitmap rules


def test_bad_luhn_is_reported_on_de2() -> None:
    raw = (GOLDEN / "0100_hex_bitmap.bin").read_bytes().replace(b"164111111111111111", b"164111111111111112")
    assert has_error(errors_of(raw), "DE2", "Luhn")
    assert parse_iso8583_message(raw, check_luhn=False).pan == "4111111111111112"


def test_missing_mandatory_element() -> None:
    with pytest.raises(MessageValidationError) as caught:
        build_iso8583_message(dataclasses.replace(sample_0100(), stan=None, terminal_id=None))
    assert has_error(caught.value.errors, "DE11", "mandatory in a 0100")
    assert has_error(caught.value.errors, "DE41", "mandatory in a 0100")


def test_response_code_not_allowed_in_request() -> None:
    with pytest.raises(MessageValidationError) as caught:
        build_iso8583_message(dataclasses.replace(sample_0100(), response_code="00"))
    assert has_error(caught.value.errors, "DE39", "must not be in a 0100 request")


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"processing_code": "00000"}, "DE3", "must be 6 digits"),
        ({"transmission_datetime": "1315123045"}, "DE7", "MMDDhhmmss"),
        ({"local_time": "246000"}, "DE12", "hhmmss"),
        ({"local_date": "1301"}, "DE13", "MMDD"),
        ({"expiry": "2713"}, "DE14", "YYMM"),
        ({"currency_code": "001"}, "DE49", "unknown ISO 4217"),
        ({"rrn": "ABC-123"}, "DE37", "letters, digits or spaces"),
        ({"terminal_id": "TERMINAL9"}, "DE41", "at most 8"),
        ({"pan": "41111111111"}, "DE2", "12 to 19"),
        ({"pan": "41111111111111111111"}, "DE2", "1 to 19 digits"),
        ({"acquirer_id": "1" * 12}, "DE32", "1 to 11 digits"),
        ({"amount": 10**12}, "DE4", "12 digits"),
        ({"amount": 12.34}, "DE4", "integer minor units"),
        ({"pin_block": b"1234"}, "DE52", "8 bytes"),
        ({"mti": "0500"}, "MTI", "unsupported message type"),
    ],
)
def test_element_rules_when_building(changes: dict, field: str, reason: str) -> None:
    with pytest.raises(MessageValidationError) as caught:
        build_iso8583_message(dataclasses.replace(sample_0100(), **changes))
    assert has_error(caught.value.errors, field, reason)


def test_yearless_dates_are_checked_for_shape_not_calendar() -> None:
    """DE13 has no year, so 0229 must pass; we accept 0230 too rather than guess the year."""
    assert build_iso8583_message(dataclasses.replace(sample_0100(), local_date="0230"))


def test_bitmap_problems() -> None:
    raw = (GOLDEN / "0100_hex_bitmap.bin").read_bytes()
    assert has_error(errors_of(raw[:4] + b"F23C448108E09000" + b"ZZZZZZZZZZZZZZZZ" + raw[20:]), "bitmap", "not hex")
    # every element of the 128 is known: a DE64 (MAC) announced by the bitmap but absent is a truncated message
    assert has_error(errors_of(raw[:4] + b"723C448108E09001" + raw[20:]), "DE64", "truncated: need 16 bytes")
    assert has_error(errors_of(raw[:4] + b"0000000000000000"), "bitmap", "no data element is set")
    assert has_error(errors_of(b"0100723C"), "bitmap", "truncated")
    secondary_empty = b"0100" + b"F23C448108E09000" + b"0000000000000000" + raw[20:]
    assert has_error(errors_of(secondary_empty), "bitmap", "announces a secondary bitmap but it has no element set")


def test_hex_pin_block_must_be_sixteen_hex_characters() -> None:
    raw = (GOLDEN / "0100_hex_bitmap.bin").read_bytes()
    assert has_error(errors_of(raw[:-16] + b"0412 C89ABCDEF67"), "DE52", "hex characters")


def test_sniffers_do_not_claim_each_others_messages() -> None:
    from apps.payments.formats import fedwire, nacha

    root = GOLDEN.parent
    samples = {
        nacha: sorted((root / "nacha").glob("*.ach")),
        fedwire: sorted((root / "fedwire").glob("*.txt")),
        iso8583: sorted(GOLDEN.glob("*.bin")),
    }
    for module, paths in samples.items():
        for path in paths:
            raw = path.read_bytes()
            claimed = {other.FORMAT_NAME for other in samples if other.looks_like(raw)}
            assert claimed == {module.FORMAT_NAME}, path.name


def test_truncation_and_trailing_bytes() -> None:
    raw = (GOLDEN / "0100_hex_bitmap.bin").read_bytes()
    assert has_error(errors_of(raw[:-3]), "DE52", "truncated")
    assert has_error(errors_of(raw + b"XYZ"), "message", "3 unexpected bytes")
    assert has_error(errors_of(b"01"), "MTI", "4 ASCII digits")
    assert has_error(errors_of(raw[:20] + b"2X4111111111111111" + raw[38:]), "DE2", "LLVAR length prefix")


def test_several_element_problems_are_reported_together() -> None:
    raw = (GOLDEN / "0100_hex_bitmap.bin").read_bytes()
    bad = raw.replace(b"000000000000001234", b"00000A000000001234", 1).replace(b"0115123045", b"1315123045", 1)
    fields = {e.field for e in errors_of(bad)}
    assert {"DE3", "DE7"} <= fields


# --------------------------------------------------------------------------- partner messages written by hand

# An acquirer's 0100 as its switch sends it: hex bitmap, LLVAR PAN and acquirer id, ASCII elements.
PARTNER_0100 = (
    b"0100"
    b"7234448108C08000"  # DE2,3,4,7,11,12,14,18,22,25,32,37,41,42,49
    b"16"
    b"5105105105105100"  # DE2
    b"003000"  # DE3 purchase from savings
    b"000000009999"  # DE4 99.99
    b"0312083000"  # DE7
    b"004711"  # DE11
    b"033000"  # DE12
    b"2611"  # DE14
    b"5812"  # DE18 restaurants
    b"071"  # DE22 contactless
    b"00"  # DE25
    b"06"
    b"400123"  # DE32
    b"407208004711"  # DE37
    b"POS00042"  # DE41
    b"RESTAURANT42   "  # DE42, space-padded
    b"840"  # DE49
)

# The issuer's approval, with a binary bitmap.
PARTNER_0110 = (
    b"0110"
    + bytes.fromhex("3220000106C08000")  # DE3,4,7,11,32,38,39,41,42,49
    + b"003000"
    b"000000009999"
    b"0312083000"
    b"004711"
    b"06400123"
    b"A1B2C3"
    b"00"
    b"POS00042"
    b"RESTAURANT42   "
    b"840"
)


def test_partner_0100_parses() -> None:
    message = parse_iso8583_message(PARTNER_0100)
    assert (message.pan, message.amount, message.merchant_id, message.acquirer_id) == (
        "5105105105105100",
        9999,
        "RESTAURANT42",
        "400123",
    )
    assert iso8583.validate_raw(PARTNER_0100) == ("0100", [])


def test_partner_0110_with_binary_bitmap_parses() -> None:
    message = parse_iso8583_message(PARTNER_0110)
    assert (message.mti, message.auth_id, message.response_code, message.pan) == ("0110", "A1B2C3", "00", None)
    assert iso8583.looks_like(PARTNER_0110)


def test_partner_0100_with_a_dropped_byte_is_refused_precisely() -> None:
    broken = PARTNER_0100.replace(b"2611", b"261")
    errors = errors_of(broken)
    assert errors and all(isinstance(e, FieldError) for e in errors)


# --------------------------------------------------------------------------- simulator


def _request(**changes) -> CardMessage:
    return dataclasses.replace(sample_0100(), **changes)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({}, "00"),
        ({"pan": "4111111111111112"}, "14"),
        ({"pan": "3530111333300000"}, "14"),  # valid Luhn, unknown brand
        ({"processing_code": "310000"}, "05"),
        ({"expiry": "2412"}, "54"),
        ({"expiry": "2501"}, "00"),  # valid through the end of its month
        ({"amount": 500_001}, "51"),
        ({"amount": 500_000}, "00"),
    ],
)
def test_simulator_rules(changes: dict, code: str) -> None:
    assert decide_response_code(_request(**changes), today=TODAY) == code
    assert authorise(_request(**changes), today=TODAY).response_code == code


def test_simulator_blocked_pan_and_custom_limit() -> None:
    assert authorise(_request(), today=TODAY, blocked_pans=frozenset({"4111111111111111"})).response_code == "05"
    assert authorise(_request(), today=TODAY, limit_minor=1000).response_code == "51"


def test_simulator_response_echoes_the_request_and_round_trips() -> None:
    response = authorise(sample_0100(), today=TODAY)
    assert (response.mti, response.stan, response.rrn, response.amount) == ("0110", "000123", "501512000123", 1234)
    assert response.auth_id and len(response.auth_id) == 6
    assert parse_iso8583_message(build_iso8583_message(response)) == response
    declined = authorise(_request(amount=900_000), today=TODAY)
    assert declined.auth_id is None
    assert parse_iso8583_message(build_iso8583_message(declined)) == declined


def test_simulator_acknowledges_reversals_and_refuses_responses() -> None:
    response = authorise(sample_0400(), today=TODAY)
    assert (response.mti, response.response_code, response.original_data_elements) == (
        "0410",
        "00",
        sample_0400().original_data_elements,
    )
    assert parse_iso8583_message(build_iso8583_message(response)) == response
    with pytest.raises(MessageValidationError):
        authorise(response, today=TODAY)


def test_simulator_generates_an_rrn_when_missing() -> None:
    response = authorise(_request(rrn=None), today=TODAY)
    assert response.rrn == "250150000123"


# --------------------------------------------------------------------------- properties and fuzz

digits = st.from_regex
visa_pans = st.from_regex(r"4[0-9]{14}", fullmatch=True).map(lambda p: p + str(luhn_check_digit(p)))
ans_text = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1)


@st.composite
def authorisation_requests(draw: st.DrawFn) -> CardMessage:
    return CardMessage(
        mti="0100",
        pan=draw(visa_pans),
        processing_code=draw(st.sampled_from(["000000", "003000", "010000", "200000"])),
        amount=draw(st.one_of(st.sampled_from([1, 999_999_999_999]), st.integers(1, 999_999_999_999))),
        transmission_datetime=draw(
            st.from_regex(
                r"(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]", fullmatch=True
            )
        ),
        stan=draw(st.from_regex(r"[0-9]{6}", fullmatch=True)),
        expiry=draw(st.one_of(st.none(), st.from_regex(r"[0-9]{2}(0[1-9]|1[0-2])", fullmatch=True))),
        pos_entry_mode=draw(st.sampled_from(["051", "071", "010"])),
        acquirer_id=draw(st.one_of(st.none(), st.from_regex(r"[0-9]{1,11}", fullmatch=True))),
        rrn=draw(st.one_of(st.none(), st.from_regex(r"[A-Z0-9]{12}", fullmatch=True))),
        terminal_id=draw(ans_text.map(lambda s: s[:8])),
        merchant_id=draw(st.one_of(st.none(), ans_text.map(lambda s: s[:15]))),
        card_acceptor_name_location=draw(st.one_of(st.none(), ans_text.map(lambda s: s[:40]))),
        currency_code=draw(st.sampled_from(["840", "978", "392", "826"])),
        pin_block=draw(st.one_of(st.none(), st.binary(min_size=8, max_size=8))),
    )


@PROPERTY_SETTINGS
@given(authorisation_requests(), st.sampled_from(["hex", "binary"]))
def test_random_requests_round_trip_and_get_an_answer(request: CardMessage, encoding: str) -> None:
    raw = build_iso8583_message(request, bitmap_encoding=encoding)
    assert parse_iso8583_message(raw) == request
    response = authorise(request, today=TODAY)
    assert response.response_code in {"00", "05", "14", "51", "54"}
    assert parse_iso8583_message(build_iso8583_message(response, bitmap_encoding=encoding)) == response


@PROPERTY_SETTINGS
@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FFF, exclude_categories=("Cs",)),
        min_size=1,
        max_size=40,
    )
)
def test_non_ascii_card_acceptor_names_are_transliterated_or_rejected(name: str) -> None:
    from anyascii import anyascii

    try:
        raw = build_iso8583_message(dataclasses.replace(sample_0100(), card_acceptor_name_location=name))
    except MessageValidationError as exc:
        assert {e.field for e in exc.errors} == {"DE43"}
        return
    assert parse_iso8583_message(raw).card_acceptor_name_location == anyascii(name).rstrip(" ")


def _never_raises_anything_else(raw: bytes) -> None:
    mti, errors = iso8583.validate_raw(raw)
    assert isinstance(mti, str)
    try:
        iso8583.parse(raw)
    except MessageValidationError as exc:
        assert exc.errors
    iso8583.looks_like(raw)


@PROPERTY_SETTINGS
@given(st.one_of(st.binary(max_size=300), st.binary(max_size=200).map(lambda b: b"0100" + b)))
def test_fuzz_arbitrary_bytes(raw: bytes) -> None:
    _never_raises_anything_else(raw)


@PROPERTY_SETTINGS
@given(
    st.sampled_from(sorted(SAMPLES)),
    st.lists(
        st.tuples(st.integers(0, 500), st.integers(0, 255), st.sampled_from(["set", "insert", "delete"])),
        min_size=1,
        max_size=5,
    ),
)
def test_fuzz_mutations_of_valid_messages(name: str, mutations: list[tuple[int, int, str]]) -> None:
    data = bytearray((GOLDEN / name).read_bytes())
    for position, value, action in mutations:
        position %= len(data) or 1
        if action == "set":
            data[position] = value
        elif action == "insert":
            data.insert(position, value)
        elif data:
            del data[position]
    _never_raises_anything_else(bytes(data))
