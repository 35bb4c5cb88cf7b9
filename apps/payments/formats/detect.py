"""Recognise which payment format a file is in and validate it with that format's rules.

Each format package exposes a cheap ``looks_like`` sniffer. They are tried from the most to the
least distinctive signature, so a file is claimed by the format whose header it really carries:

1. ISO 20022 - XML whose first 4 KiB mention an ``urn:iso:std:iso:20022:tech:xsd:`` namespace;
2. SWIFT MT  - ``{1:`` basic header followed by a ``{2:`` or ``{4:`` block, or a bank's bare MT940/MT942/MT950
   export (first field ``:20:``, then ``:25:`` and ``:28C:``), one or many messages per file;
3. Fedwire   - a ``{1500}`` / ``{1510}`` / ``{1520}`` FAIM tag at the start;
4. NACHA ACH - a 94-character file header record with record size ``094`` and blocking factor ``10``;
5. ISO 8583  - a supported MTI (1987 or 1993: authorisation, financial, reversal, network management) followed by a
   bitmap: the weakest signature, tried last.

:func:`validate_file` never raises: empty input, garbage and files of no supported format come back
as a :class:`ValidationReport` whose format is :data:`UNKNOWN_FORMAT` and whose single error says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

from . import fedwire, iso8583, iso20022, nacha, swift_mt
from .errors import FieldError

#: Sniffing order: most distinctive signature first (see the module docstring).
FORMATS: tuple[ModuleType, ...] = (iso20022, swift_mt, fedwire, nacha, iso8583)

UNKNOWN_FORMAT = "unknown format"
UNKNOWN_MESSAGE_TYPE = "UNKNOWN"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating one file: which format and message it is, and every problem found.

    ``errors`` holds every problem, errors and network-rule warnings alike (``FieldError.severity``);
    :attr:`valid` is the strict verdict (no problem at all), :attr:`usable` the lenient one (warnings only).
    """

    format_name: str
    message_type: str
    errors: list[FieldError] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def fatal_errors(self) -> list[FieldError]:
        """What makes the file unusable: structure, totals, check digits, XSD."""
        return [error for error in self.errors if not error.is_warning]

    @property
    def warnings(self) -> list[FieldError]:
        """Network rules the file breaks (NACHA SEC rules, FAIM business rules, SWIFT network rules, EPC rules)."""
        return [error for error in self.errors if error.is_warning]

    @property
    def usable(self) -> bool:
        return not self.fatal_errors

    def passes(self, *, strict: bool) -> bool:
        """The verdict of ``validate_message``: ``--strict`` counts warnings as errors."""
        return self.valid if strict else self.usable

    @property
    def known_format(self) -> bool:
        return self.format_name != UNKNOWN_FORMAT


def detect_format(raw: bytes) -> ModuleType | None:
    """Return the format package (``swift_mt``, ``iso20022``, ...) whose sniffer claims ``raw``, or None."""
    if isinstance(raw, bytearray | memoryview):
        raw = bytes(raw)
    if not isinstance(raw, bytes) or not raw:
        return None
    for module in FORMATS:
        try:
            if module.looks_like(raw):
                return module
        except Exception:  # noqa: BLE001, S112 - a sniffer that trips over odd bytes simply does not claim them
            continue
    return None


def _unknown(reason: str) -> ValidationReport:
    return ValidationReport(UNKNOWN_FORMAT, UNKNOWN_MESSAGE_TYPE, [FieldError("file", f"{UNKNOWN_FORMAT}: {reason}")])


def _describe_start(raw: bytes) -> str:
    head = raw[:16]
    return repr(head) + ("..." if len(raw) > len(head) else "")


def validate_file(raw: bytes | str) -> ValidationReport:
    """Detect the format of ``raw`` and validate it; return the report, never raise.

    ``str`` input is encoded as UTF-8 first (a file read in text mode).
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    if isinstance(raw, bytearray | memoryview):
        raw = bytes(raw)
    if not isinstance(raw, bytes):
        return _unknown(f"expected bytes, got {type(raw).__name__}")
    if not raw.strip():
        return _unknown("the file is empty" if not raw else "the file holds only whitespace")
    module = detect_format(raw)
    if module is None:
        names = ", ".join(m.FORMAT_NAME for m in FORMATS)
        return _unknown(f"not recognised as any of {names} (starts with {_describe_start(raw)})")
    try:
        message_type, errors = module.validate_raw(raw)
    except Exception as exc:  # noqa: BLE001 - validate_raw promises not to raise; a report beats a traceback
        message_type = UNKNOWN_MESSAGE_TYPE
        errors = [FieldError("file", f"internal error while validating: {type(exc).__name__}: {exc}")]
    return ValidationReport(module.FORMAT_NAME, message_type, list(errors))
