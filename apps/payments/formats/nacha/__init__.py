"""NACHA ACH files: build, parse and validate (PPD, CCD, WEB, TEL, CTX, IAT, COR and returns).

Amounts are integer cents (entry amount at most 10 digits); dates are :class:`datetime.date`.
IAT support: the IAT batch header and entry detail layouts, the seven mandatory addenda (10-16)
and the optional 17 (up to 2) and 18 (up to 5) are built and parsed; IAT returns and NOCs are not.
"""

from __future__ import annotations

from ..errors import FieldError, MessageValidationError
from .adv import AdvBatch, AdvEntry, AdvFile
from .builder import (
    build_ach_file,
    compute_batch_totals,
    make_trace_number,
    notification_of_change_for,
    render_ach_records,
    return_entry_for,
)
from .reader import parse_ach_file, parse_adv_file, read_ach_file
from .records import (
    AchFile,
    Addenda05,
    Addenda98,
    Addenda99,
    Batch,
    BatchHeader,
    ControlTotals,
    EntryDetail,
    FileHeader,
    IATAddenda10,
    IATAddenda11,
    IATAddenda12,
    IATAddenda13,
    IATAddenda14,
    IATAddenda15,
    IATAddenda16,
    IATAddenda17,
    IATAddenda18,
    IATBatchHeader,
    IATEntryDetail,
    to_ach_text,
)
from .routing import aba_check_digit, is_valid_aba
from .schedule import SettlementPlan, plan_settlement, same_day_ineligibility

FORMAT_NAME = "NACHA ACH"


def looks_like(raw: bytes) -> bool:
    """Cheap sniff: a NACHA file starts with a file header "101" whose record size is "094"."""
    head = bytes(raw[:94]) if isinstance(raw, bytes | bytearray) else b""
    return len(head) == 94 and head.startswith(b"1") and head[34:37] == b"094" and head[37:39] == b"10"


def validate_raw(raw: bytes) -> tuple[str, list[FieldError]]:
    """Return (message type such as "ACH PPD file", every problem found); never raises for bad input."""
    try:
        _, errors, message_type = read_ach_file(raw)
    except Exception as exc:  # last resort: the contract is never to raise; the fuzz tests call parse() unguarded
        return "ACH file", [FieldError("file", f"unreadable: {exc}")]
    return message_type, errors


def parse(raw: bytes | str) -> AchFile:
    """Parse an ACH file; raise MessageValidationError listing every problem."""
    return parse_ach_file(raw)


__all__ = [
    "FORMAT_NAME",
    "looks_like",
    "validate_raw",
    "parse",
    "AchFile",
    "Addenda05",
    "Addenda98",
    "Addenda99",
    "Batch",
    "BatchHeader",
    "ControlTotals",
    "EntryDetail",
    "FieldError",
    "FileHeader",
    "IATAddenda10",
    "IATAddenda11",
    "IATAddenda12",
    "IATAddenda13",
    "IATAddenda14",
    "IATAddenda15",
    "IATAddenda16",
    "IATAddenda17",
    "IATAddenda18",
    "IATBatchHeader",
    "IATEntryDetail",
    "MessageValidationError",
    "SettlementPlan",
    "aba_check_digit",
    "build_ach_file",
    "compute_batch_totals",
    "is_valid_aba",
    "make_trace_number",
    "notification_of_change_for",
    "parse_ach_file",
    "parse_adv_file",
    "AdvBatch",
    "AdvEntry",
    "AdvFile",
    "plan_settlement",
    "read_ach_file",
    "render_ach_records",
    "return_entry_for",
    "same_day_ineligibility",
    "to_ach_text",
]
