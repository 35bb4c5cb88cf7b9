"""ISO 8583: every MTI class, all 128 data elements, the secondary bitmap, the 1993 layout; build/parse/validate."""

from __future__ import annotations

import pytest

from apps.payments.formats import detect, iso8583
from apps.payments.formats.iso8583 import CardMessage, build_iso8583_message, parse_iso8583_message
from apps.payments.formats.iso8583.spec import ELEMENTS_1987, ELEMENTS_1993

PAN = "4761739001010010"


def _sample_value(number: int, elements: dict) -> object:
    spec = elements[number]
    size = spec.length if not spec.variable else min(spec.length, 5)
    if number == 4:
        return 2500
    if spec.kind == "b":
        return bytes(range(1, size + 1))
    samples = {
        2: PAN,
        7: "1202101530",
        12: "101530" if spec.length == 6 else "261202101530",
        13: "1202",
        14: "2712",
        15: "1203",
        35: PAN + "=2712201",
        49: "840",
        95: "000000001500000000001500C00000000D00000010",
    }
    if number in samples:
        return samples[number]
    if spec.kind == "xn":
        return "C" + "0" * (spec.length - 1)
    if spec.kind in ("n", "ns"):
        return "1" * size
    return "A" * size


def _every_element(mti: str) -> CardMessage:
    elements = iso8583.elements_for(mti)
    named, other = {}, []
    for number in sorted(elements):
        if number in (38, 39):
            continue  # a request carries no response elements
        value = _sample_value(number, elements)
        if elements[number].attribute:
            named[elements[number].attribute] = value
        else:
            other.append((number, value))
    return CardMessage(mti=mti, other_elements=tuple(other), **named)


def test_the_tables_cover_all_128_elements() -> None:
    for table in (ELEMENTS_1987, ELEMENTS_1993):
        assert set(table) == set(range(2, 129)) - {65}  # bit 1 and bit 65 are the secondary and tertiary bitmaps
    assert (ELEMENTS_1987[2].prefix_digits, ELEMENTS_1987[35].prefix_digits, ELEMENTS_1987[55].prefix_digits) == (
        2,
        2,
        3,
    )
    assert (ELEMENTS_1987[15].length, ELEMENTS_1987[90].length, ELEMENTS_1987[95].length) == (4, 42, 42)
    assert (ELEMENTS_1987[52].kind, ELEMENTS_1987[52].length, ELEMENTS_1987[55].length) == ("b", 8, 255)
    assert ELEMENTS_1993[12].length == 12 and ELEMENTS_1993[39].kind == "n" and ELEMENTS_1993[43].variable


@pytest.mark.parametrize("encoding", ["hex", "binary"])
@pytest.mark.parametrize("mti", ["0200", "1200"])
def test_a_message_with_every_element_round_trips(mti: str, encoding: str) -> None:
    message = _every_element(mti)
    raw = build_iso8583_message(message, bitmap_encoding=encoding)
    bitmap = raw[4:36] if encoding == "hex" else raw[4:20].hex().upper().encode()
    assert bitmap.startswith(b"F") and int(bitmap, 16) & (1 << 127)  # bit 1: secondary bitmap
    parsed = parse_iso8583_message(raw)
    assert parsed == message
    assert parsed.present_elements == sorted(set(range(2, 129)) - {38, 39, 65})
    assert build_iso8583_message(parsed, bitmap_encoding=encoding) == raw
    assert detect.validate_file(raw).message_type == mti and detect.validate_file(raw).valid


@pytest.mark.parametrize("mti", sorted(iso8583.SUPPORTED_MTIS))
def test_every_supported_mti_is_detected_and_its_mandatory_elements_are_enforced(mti: str) -> None:
    elements = iso8583.elements_for(mti)
    mandatory = iso8583.MANDATORY_ELEMENTS[mti]
    named, other = {}, []
    for number in sorted(mandatory):
        value = _sample_value(number, elements)
        if number == 39:
            value = "00" if elements[39].length == 2 else "000"
        if elements[number].attribute:
            named[elements[number].attribute] = value
        else:
            other.append((number, value))
    raw = build_iso8583_message(CardMessage(mti=mti, other_elements=tuple(other), **named))
    assert detect.detect_format(raw) is iso8583
    assert detect.validate_file(raw).valid
    missing = sorted(mandatory)[-1]
    cut = CardMessage(
        mti=mti,
        other_elements=tuple(item for item in other if item[0] != missing),
        **{k: v for k, v in named.items() if k != elements[missing].attribute},
    )
    with pytest.raises(iso8583.MessageValidationError) as caught:
        build_iso8583_message(cut)
    assert any(e.field == f"DE{missing}" and "mandatory" in e.reason for e in caught.value.errors)


@pytest.mark.parametrize(
    ("number", "value", "reason"),
    [
        (35, PAN + "2712", "separator"),
        (35, PAN + "=27X2", "track 2"),
        (95, "0" * 24 + "X00000000C00000000", "C or D"),
        (28, "X00000100", "C or D"),
        (15, "1340", "MMDD"),
    ],
)
def test_element_encodings_are_checked(number: int, value: str, reason: str) -> None:
    message = _every_element("0200")
    spec = ELEMENTS_1987[number]
    if spec.attribute:
        message = CardMessage(**{**message.__dict__, spec.attribute: value})
    else:
        message = CardMessage(
            **{
                **message.__dict__,
                "other_elements": tuple((n, value if n == number else v) for n, v in message.other_elements),
            }
        )
    with pytest.raises(iso8583.MessageValidationError) as caught:
        build_iso8583_message(message)
    assert any(e.field == f"DE{number}" and reason in e.reason for e in caught.value.errors)


def test_a_1993_message_is_read_with_the_1993_table() -> None:
    message = CardMessage(mti="1804", transmission_datetime="1202101530", stan="000001", other_elements=((24, "831"),))
    raw = build_iso8583_message(message)
    assert parse_iso8583_message(raw).element(24) == "831"
    # DE39 of 1993 is the 3-digit action code; the 1987 2-character response code does not fit it
    with pytest.raises(iso8583.MessageValidationError):
        build_iso8583_message(CardMessage(**{**message.__dict__, "mti": "1814", "response_code": "00"}))
    answer = CardMessage(**{**message.__dict__, "mti": "1814", "response_code": "000"})
    assert parse_iso8583_message(build_iso8583_message(answer)) == answer
