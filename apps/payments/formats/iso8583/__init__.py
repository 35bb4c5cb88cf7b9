"""ISO 8583 (1987 and the common 1993 layout): authorisation, financial, reversal and network management messages."""

from __future__ import annotations

from ..errors import FieldError, MessageValidationError
from .framing import FramingError, frame, read_frame
from .message import (
    ELEMENTS,
    MANDATORY_ELEMENTS,
    MTIS_1987,
    MTIS_1993,
    SUPPORTED_MTIS,
    CardMessage,
    ElementSpec,
    build_iso8583_message,
    parse_iso8583_message,
    read_iso8583_message,
)
from .simulator import authorise, decide_response_code
from .spec import ELEMENTS_1987, ELEMENTS_1993, elements_for

FORMAT_NAME = "ISO 8583"
_HEX = frozenset(b"0123456789ABCDEFabcdef")


def looks_like(raw: bytes) -> bool:
    """Cheap sniff: a supported MTI (see SUPPORTED_MTIS) followed by a hex or binary bitmap."""
    if not isinstance(raw, bytes | bytearray) or len(raw) < 12:
        return False
    if bytes(raw[:4]).decode("latin-1") not in SUPPORTED_MTIS:
        return False
    return all(b in _HEX for b in raw[4:20]) or not all(32 <= b < 127 for b in raw[4:12])


def validate_raw(raw: bytes) -> tuple[str, list[FieldError]]:
    """Return (MTI such as "0100", every problem found); never raises for bad input."""
    try:
        _, errors, mti = read_iso8583_message(raw)
    except Exception as exc:  # last resort: the contract is never to raise; the fuzz tests call parse() unguarded
        return "ISO 8583", [FieldError("message", f"unreadable: {exc}")]
    return mti, errors


def parse(raw: bytes | str) -> CardMessage:
    """Parse an ISO 8583 message; raise MessageValidationError listing every problem."""
    return parse_iso8583_message(raw)


__all__ = [
    "ELEMENTS",
    "ELEMENTS_1987",
    "ELEMENTS_1993",
    "FORMAT_NAME",
    "MTIS_1987",
    "MTIS_1993",
    "elements_for",
    "MANDATORY_ELEMENTS",
    "SUPPORTED_MTIS",
    "CardMessage",
    "ElementSpec",
    "FieldError",
    "FramingError",
    "MessageValidationError",
    "authorise",
    "build_iso8583_message",
    "decide_response_code",
    "frame",
    "looks_like",
    "parse",
    "parse_iso8583_message",
    "read_frame",
    "read_iso8583_message",
    "validate_raw",
]
