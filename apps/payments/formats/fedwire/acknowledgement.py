"""The Fedwire Funds acknowledgement: the Fed's answer to a message we sent, in FAIM tags.

The Fed returns the message it received with tags in front of it: {1100} message disposition,
{1110} acknowledgement timestamp, {1120} OMAD (output message accountability data, present when
the transfer was accepted) and {1130} error (category, code, description; present when it was
rejected). The message itself keeps its {1520} IMAD, so the sender matches the answer to the order.

Layout (FAIM 3.0): {1100} format version (2) + test/production (1) + message duplication code (1,
blank or ``P``) + message status indicator (1); {1110} MMDD + HHMM + application id (4);
{1120} output cycle date CCYYMMDD + output destination (8) + output sequence (6) + output date
MMDD + output time HHMM + output application id (4); {1130} category (1) + code (3) +
description (at most 35, ending with ``*``).

A rejected message may not be readable (that can be why it was rejected), so its text is kept as
received in ``original_text``; ``message`` is the parsed original when it reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..errors import FieldError, MessageValidationError
from .message import FedwireMessage, read_fedwire_message

MESSAGE_TYPE = "Fedwire acknowledgement"

#: {1100} message status indicator
STATUS_IN_PROCESS = "0"
STATUS_ACCEPTED_VALUE = "2"  # successful with accounting
STATUS_REJECTED = "3"
STATUS_ACCEPTED_NON_VALUE = "7"  # successful without accounting (e.g. SVC)
STATUSES = frozenset({STATUS_IN_PROCESS, STATUS_ACCEPTED_VALUE, STATUS_REJECTED, STATUS_ACCEPTED_NON_VALUE})

#: {1130} error categories
ERROR_CATEGORIES = {
    "E": "data error",
    "F": "insufficient balance",
    "H": "accountability error",
    "I": "in process or intercepted",
    "W": "cutoff hour error",
    "X": "duplicate message",
}

_DISPOSITION_RE = re.compile(r"^(\d{2})([TP])([ P])(\d)$")
_TIMESTAMP_RE = re.compile(r"^(\d{4})(\d{4})([A-Z0-9 ]{4})$")
_OMAD_RE = re.compile(r"^(\d{8})([A-Z0-9 ]{8})(\d{6})(\d{4})(\d{4})([A-Z0-9 ]{4})$")
_ERROR_RE = re.compile(r"^([A-Z])([A-Z0-9]{3})([^*]{0,35})\*?$")
_LEADING_TAG_RE = re.compile(r"\{(11[0-3]0)\}([^{]*)")


@dataclass(frozen=True)
class Omad:
    """Output Message Accountability Data: how the Fed delivered the transfer to the receiver."""

    cycle_date: date
    destination: str  # 8 characters
    sequence: str  # 6 digits
    output_date: str  # MMDD
    output_time: str  # HHMM
    application_id: str = "FT01"

    def __str__(self) -> str:
        return (
            f"{self.cycle_date:%Y%m%d}{self.destination:<8}{self.sequence}"
            f"{self.output_date}{self.output_time}{self.application_id:<4}"
        )


@dataclass(frozen=True)
class FedwireError:
    """{1130}: why the Fed rejected a message."""

    category: str  # one of ERROR_CATEGORIES
    code: str  # 3 characters
    description: str = ""


@dataclass(frozen=True)
class FedwireAcknowledgement:
    """The Fed's acknowledgement of one message: accepted (with OMAD) or rejected (with an error)."""

    status: str
    acknowledged_date: str  # MMDD
    acknowledged_time: str  # HHMM
    original_text: str
    omad: Omad | None = None
    error: FedwireError | None = None
    test_production_code: str = "P"
    message_duplication_code: str = " "
    format_version: str = "30"
    application_id: str = "FT01"
    message: FedwireMessage | None = None

    @property
    def accepted(self) -> bool:
        return self.status in (STATUS_ACCEPTED_VALUE, STATUS_ACCEPTED_NON_VALUE)

    @property
    def message_type(self) -> str:
        return MESSAGE_TYPE


def _check(ack: FedwireAcknowledgement) -> list[FieldError]:
    errors: list[FieldError] = []
    if ack.status not in STATUSES:
        errors.append(FieldError("{1100}.status", f"must be one of {', '.join(sorted(STATUSES))}, got {ack.status!r}"))
    if ack.accepted and ack.omad is None:
        errors.append(FieldError("{1120}", "an accepted transfer carries the OMAD"))
    if ack.status == STATUS_REJECTED and ack.error is None:
        errors.append(FieldError("{1130}", "a rejection carries the error"))
    if ack.error is not None and ack.error.category not in ERROR_CATEGORIES:
        errors.append(FieldError("{1130}.category", f"unknown error category {ack.error.category!r}"))
    return errors


def build_fedwire_acknowledgement(ack: FedwireAcknowledgement) -> bytes:
    """Write the acknowledgement tags, then the original message; read it back; raise on any problem."""
    errors = _check(ack)
    if errors:
        raise MessageValidationError(MESSAGE_TYPE, errors)
    lines = [
        f"{{1100}}{ack.format_version}{ack.test_production_code}{ack.message_duplication_code}{ack.status}",
        f"{{1110}}{ack.acknowledged_date}{ack.acknowledged_time}{ack.application_id:<4}",
    ]
    if ack.omad is not None:
        lines.append(f"{{1120}}{ack.omad}")
    if ack.error is not None:
        description = ack.error.description.replace("*", " ").replace("{", "(").replace("}", ")")
        lines.append(f"{{1130}}{ack.error.category}{ack.error.code}{description}*")
    text = "\n".join(lines) + "\n" + ack.original_text.lstrip("\r\n")
    if not text.endswith("\n"):
        text += "\n"
    parse_fedwire_acknowledgement(text)  # what leaves passes the reader
    return text.encode("latin-1")


def parse_fedwire_acknowledgement(raw: bytes | str) -> FedwireAcknowledgement:
    """Read an acknowledgement; raise MessageValidationError listing every problem."""
    text = raw.decode("latin-1") if isinstance(raw, bytes | bytearray) else str(raw)
    errors: list[FieldError] = []
    tags: dict[str, str] = {}
    position = 0
    stripped = text.lstrip()
    while True:
        match = _LEADING_TAG_RE.match(stripped, position)
        if match is None:
            break
        tags[f"{{{match[1]}}}"] = match[2].rstrip("\r\n")
        position = match.end()
    original_text = stripped[position:]
    disposition = _DISPOSITION_RE.match(tags.get("{1100}", ""))
    timestamp = _TIMESTAMP_RE.match(tags.get("{1110}", ""))
    if disposition is None:
        errors.append(FieldError("{1100}", "message disposition missing or not version+T/P+duplication+status", 1))
    if timestamp is None:
        errors.append(FieldError("{1110}", "acknowledgement timestamp missing or not MMDDHHMM + application id"))
    omad = error = None
    if "{1120}" in tags:
        found = _OMAD_RE.match(tags["{1120}"])
        if found is None:
            errors.append(FieldError("{1120}", "OMAD must be CCYYMMDD + 8 + 6 digits + MMDD + HHMM + 4"))
        else:
            try:
                cycle = date(int(found[1][:4]), int(found[1][4:6]), int(found[1][6:]))
            except ValueError:
                errors.append(FieldError("{1120}", f"output cycle date {found[1]!r} is not a date"))
            else:
                omad = Omad(cycle, found[2].rstrip(), found[3], found[4], found[5], found[6].rstrip())
    if "{1130}" in tags:
        found = _ERROR_RE.match(tags["{1130}"])
        if found is None:
            errors.append(FieldError("{1130}", "error must be category (1) + code (3) + description (<= 35) + '*'"))
        else:
            error = FedwireError(found[1], found[2], found[3])
    if not original_text.strip():
        errors.append(FieldError("message", "the acknowledged message is missing after the acknowledgement tags"))
    if errors:
        raise MessageValidationError(MESSAGE_TYPE, errors)
    assert disposition is not None and timestamp is not None
    message, message_errors, _ = read_fedwire_message(original_text)
    ack = FedwireAcknowledgement(
        status=disposition[4],
        acknowledged_date=timestamp[1],
        acknowledged_time=timestamp[2],
        original_text=original_text,
        omad=omad,
        error=error,
        test_production_code=disposition[2],
        message_duplication_code=disposition[3],
        format_version=disposition[1],
        application_id=timestamp[3].rstrip(),
        message=message,
    )
    errors = _check(ack)
    if ack.accepted and message_errors:
        errors.extend(FieldError(f"message {e.field}", e.reason, e.line) for e in message_errors)
    if errors:
        raise MessageValidationError(MESSAGE_TYPE, errors)
    return ack
