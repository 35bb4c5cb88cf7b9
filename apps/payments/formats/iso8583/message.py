"""ISO 8583 (1987, and the common 1993 layout) card messages, ASCII: authorisation (x100-x130), financial
(x200-x230), reversal (x400-x430 with the repeats x401/x421) and network management (0800-0830, 1804-1830).

Wire layout: 4-digit ASCII MTI, primary bitmap, secondary bitmap when bit 1 is set, then the data
elements in ascending order. Numeric and text elements are ASCII; LLVAR / LLLVAR elements carry a 2- / 3-digit
ASCII length. All 128 elements are known (``spec.py``: lengths from pyiso8583's table, types from the standard),
so a message with any element set is read; the 27 QENEX uses by name are CardMessage attributes, the rest are
kept by number in ``CardMessage.other_elements``. The MTI's version digit picks the 1987 or the 1993 table.

Bitmap encoding: we write hex bitmaps by default (16 upper-case hex characters per bitmap),
``bitmap_encoding="binary"`` writes 8 raw bytes. The reader accepts both: when the 16 bytes after
the MTI are all hex digits the bitmap is hex, otherwise binary. DE52 (PIN block, b8) follows the
bitmap encoding: 16 hex characters, or 8 raw bytes.

Fixed ``an``/``ans`` elements (DE37, DE38, DE39, DE41, DE42, DE43) are space-padded on the right
and the reader strips that padding, so give them without trailing spaces. Non-ASCII text in ``ans``
elements is transliterated with ``anyascii`` when building.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from anyascii import anyascii

from ..cards import is_luhn_valid
from ..errors import FieldError, MessageValidationError
from .spec import ATTRIBUTES, ELEMENTS_1987, ElementSpec, elements_for

#: ISO 8583:1987 MTIs: authorisation (01xx), financial (02xx), reversal (04xx) and network management (08xx);
#: a last digit 1 is the repeat of a request or advice. The 1993 edition's are the same classes with version digit 1
#: (1100, 1200, 1420, ...), network management being 1804/1814 there.
MTIS_1987 = frozenset(
    {"0100", "0110", "0120", "0121", "0130"}
    | {"0200", "0210", "0220", "0221", "0230"}
    | {"0400", "0401", "0410", "0420", "0421", "0430"}
    | {"0800", "0810", "0820", "0830"}
)
MTIS_1993 = frozenset(
    {"1100", "1110", "1120", "1121", "1130"}
    | {"1200", "1210", "1220", "1221", "1230"}
    | {"1400", "1401", "1410", "1420", "1421", "1430"}
    | {"1804", "1814", "1820", "1830"}
)
SUPPORTED_MTIS = MTIS_1987 | MTIS_1993
# Requests and advices carry no response elements (DE38 approval code, DE39 response code): the switch sends them
# like requests. Authorisation advices (x120) report a stand-in decision and so may carry DE38/DE39.
REQUEST_MTIS = frozenset({"0100", "0200", "0220", "0221", "0400", "0401", "0420", "0421", "0800", "0820"})

ELEMENTS = ELEMENTS_1987
ATTRIBUTE_TO_ELEMENT = {attribute: number for number, attribute in ATTRIBUTES.items()}

_REQUEST = frozenset({2, 3, 4, 7, 11, 22, 41, 49})
_RESPONSE = frozenset({3, 4, 7, 11, 39, 41, 49})
_ADVICE = frozenset({2, 3, 4, 7, 11, 37, 41, 49})
#: Elements each MTI must carry.
MANDATORY_ELEMENTS: dict[str, frozenset[int]] = {
    "0100": _REQUEST,
    "0110": _RESPONSE,
    "0120": frozenset({2, 3, 4, 7, 11, 41, 49}),
    "0130": _RESPONSE,
    "0200": _REQUEST,
    "0210": _RESPONSE,
    "0220": _ADVICE,
    "0230": _RESPONSE,
    "0400": frozenset({2, 3, 4, 7, 11, 41, 49, 90}),
    "0410": frozenset({3, 4, 7, 11, 39, 41, 49, 90}),
    "0420": frozenset({2, 3, 4, 7, 11, 41, 49, 90}),
    "0430": frozenset({3, 4, 7, 11, 39, 41, 49, 90}),
    "0800": frozenset({7, 11, 70}),
    "0810": frozenset({7, 11, 39, 70}),
    "0820": frozenset({7, 11, 70}),
    "0830": frozenset({7, 11, 39, 70}),
    # 1993: DE90 gave way to DE56 (original data elements), DE70 to DE24 (function code) in network management
    "1100": frozenset({2, 3, 4, 11, 12, 22, 24, 41, 49}),
    "1110": frozenset({3, 4, 11, 12, 39, 41, 49}),
    "1120": frozenset({2, 3, 4, 11, 12, 24, 41, 49}),
    "1130": frozenset({3, 4, 11, 12, 39, 41, 49}),
    "1200": frozenset({2, 3, 4, 11, 12, 22, 24, 41, 49}),
    "1210": frozenset({3, 4, 11, 12, 39, 41, 49}),
    "1220": frozenset({2, 3, 4, 11, 12, 24, 41, 49}),
    "1230": frozenset({3, 4, 11, 12, 39, 41, 49}),
    "1400": frozenset({2, 3, 4, 11, 12, 24, 41, 49, 56}),
    "1410": frozenset({3, 4, 11, 12, 39, 41, 49, 56}),
    "1420": frozenset({2, 3, 4, 11, 12, 24, 41, 49, 56}),
    "1430": frozenset({3, 4, 11, 12, 39, 41, 49, 56}),
    "1804": frozenset({7, 11, 24}),
    "1814": frozenset({7, 11, 24, 39}),
    "1820": frozenset({7, 11, 24}),
    "1830": frozenset({7, 11, 24, 39}),
}
for _repeat, _original in (("0121", "0120"), ("0221", "0220"), ("0401", "0400"), ("0421", "0420")):
    MANDATORY_ELEMENTS[_repeat] = MANDATORY_ELEMENTS[_original]
for _repeat, _original in (("1121", "1120"), ("1221", "1220"), ("1401", "1400"), ("1421", "1420")):
    MANDATORY_ELEMENTS[_repeat] = MANDATORY_ELEMENTS[_original]
REQUEST_MTIS = REQUEST_MTIS | {"1" + mti[1:] for mti in REQUEST_MTIS if "1" + mti[1:] in MTIS_1993}
REQUEST_MTIS = REQUEST_MTIS | {"1804", "1820"}


@dataclass(frozen=True)
class CardMessage:
    """An ISO 8583 message; None means the data element is absent. ``amount`` is in minor units."""

    mti: str
    pan: str | None = None
    processing_code: str | None = None
    amount: int | None = None
    transmission_datetime: str | None = None
    stan: str | None = None
    local_time: str | None = None
    local_date: str | None = None
    expiry: str | None = None
    mcc: str | None = None
    acquirer_country: str | None = None
    pos_entry_mode: str | None = None
    pos_condition_code: str | None = None
    acquirer_id: str | None = None
    rrn: str | None = None
    auth_id: str | None = None
    response_code: str | None = None
    terminal_id: str | None = None
    merchant_id: str | None = None
    card_acceptor_name_location: str | None = None
    currency_code: str | None = None
    pin_block: bytes | None = None
    original_data_elements: str | None = None
    settlement_date: str | None = None
    track2: str | None = None
    icc_data: bytes | None = None
    network_management_code: str | None = None
    replacement_amounts: str | None = None
    #: every other data element present, as (number, value): text, or bytes for binary (b) elements
    other_elements: tuple[tuple[int, str | bytes], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "other_elements", tuple(sorted(tuple(item) for item in self.other_elements)))

    @property
    def present_elements(self) -> list[int]:
        named = [ATTRIBUTE_TO_ELEMENT[name] for name, value in _named_values(self).items() if value is not None]
        return sorted(named + [number for number, _ in self.other_elements])

    def element(self, number: int) -> str | bytes | int | None:
        """The value of DE``number`` (named or not), None when absent."""
        attribute = ATTRIBUTES.get(number)
        if attribute:
            return getattr(self, attribute)
        return dict(self.other_elements).get(number)


def _named_values(message: CardMessage) -> dict[str, Any]:
    return {f.name: getattr(message, f.name) for f in fields(message) if f.name not in ("mti", "other_elements")}


# --------------------------------------------------------------------------- value rules

_AN = re.compile(r"[A-Za-z0-9 ]*")
_NUMERIC_CURRENCIES: frozenset[str] | None = None


def _numeric_currencies() -> frozenset[str]:
    global _NUMERIC_CURRENCIES
    if _NUMERIC_CURRENCIES is None:
        import iso4217

        _NUMERIC_CURRENCIES = frozenset(f"{c.number:03d}" for c in iso4217.Currency if c.number)
    return _NUMERIC_CURRENCIES


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _valid_clock(hh: str, mm: str, ss: str) -> bool:
    return int(hh) < 24 and int(mm) < 60 and int(ss) < 60


def _valid_month_day(mm: str, dd: str) -> bool:
    return 1 <= int(mm) <= 12 and 1 <= int(dd) <= 31


_TRACK2 = re.compile(r"[0-9=D]*")
_SIGNED = re.compile(r"[CD][0-9]*")
_REPLACEMENT_AMOUNTS = re.compile(r"[0-9]{24}[CD][0-9]{8}[CD][0-9]{8}")
_NS = re.compile(r"[0-9 !-/:-@\[-`{-~]*")


def element_problem(number: int, text: str, elements: dict[int, ElementSpec] = ELEMENTS_1987) -> str | None:
    """Return why ``text`` (the wire value, padding stripped for an/ans) breaks DE``number``'s rule."""
    spec = elements[number]
    if spec.kind == "n":
        if not _digits(text):
            return f"must be digits, got {text!r}"
        if spec.variable and not 1 <= len(text) <= spec.length:
            return f"must be 1 to {spec.length} digits, got {len(text)}"
        if not spec.variable and len(text) != spec.length:
            return f"must be {spec.length} digits, got {len(text)}"
    elif spec.kind == "an" and not _AN.fullmatch(text):
        return f"must be letters, digits or spaces, got {text!r}"
    elif spec.kind == "ans" and not all(" " <= ch <= "~" for ch in text):
        return f"must be printable ASCII, got {text!r}"
    elif spec.kind == "ns" and not _NS.fullmatch(text):
        return f"must be digits or special characters, got {text!r}"
    elif spec.kind == "z" and not _TRACK2.fullmatch(text):
        return f"track 2 data holds digits and the separator '=' or 'D', got {text!r}"
    elif spec.kind == "xn":
        if not _SIGNED.fullmatch(text) or len(text) != spec.length:
            return f"must be C or D and {spec.length - 1} digits, got {text!r}"
    if spec.kind in ("an", "ans", "ns", "z") and len(text) > spec.length:
        return f"is {len(text)} characters, at most {spec.length}"
    if number == 2 and len(text) < 12:
        return f"a PAN has 12 to 19 digits, got {len(text)}"
    if number == 7 and not (_valid_month_day(text[:2], text[2:4]) and _valid_clock(text[4:6], text[6:8], text[8:10])):
        return f"is not a valid MMDDhhmmss, got {text!r}"
    if number == 12 and spec.length == 6 and not _valid_clock(text[:2], text[2:4], text[4:6]):
        return f"is not a valid hhmmss, got {text!r}"
    if (
        number == 12
        and spec.length == 12
        and not (_valid_month_day(text[2:4], text[4:6]) and _valid_clock(text[6:8], text[8:10], text[10:12]))
    ):
        return f"is not a valid YYMMDDhhmmss, got {text!r}"
    if number in (13, 15) and not _valid_month_day(text[:2], text[2:]):
        return f"is not a valid MMDD, got {text!r}"
    if number == 14 and not 1 <= int(text[2:]) <= 12:
        return f"is not a valid YYMM, got {text!r}"
    if number == 35 and ("=" not in text and "D" not in text):
        return "track 2 data needs the separator between PAN and expiry ('=' or 'D')"
    if number == 95 and spec.length == 42 and not _REPLACEMENT_AMOUNTS.fullmatch(text):
        return f"replacement amounts are n12 n12 x+n8 x+n8 (C or D before each fee), got {text!r}"
    if number == 49 and text not in _numeric_currencies():
        return f"unknown ISO 4217 numeric currency {text!r}"
    if number == 39 and len(text) != spec.length:
        return f"must be {spec.length} characters, got {text!r}"
    return None


def _check_message(present: set[int], pan: Any, mti: str, check_luhn: bool, errors: list[FieldError]) -> None:
    if mti not in SUPPORTED_MTIS:
        errors.append(
            FieldError("MTI", f"unsupported message type {mti!r} (supported: {', '.join(sorted(SUPPORTED_MTIS))})")
        )
        return
    elements = elements_for(mti)
    for number in sorted(MANDATORY_ELEMENTS[mti] - present):
        errors.append(FieldError(f"DE{number}", f"mandatory in a {mti} ({elements[number].description}) but missing"))
    if mti in REQUEST_MTIS:
        for number in (38, 39):
            if number in present:
                errors.append(FieldError(f"DE{number}", f"must not be in a {mti} request"))
    if check_luhn and isinstance(pan, str) and _digits(pan) and not is_luhn_valid(pan):
        errors.append(FieldError("DE2", "PAN fails the Luhn check"))


# --------------------------------------------------------------------------- building


def _element_text(
    spec: ElementSpec, value: Any, elements: dict[int, ElementSpec], errors: list[FieldError]
) -> str | None:
    where = f"DE{spec.number}"
    if spec.kind == "b":
        good = isinstance(value, bytes) and (
            1 <= len(value) <= spec.length if spec.variable else len(value) == spec.length
        )
        if not good:
            errors.append(FieldError(where, f"must be {'1 to ' if spec.variable else ''}{spec.length} bytes"))
            return None
        return value.hex().upper()
    if spec.number == 4:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**12:
            errors.append(FieldError(where, f"amount must be integer minor units in 12 digits, got {value!r}"))
            return None
        return f"{value:012d}"
    if not isinstance(value, str):
        errors.append(FieldError(where, f"must be text, not {type(value).__name__}"))
        return None
    text = anyascii(value) if spec.kind == "ans" else value
    problem = element_problem(spec.number, text, elements)
    if problem:
        errors.append(FieldError(where, problem))
        return None
    return text


def _message_values(message: CardMessage, errors: list[FieldError]) -> dict[int, Any]:
    values = {ATTRIBUTE_TO_ELEMENT[name]: value for name, value in _named_values(message).items() if value is not None}
    for number, value in message.other_elements:
        if not isinstance(number, int) or not 2 <= number <= 128 or number == 65 or number in ATTRIBUTES:
            errors.append(FieldError(f"DE{number}", "other_elements holds DE2-DE128 without a named attribute"))
            continue
        values[number] = value
    return values


def build_iso8583_message(message: CardMessage, *, bitmap_encoding: str = "hex", check_luhn: bool = True) -> bytes:
    """Render ``message`` as ISO 8583 ASCII bytes (1987, or 1993 for an MTI 1xxx), hex (default) or binary bitmap.

    Raises MessageValidationError listing every problem: bad values, missing mandatory elements,
    request-only/response-only elements, and (unless ``check_luhn=False``) a PAN failing Luhn.
    """
    errors: list[FieldError] = []
    if bitmap_encoding not in ("hex", "binary"):
        raise MessageValidationError.single("ISO 8583", "bitmap", "bitmap_encoding must be 'hex' or 'binary'")
    mti = message.mti if isinstance(message.mti, str) else ""
    if not (len(mti) == 4 and _digits(mti)):
        errors.append(FieldError("MTI", f"must be 4 digits, got {message.mti!r}"))
    values = _message_values(message, errors)
    _check_message(set(values), values.get(2), mti, check_luhn, errors)
    elements = elements_for(mti)
    body: list[bytes] = []
    bitmap = 0
    for number in sorted(values):
        spec = elements[number]
        value = values[number]
        text = _element_text(spec, value, elements, errors)
        if text is None:
            continue
        bitmap |= 1 << (128 - number)
        if spec.kind == "b" and bitmap_encoding == "binary":
            prefix = f"{len(value):0{spec.prefix_digits}d}" if spec.variable else ""
            body.append(prefix.encode("ascii") + value)
        elif spec.variable:
            body.append(f"{len(text):0{spec.prefix_digits}d}{text}".encode("ascii"))
        elif spec.kind == "b":
            body.append(text.encode("ascii"))
        else:
            body.append(text.ljust(spec.length).encode("ascii"))
    if errors:
        raise MessageValidationError(mti or "ISO 8583", errors)
    if bitmap & ((1 << 64) - 1):
        bitmap |= 1 << 127  # bit 1: secondary bitmap present
        width = 16
    else:
        bitmap >>= 64
        width = 8
    if bitmap_encoding == "hex":
        bitmap_bytes = f"{bitmap:0{width * 2}X}".encode("ascii")
    else:
        bitmap_bytes = bitmap.to_bytes(width, "big")
    return mti.encode("ascii") + bitmap_bytes + b"".join(body)


# --------------------------------------------------------------------------- reading

_HEX = frozenset(b"0123456789ABCDEFabcdef")


def _read_bitmap(raw: bytes, pos: int, hex_mode: bool, errors: list[FieldError]) -> tuple[int | None, int]:
    size = 16 if hex_mode else 8
    chunk = raw[pos : pos + size]
    if len(chunk) < size:
        errors.append(FieldError("bitmap", f"truncated: need {size} bytes, {len(chunk)} left"))
        return None, pos
    if hex_mode:
        if not all(b in _HEX for b in chunk):
            errors.append(FieldError("bitmap", f"secondary bitmap is not hex: {chunk!r}"))
            return None, pos
        return int(chunk, 16), pos + size
    return int.from_bytes(chunk, "big"), pos + size


def read_iso8583_message(
    raw: bytes | str, *, check_luhn: bool = True
) -> tuple[CardMessage | None, list[FieldError], str]:
    """Read an ISO 8583 message; return (message or None, every problem found, MTI). Never raises."""
    data = raw.encode("latin-1", "replace") if isinstance(raw, str) else bytes(raw)
    errors: list[FieldError] = []
    mti_bytes = data[:4]
    mti = mti_bytes.decode("latin-1")
    if len(mti_bytes) < 4 or not _digits(mti):
        errors.append(FieldError("MTI", f"must be 4 ASCII digits, got {mti!r}"))
        return None, errors, "ISO 8583"
    elements = elements_for(mti)
    hex_mode = len(data) >= 20 and all(b in _HEX for b in data[4:20])
    primary, pos = _read_bitmap(data, 4, hex_mode, errors)
    if primary is None:
        return None, errors, mti
    bitmap = primary << 64
    if primary >> 63:
        secondary, pos = _read_bitmap(data, pos, hex_mode, errors)
        if secondary is None:
            return None, errors, mti
        bitmap |= secondary
        if secondary == 0:
            errors.append(FieldError("bitmap", "bit 1 announces a secondary bitmap but it has no element set"))
        if secondary >> 63:
            errors.append(FieldError("bitmap", "bit 65 (tertiary bitmap) is not supported"))
            return None, errors, mti
    numbers = [n for n in range(2, 129) if bitmap >> (128 - n) & 1]
    if not numbers:
        errors.append(FieldError("bitmap", "no data element is set"))
    values: dict[int, Any] = {}
    for number in numbers:
        spec = elements[number]
        where = f"DE{number}"
        binary = spec.kind == "b" and not hex_mode
        if spec.variable:
            digits = spec.prefix_digits
            prefix = data[pos : pos + digits]
            kind = "LLVAR" if digits == 2 else "LLLVAR"
            if len(prefix) < digits or not prefix.isdigit():
                errors.append(FieldError(where, f"{kind} length prefix must be {digits} digits, got {prefix!r}"))
                return None, errors, mti
            size = int(prefix)
            pos += digits
            maximum = spec.length * 2 if spec.kind == "b" and hex_mode else spec.length
            if size > maximum:
                errors.append(FieldError(where, f"length {size} exceeds the maximum {maximum}"))
                return None, errors, mti
        else:
            size = spec.length * 2 if spec.kind == "b" and hex_mode else spec.length
        chunk = data[pos : pos + size]
        if len(chunk) < size:
            errors.append(FieldError(where, f"truncated: need {size} bytes, {len(chunk)} left"))
            return None, errors, mti
        pos += size
        if spec.kind == "b":
            if binary:
                values[number] = chunk
            elif all(b in _HEX for b in chunk) and size % 2 == 0:  # bytes.fromhex alone would skip spaces
                values[number] = bytes.fromhex(chunk.decode("ascii"))
            else:
                errors.append(FieldError(where, f"must be {size} hex characters, got {chunk!r}"))
            continue
        text = chunk.decode("latin-1")
        if spec.kind in ("an", "ans") and not spec.variable:
            text = text.rstrip(" ")
        problem = element_problem(number, text, elements)
        if problem:
            errors.append(FieldError(where, problem))
        values[number] = int(text) if number == 4 and not problem else text
    if pos < len(data):
        errors.append(FieldError("message", f"{len(data) - pos} unexpected bytes after the last data element"))
    _check_message(set(values), values.get(2), mti, check_luhn, errors)
    if errors:
        return None, errors, mti
    named = {ATTRIBUTES[number]: value for number, value in values.items() if number in ATTRIBUTES}
    other = tuple((number, value) for number, value in values.items() if number not in ATTRIBUTES)
    return CardMessage(mti=mti, other_elements=other, **named), errors, mti


def parse_iso8583_message(raw: bytes | str, *, check_luhn: bool = True) -> CardMessage:
    """Parse an ISO 8583 message; raise MessageValidationError listing every problem."""
    message, errors, mti = read_iso8583_message(raw, check_luhn=check_luhn)
    if errors or message is None:
        raise MessageValidationError(mti, errors or [FieldError("message", "is empty")])
    return message
