"""Fedwire Funds Service messages (FAIM tag format): build, parse and validate; the Fed's acknowledgement."""

from __future__ import annotations

import re

from ..errors import FieldError, MessageValidationError
from .acknowledgement import (
    STATUS_ACCEPTED_VALUE,
    STATUS_REJECTED,
    FedwireAcknowledgement,
    FedwireError,
    Omad,
    build_fedwire_acknowledgement,
    parse_fedwire_acknowledgement,
)
from .message import (
    BUSINESS_FUNCTIONS,
    MANDATORY_TAGS,
    REQUIRED_TAGS,
    FedwireMessage,
    FedwireParty,
    Imad,
    build_fedwire_message,
    parse_fedwire_message,
    read_fedwire_message,
    render_fedwire_tags,
)

FORMAT_NAME = "Fedwire FAIM"
_SNIFF = re.compile(rb"\s*\{(1500|1510|1520)\}")


def looks_like(raw: bytes) -> bool:
    """Cheap sniff: FAIM messages open with {1500} (or {1510}/{1520} when the sender omits it)."""
    return isinstance(raw, bytes | bytearray) and _SNIFF.match(bytes(raw[:64])) is not None


def validate_raw(raw: bytes) -> tuple[str, list[FieldError]]:
    """Return (message type such as "Fedwire CTR", every problem found); never raises for bad input."""
    try:
        _, errors, message_type = read_fedwire_message(raw)
    except Exception as exc:  # last resort: the contract is never to raise; the fuzz tests call parse() unguarded
        return "Fedwire message", [FieldError("message", f"unreadable: {exc}")]
    return message_type, errors


def parse(raw: bytes | str) -> FedwireMessage:
    """Parse a FAIM message; raise MessageValidationError listing every problem."""
    return parse_fedwire_message(raw)


__all__ = [
    "BUSINESS_FUNCTIONS",
    "FORMAT_NAME",
    "MANDATORY_TAGS",
    "REQUIRED_TAGS",
    "FedwireAcknowledgement",
    "FedwireError",
    "FedwireMessage",
    "FedwireParty",
    "FieldError",
    "Imad",
    "MessageValidationError",
    "Omad",
    "STATUS_ACCEPTED_VALUE",
    "STATUS_REJECTED",
    "build_fedwire_acknowledgement",
    "build_fedwire_message",
    "looks_like",
    "parse",
    "parse_fedwire_acknowledgement",
    "parse_fedwire_message",
    "read_fedwire_message",
    "render_fedwire_tags",
    "validate_raw",
]
