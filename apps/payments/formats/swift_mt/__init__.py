"""SWIFT FIN MT messages: MT101, MT103 (incl. STP), MT192/MT292, MT196/MT296, MT199, MT299, MT202, MT202 COV,
MT900, MT910, MT940, MT950.

The uniform validation interface used by the ``validate_message`` command and format detection:
``FORMAT_NAME``, :func:`looks_like`, :func:`validate_raw` and :func:`parse`.
"""

from __future__ import annotations

from ..errors import FieldError, MessageValidationError
from .blocks import (
    BasicHeader,
    FinEnvelope,
    InputApplicationHeader,
    OutputApplicationHeader,
    bic_to_logical_terminal,
    make_envelope,
    new_uetr,
)
from .charset import X_CHARACTERS, transliterate_to_x, wrap_x_lines
from .fields import (
    AccountIdentification,
    Balance,
    CurrencyAmount,
    Institution,
    InstructionCode,
    Party,
    StatementLine,
    StatementNumber,
    TimeIndication,
)
from .messages import (
    CANCELLATION_ANSWER_CODES,
    MT101,
    MT103,
    MT192,
    MT196,
    MT199,
    MT202,
    MT202COV,
    MT292,
    MT296,
    MT299,
    MT900,
    MT910,
    MT940,
    MT950,
    SUPPORTED_MESSAGE_TYPES,
    FinMessage,
    MT101Transaction,
    OriginalMessage,
    UnderlyingCustomerCreditTransfer,
    build_message,
    build_mt101,
    build_mt103,
    build_mt192,
    build_mt196,
    build_mt199,
    build_mt202,
    build_mt202cov,
    build_mt900,
    build_mt910,
    build_mt940,
    build_mt950,
    parse_message,
    parse_mt101,
    parse_mt103,
    parse_mt192,
    parse_mt196,
    parse_mt199,
    parse_mt202,
    parse_mt202cov,
    parse_mt299,
    parse_mt900,
    parse_mt910,
    parse_mt940,
    parse_mt950,
)
from .protocol import SWIFTProtocol
from .statements import (
    STATEMENT_TYPES,
    looks_like_statement_file,
    parse_information,
    read_statement_file,
    split_statement_file,
)

FORMAT_NAME = "SWIFT MT"


def looks_like(raw: bytes) -> bool:
    """Return True if ``raw`` is plausibly a FIN MT message: it opens with block 1 and has a block 2 or 4.

    Cheap on purpose (only the first kilobyte is looked at) so format detection can try every format.
    """
    if isinstance(raw, str):
        raw = raw.encode("latin-1", errors="replace")
    if not isinstance(raw, bytes | bytearray | memoryview):
        return False
    head = bytes(raw[:1024]).lstrip(b"\xef\xbb\xbf \t\r\n\x01\x02\x03\x1a")
    if head.startswith(b"{1:") and (b"{2:" in head or b"{4:" in head):
        return True
    return looks_like_statement_file(bytes(raw[:4096]))


def validate_raw(raw: bytes) -> tuple[str, list[FieldError]]:
    """Return the message type (``"MT103"``, ``"UNKNOWN"`` if unreadable) and every problem found; [] if valid.

    Never raises: a validator run over a partner's file must report, not crash.
    """
    if _is_statement_file(raw):
        result = read_statement_file(raw)
        return result.message_type, list(result.errors)
    try:
        message = parse_message(raw)
    except MessageValidationError as exc:
        return exc.message_type, list(exc.errors)
    except Exception as exc:  # noqa: BLE001 - last line of defence; parse_message itself raises only the above
        return "UNKNOWN", [FieldError("message", f"internal error while validating: {type(exc).__name__}")]
    return message.message_type, []


def _is_statement_file(raw: bytes | str) -> bool:
    """MT940/MT942/MT950 files (one or many messages, with or without FIN blocks) take the statement reader."""
    try:
        messages = split_statement_file(raw)
    except Exception:  # noqa: BLE001 - not splittable: the FIN reader reports why
        return False
    if not messages:
        return False
    return all(message.message_type in STATEMENT_TYPES for message in messages)


def parse(raw: bytes | str) -> FinMessage:
    """Return the domain object of a supported MT message, or raise MessageValidationError."""
    return parse_message(raw)


__all__ = [
    "FORMAT_NAME",
    "MT103",
    "MT101",
    "MT101Transaction",
    "MT192",
    "MT196",
    "MT199",
    "MT292",
    "MT296",
    "MT299",
    "CANCELLATION_ANSWER_CODES",
    "OriginalMessage",
    "MT202",
    "MT202COV",
    "MT900",
    "MT910",
    "MT940",
    "MT950",
    "SUPPORTED_MESSAGE_TYPES",
    "X_CHARACTERS",
    "AccountIdentification",
    "Balance",
    "BasicHeader",
    "CurrencyAmount",
    "FieldError",
    "FinEnvelope",
    "FinMessage",
    "InputApplicationHeader",
    "InstructionCode",
    "Institution",
    "MessageValidationError",
    "OutputApplicationHeader",
    "Party",
    "SWIFTProtocol",
    "StatementLine",
    "StatementNumber",
    "TimeIndication",
    "UnderlyingCustomerCreditTransfer",
    "bic_to_logical_terminal",
    "build_message",
    "build_mt103",
    "build_mt101",
    "build_mt192",
    "build_mt196",
    "build_mt199",
    "build_mt202",
    "build_mt202cov",
    "build_mt900",
    "build_mt910",
    "build_mt940",
    "build_mt950",
    "looks_like",
    "make_envelope",
    "new_uetr",
    "parse",
    "parse_message",
    "parse_mt103",
    "parse_mt101",
    "parse_mt192",
    "parse_mt196",
    "parse_mt199",
    "parse_mt202",
    "parse_mt299",
    "parse_mt202cov",
    "parse_mt900",
    "parse_mt910",
    "parse_mt940",
    "parse_mt950",
    "parse_information",
    "read_statement_file",
    "split_statement_file",
    "transliterate_to_x",
    "validate_raw",
    "wrap_x_lines",
]
