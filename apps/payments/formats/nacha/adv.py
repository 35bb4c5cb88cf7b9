"""ADV (automated accounting advice) files: service class 280 and ADV's own entry, batch control and file control.

An ADV file is what an ACH operator sends a financial institution to advise it of its ACH activity. Its records
differ from every other SEC code's (Nacha Operating Rules, Appendix Three, ADV record formats):

- entry detail (6): transaction code 81-88, RDFI routing (9), account (15, positions 13-27), amount (12, 28-39),
  advice routing number (9, 40-48), file identification (5, 49-53), ACH operator data (1, 54), individual name (22,
  55-76), discretionary data (2), addenda record indicator (0: ADV carries no addenda), routing number of the ACH
  operator (8, 80-87), Julian date created (3, 88-90), sequence number within the batch (4, 91-94);
- batch control (8): service class 280, counts and hash as usual, total debits and credits in 20 digits (21-40,
  41-60), ACH operator data (19, 61-79), ODFI (8), batch number (7);
- file control (9): batch, block and entry counts, hash, totals in 20 digits (32-51, 52-71), 23 blanks.

Transaction codes: 81 credit for ACH debits originated, 82 debit for ACH credits originated, 83 credit for ACH
credits received, 84 debit for ACH debits received, 85 credit for ACH credits in rejected batches, 86 debit for ACH
debits in rejected batches, 87 summary credit for respondent ACH activity, 88 summary debit for respondent ACH
activity: odd codes are credits, even codes debits. An ADV file holds only ADV batches. Reading only: QENEX does not
originate advices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .records import BLOCKING_FACTOR, FILE_HEADER_LAYOUT, Column, FileHeader, read_record

SERVICE_CLASS_ADV = 280
ADV_TRANSACTION_CODES: dict[int, str] = {
    81: "credit for ACH debits originated",
    82: "debit for ACH credits originated",
    83: "credit for ACH credits received",
    84: "debit for ACH debits received",
    85: "credit for ACH credits in rejected batches",
    86: "debit for ACH debits in rejected batches",
    87: "summary credit for respondent ACH activity",
    88: "summary debit for respondent ACH activity",
}
_HASH_MODULUS = 10**10


def _c(name: str, start: int, length: int, kind: str, constant: str = "", required: bool = False) -> Column:
    return Column(name, start, length, kind, constant, required)


ADV_ENTRY_DETAIL_LAYOUT = (
    _c("record_type", 1, 1, "const", "6"),
    _c("transaction_code", 2, 2, "int"),
    _c("rdfi_routing", 4, 9, "aba"),
    _c("account_number", 13, 15, "alnum", required=True),
    _c("amount", 28, 12, "int"),
    _c("advice_routing_number", 40, 9, "digits"),
    _c("file_identification", 49, 5, "alnum"),
    _c("ach_operator_data", 54, 1, "alnum"),
    _c("individual_name", 55, 22, "alnum"),
    _c("discretionary_data", 77, 2, "alnum"),
    _c("addenda_record_indicator", 79, 1, "int"),
    _c("ach_operator_routing", 80, 8, "digits"),
    _c("julian_date_created", 88, 3, "int"),
    _c("sequence_number", 91, 4, "int"),
)
ADV_BATCH_CONTROL_LAYOUT = (
    _c("record_type", 1, 1, "const", "8"),
    _c("service_class_code", 2, 3, "int"),
    _c("entry_addenda_count", 5, 6, "int"),
    _c("entry_hash", 11, 10, "int"),
    _c("total_debit", 21, 20, "int"),
    _c("total_credit", 41, 20, "int"),
    _c("ach_operator_data", 61, 19, "alnum"),
    _c("odfi_identification", 80, 8, "digits"),
    _c("batch_number", 88, 7, "int"),
)
ADV_FILE_CONTROL_LAYOUT = (
    _c("record_type", 1, 1, "const", "9"),
    _c("batch_count", 2, 6, "int"),
    _c("block_count", 8, 6, "int"),
    _c("entry_addenda_count", 14, 8, "int"),
    _c("entry_hash", 22, 10, "int"),
    _c("total_debit", 32, 20, "int"),
    _c("total_credit", 52, 20, "int"),
    _c("reserved", 72, 23, "blank"),
)


@dataclass(frozen=True)
class AdvEntry:
    """One ADV entry detail record. ``amount`` is in cents."""

    transaction_code: int
    rdfi_routing: str
    account_number: str
    amount: int
    advice_routing_number: str
    file_identification: str
    individual_name: str
    ach_operator_routing: str
    julian_date_created: int
    sequence_number: int
    ach_operator_data: str = ""
    discretionary_data: str = ""

    @property
    def is_credit(self) -> bool:
        return self.transaction_code % 2 == 1


@dataclass(frozen=True)
class AdvBatch:
    header: dict[str, Any]
    entries: tuple[AdvEntry, ...] = field(default=())


@dataclass(frozen=True)
class AdvFile:
    header: FileHeader
    batches: tuple[AdvBatch, ...]


def is_adv_file(records: list[tuple[int, str]]) -> bool:
    """True when the file's first batch header has service class 280 (the caller then reads it with this module)."""
    first = next((text for _, text in records if text[:1] == "5"), "")
    return first[1:4] == str(SERVICE_CLASS_ADV)


def read_adv_records(
    records: list[tuple[int, str]], physical_count: int, batch_header_layout: tuple[Column, ...], errors: list
) -> tuple[dict[str, Any] | None, int, list[AdvBatch]]:
    """Read an ADV file's records; problems go to ``errors`` as (field, reason, line). Returns the file header."""
    header: dict[str, Any] | None = None
    header_line = 0
    batches: list[AdvBatch] = []
    batch_header: dict[str, Any] | None = None
    batch_line = 0
    entries: list[tuple[dict[str, Any], int]] = []
    totals = [0, 0, 0, 0]  # count, hash, debit, credit
    batch_count = 0
    file_control_seen = False
    for line, text in records:
        kind = text[:1]
        if file_control_seen:
            if text != "9" * len(text):
                errors.append(("file.padding", "only 9-filled padding records may follow the file control", line))
            continue
        if kind == "1":
            if header is not None:
                errors.append(("file_header", "a file has exactly one file header record", line))
                continue
            header = read_record("file_header", FILE_HEADER_LAYOUT, text, line, errors)
            header_line = line
        elif kind == "5":
            if batch_header is not None:
                errors.append(("batch_control", f"batch starting at line {batch_line} has no batch control", line))
            batch_header = read_record("batch_header", batch_header_layout, text, line, errors)
            batch_line, entries = line, []
            if batch_header.get("service_class_code") != SERVICE_CLASS_ADV:
                errors.append(("batch_header.service_class_code", "an ADV file holds only 280 (ADV) batches", line))
            if batch_header.get("standard_entry_class") != "ADV":
                errors.append(("batch_header.standard_entry_class", "a 280 batch is an ADV batch", line))
        elif kind == "6":
            if batch_header is None:
                errors.append(("adv_entry_detail", "entry detail record outside a batch", line))
                continue
            values = read_record("adv_entry_detail", ADV_ENTRY_DETAIL_LAYOUT, text, line, errors)
            _check_entry(values, line, entries, errors)
            entries.append((values, line))
        elif kind == "7":
            errors.append(("addenda", "ADV entries carry no addenda records", line))
        elif kind == "8":
            if batch_header is None:
                errors.append(("adv_batch_control", "batch control record without a batch header", line))
                continue
            control = read_record("adv_batch_control", ADV_BATCH_CONTROL_LAYOUT, text, line, errors)
            batch_totals = _totals(entries)
            expected = {
                "service_class_code": SERVICE_CLASS_ADV,
                "entry_addenda_count": batch_totals[0],
                "entry_hash": batch_totals[1] % _HASH_MODULUS,
                "total_debit": batch_totals[2],
                "total_credit": batch_totals[3],
                "odfi_identification": batch_header.get("odfi_identification", ""),
                "batch_number": batch_header.get("batch_number", 0),
            }
            for name, value in expected.items():
                if control.get(name) != value:
                    errors.append(
                        (f"adv_batch_control.{name}", f"is {control.get(name)}, but the batch gives {value}", line)
                    )
            for i, value in enumerate(batch_totals):
                totals[i] += value
            batches.append(AdvBatch(header=batch_header, entries=tuple(_entry(values) for values, _ in entries)))
            batch_count += 1
            batch_header = None
        elif kind == "9":
            if batch_header is not None:
                errors.append(("batch_control", f"batch starting at line {batch_line} has no batch control", line))
                batch_header = None
            control = read_record("adv_file_control", ADV_FILE_CONTROL_LAYOUT, text, line, errors)
            expected = {
                "batch_count": batch_count,
                "block_count": math.ceil(physical_count / BLOCKING_FACTOR),
                "entry_addenda_count": totals[0],
                "entry_hash": totals[1] % _HASH_MODULUS,
                "total_debit": totals[2],
                "total_credit": totals[3],
            }
            for name, value in expected.items():
                if control.get(name) != value:
                    errors.append(
                        (f"adv_file_control.{name}", f"is {control.get(name)}, but the file gives {value}", line)
                    )
            file_control_seen = True
        else:
            errors.append(("record_type", f"unknown record type {kind!r}", line))
    if batch_header is not None:
        errors.append(("batch_control", f"batch starting at line {batch_line} has no batch control", physical_count))
    if records and not file_control_seen:
        errors.append(("file_control", "file has no file control record (type 9)", physical_count))
    return header, header_line, batches


def _check_entry(values: dict[str, Any], line: int, earlier: list[tuple[dict[str, Any], int]], errors: list) -> None:
    code = values.get("transaction_code", 0)
    if code not in ADV_TRANSACTION_CODES:
        errors.append(("adv_entry_detail.transaction_code", f"an ADV entry uses codes 81-88, got {code:02d}", line))
    if values.get("addenda_record_indicator") != 0:
        errors.append(("adv_entry_detail.addenda_record_indicator", "must be 0: ADV entries carry no addenda", line))
    if not 1 <= values.get("julian_date_created", 0) <= 366:
        errors.append(("adv_entry_detail.julian_date_created", "must be a day of the year 001-366", line))
    if earlier and values.get("sequence_number", 0) <= earlier[-1][0].get("sequence_number", 0):
        errors.append(("adv_entry_detail.sequence_number", "sequence numbers must ascend within a batch", line))


def _totals(entries: list[tuple[dict[str, Any], int]]) -> tuple[int, int, int, int]:
    count = hash_sum = debit = credit = 0
    for values, _ in entries:
        count += 1
        routing = values.get("rdfi_routing", "")
        if routing[:8].isdigit():
            hash_sum += int(routing[:8])
        code = values.get("transaction_code", 0)
        if code in ADV_TRANSACTION_CODES:
            if code % 2:
                credit += values.get("amount", 0)
            else:
                debit += values.get("amount", 0)
    return count, hash_sum, debit, credit


def _entry(values: dict[str, Any]) -> AdvEntry:
    names = AdvEntry.__dataclass_fields__
    return AdvEntry(**{name: values[name] for name in names if name in values})
