"""ISO 8583:1987 card authorisation, advice and reversal messages (0100/0110, 0220/0230, 0400/0410, 0420/0430), ASCII.

Wire layout: 4-digit ASCII MTI, primary bitmap, secondary bitmap when bit 1 is set, then the data
elements in ascending order. Numeric and text elements are ASCII; LLVAR elements carry a 2-digit
ASCII length.

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

SUPPORTED_MTIS = frozenset({"0100", "0110", "0220", "0230", "0400", "0410", "0420", "0430"})
# 0220 (financial advice: the clearing/presentment of an authorisation) and 0420 (reversal advice) are sent by the
# switch like requests: they carry no response elements.
REQUEST_MTIS = frozenset({"0100", "0220", "0400", "0420"})


@dataclass(frozen=True)
class ElementSpec:
    number: int
    attribute: str
    kind: str  # "n", "an", "ans", "b"
    length: int  # fixed length, or maximum for LLVAR
    variable: bool = False
    description: str = ""


ELEMENTS: dict[int, ElementSpec] = {
    spec.number: spec
    for spec in (
        ElementSpec(2, "pan", "n", 19, True, "primary account number"),
        ElementSpec(3, "processing_code", "n", 6, False, "processing code"),
        ElementSpec(4, "amount", "n", 12, False, "transaction amount, minor units"),
        ElementSpec(7, "transmission_datetime", "n", 10, False, "transmission date and time MMDDhhmmss"),
        ElementSpec(11, "stan", "n", 6, False, "system trace audit number"),
        ElementSpec(12, "local_time", "n", 6, False, "local transaction time hhmmss"),
        ElementSpec(13, "local_date", "n", 4, False, "local transaction date MMDD"),
        ElementSpec(14, "expiry", "n", 4, False, "expiration date YYMM"),
        ElementSpec(18, "mcc", "n", 4, False, "merchant category code"),
        ElementSpec(19, "acquirer_country", "n", 3, False, "acquiring institution country code, ISO 3166 numeric"),
        ElementSpec(22, "pos_entry_mode", "n", 3, False, "POS entry mode"),
        ElementSpec(25, "pos_condition_code", "n", 2, False, "POS condition code"),
        ElementSpec(32, "acquirer_id", "n", 11, True, "acquiring institution id"),
        ElementSpec(37, "rrn", "an", 12, False, "retrieval reference number"),
        ElementSpec(38, "auth_id", "an", 6, False, "authorisation id response"),
        ElementSpec(39, "response_code", "an", 2, False, "response code"),
        ElementSpec(41, "terminal_id", "ans", 8, False, "card acceptor terminal id"),
        ElementSpec(42, "merchant_id", "ans", 15, False, "card acceptor id"),
        ElementSpec(43, "card_acceptor_name_location", "ans", 40, False, "card acceptor name/location"),
        ElementSpec(49, "currency_code", "n", 3, False, "transaction currency, ISO 4217 numeric"),
        ElementSpec(52, "pin_block", "b", 8, False, "PIN data"),
        ElementSpec(90, "original_data_elements", "n", 42, False, "original data elements"),
    )
}
ATTRIBUTE_TO_ELEMENT = {spec.attribute: number for number, spec in ELEMENTS.items()}

#: Elements each MTI must carry.
MANDATORY_ELEMENTS: dict[str, frozenset[int]] = {
    "0100": frozenset({2, 3, 4, 7, 11, 22, 41, 49}),
    "0110": frozenset({3, 4, 7, 11, 39, 41, 49}),
    "0400": frozenset({2, 3, 4, 7, 11, 41, 49, 90}),
    "0410": frozenset({3, 4, 7, 11, 39, 41, 49, 90}),
    "0220": frozenset({2, 3, 4, 7, 11, 37, 41, 49}),
    "0230": frozenset({3, 4, 7, 11, 39, 41, 49}),
    "0420": frozenset({2, 3, 4, 7, 11, 41, 49, 90}),
    "0430": frozenset({3, 4, 7, 11, 39, 41, 49, 90}),
}


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

    @property
    def present_elements(self) -> list[int]:
        return sorted(
            ATTRIBUTE_TO_ELEMENT[f.name] for f in fields(self) if f.name != "mti" and getattr(self, f.name) is not None
        )


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


def element_problem(number: int, text: str) -> str | None:
    """Return why ``text`` (the wire value, padding stripped for an/ans) breaks DE``number``'s rule."""
    spec = ELEMENTS[number]
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
    if spec.kind in ("an", "ans") and len(text) > spec.length:
        return f"is {len(text)} characters, at most {spec.length}"
    if number == 2 and len(text) < 12:
        return f"a PAN has 12 to 19 digits, got {len(text)}"
    if number == 7 and not (_valid_month_day(text[:2], text[2:4]) and _valid_clock(text[4:6], text[6:8], text[8:10])):
        return f"is not a valid MMDDhhmmss, got {text!r}"
    if number == 12 and not _valid_clock(text[:2], text[2:4], text[4:6]):
        return f"is not a valid hhmmss, got {text!r}"
    if number == 13 and not _valid_month_day(text[:2], text[2:]):
        return f"is not a valid MMDD, got {text!r}"
    if number == 14 and not 1 <= int(text[2:]) <= 12:
        return f"is not a valid YYMM, got {text!r}"
    if number == 49 and text not in _numeric_currencies():
        return f"unknown ISO 4217 numeric currency {text!r}"
    if number == 39 and len(text) != 2:
        return f"must be 2 characters, got {text!r}"
    return None


def _check_message(message_values: dict[str, Any], mti: str, check_luhn: bool, errors: list[FieldError]) -> None:
    if mti not in SUPPORTED_MTIS:
        errors.append(
            FieldError("MTI", f"unsupported message type {mti!r} (supported: {', '.join(sorted(SUPPORTED_MTIS))})")
        )
        return
    present = {ATTRIBUTE_TO_ELEMENT[name] for name, value in message_values.items() if value is not None}
    for number in sorted(MANDATORY_ELEMENTS[mti] - present):
        errors.append(FieldError(f"DE{number}", f"mandatory in a {mti} ({ELEMENTS[number].description}) but missing"))
    if mti in REQUEST_MTIS:
        for number in (38, 39):
            if number in present:
                errors.append(FieldError(f"DE{number}", f"must not be in a {mti} request"))
    pan = message_values.get("pan")
    if check_luhn and isinstance(pan, str) and _digits(pan) and not is_luhn_valid(pan):
        errors.append(FieldError("DE2", "PAN fails the Luhn check"))


# --------------------------------------------------------------------------- building


def _element_text(spec: ElementSpec, value: Any, errors: list[FieldError]) -> str | None:
    where = f"DE{spec.number}"
    if spec.kind == "b":
        if not isinstance(value, bytes) or len(value) != spec.length:
            errors.append(FieldError(where, f"must be {spec.length} bytes"))
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
    problem = element_problem(spec.number, text)
    if problem:
        errors.append(FieldError(where, problem))
        return None
    return text


def build_iso8583_message(message: CardMessage, *, bitmap_encoding: str = "hex", check_luhn: bool = True) -> bytes:
    """Render ``message`` as ISO 8583:1987 ASCII bytes with a hex (default) or binary bitmap.

    Raises MessageValidationError listing every problem: bad values, missing mandatory elements,
    request-only/response-only elements, and (unless ``check_luhn=False``) a PAN failing Luhn.
    """
    errors: list[FieldError] = []
    if bitmap_encoding not in ("hex", "binary"):
        raise MessageValidationError.single("ISO 8583", "bitmap", "bitmap_encoding must be 'hex' or 'binary'")
    mti = message.mti if isinstance(message.mti, str) else ""
    if not (len(mti) == 4 and _digits(mti)):
        errors.append(FieldError("MTI", f"must be 4 digits, got {message.mti!r}"))
    values = {f.name: getattr(message, f.name) for f in fields(message) if f.name != "mti"}
    _check_message(values, mti, check_luhn, errors)
    body: list[bytes] = []
    bitmap = 0
    for number in sorted(ELEMENTS):
        spec = ELEMENTS[number]
        value = values[spec.attribute]
        if value is None:
            continue
        text = _element_text(spec, value, errors)
        if text is None:
            continue
        bitmap |= 1 << (128 - number)
        if spec.kind == "b":
            body.append(value if bitmap_encoding == "binary" else text.encode("ascii"))
        elif spec.variable:
            body.append(f"{len(text):02d}{text}".encode("ascii"))
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
    values: dict[str, Any] = {}
    for number in numbers:
        spec = ELEMENTS.get(number)
        where = f"DE{number}"
        if spec is None:
            errors.append(FieldError("bitmap", f"DE{number} is set but not supported; cannot read past it"))
            return None, errors, mti
        if spec.variable:
            prefix = data[pos : pos + 2]
            if len(prefix) < 2 or not prefix.isdigit():
                errors.append(FieldError(where, f"LLVAR length prefix must be 2 digits, got {prefix!r}"))
                return None, errors, mti
            size = int(prefix)
            pos += 2
            if size > spec.length:
                errors.append(FieldError(where, f"length {size} exceeds the maximum {spec.length}"))
                return None, errors, mti
        else:
            size = spec.length * 2 if spec.kind == "b" and hex_mode else spec.length
        chunk = data[pos : pos + size]
        if len(chunk) < size:
            errors.append(FieldError(where, f"truncated: need {size} bytes, {len(chunk)} left"))
            return None, errors, mti
        pos += size
        if spec.kind == "b":
            if hex_mode:
                if all(b in _HEX for b in chunk):  # bytes.fromhex alone would skip spaces
                    values[spec.attribute] = bytes.fromhex(chunk.decode("ascii"))
                else:
                    errors.append(FieldError(where, f"must be {size} hex characters, got {chunk!r}"))
            else:
                values[spec.attribute] = chunk
            continue
        text = chunk.decode("latin-1")
        if spec.kind in ("an", "ans"):
            text = text.rstrip(" ")
        problem = element_problem(number, text)
        if problem:
            errors.append(FieldError(where, problem))
        values[spec.attribute] = int(text) if number == 4 and not problem else text
    if pos < len(data):
        errors.append(FieldError("message", f"{len(data) - pos} unexpected bytes after the last data element"))
    _check_message(values, mti, check_luhn, errors)
    if errors:
        return None, errors, mti
    return CardMessage(mti=mti, **values), errors, mti


def parse_iso8583_message(raw: bytes | str, *, check_luhn: bool = True) -> CardMessage:
    """Parse an ISO 8583 message; raise MessageValidationError listing every problem."""
    message, errors, mti = read_iso8583_message(raw, check_luhn=check_luhn)
    if errors or message is None:
        raise MessageValidationError(mti, errors or [FieldError("message", "is empty")])
    return message
