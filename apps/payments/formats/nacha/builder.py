"""Build NACHA ACH files from domain objects.

The builder computes everything a control record carries (counts, entry hash, debit and credit
totals, block count), the addenda indicators and sequence numbers, and pads the file with
9-filled records to a multiple of the blocking factor (10). It then reads its own output back
through the reader, so a file it returns always passes :func:`parse_ach_file`.
"""

from __future__ import annotations

import math
from dataclasses import fields
from datetime import date
from typing import Any

from ..errors import FieldError, MessageValidationError
from .codes import RETURN_CODE_FOR, is_credit, is_debit
from .reader import PADDING_RECORD, read_ach_file
from .records import (
    ADDENDA_RECORD_NAME,
    ADDENDA_TYPE_CODE,
    ALL_LAYOUTS,
    BATCH_CONTROL_LAYOUT,
    BATCH_HEADER_LAYOUT,
    BLOCKING_FACTOR,
    FILE_CONTROL_LAYOUT,
    FILE_HEADER_LAYOUT,
    IAT_BATCH_HEADER_LAYOUT,
    AchFile,
    Addenda98,
    Addenda99,
    Batch,
    ControlTotals,
    EntryDetail,
    IATBatchHeader,
    IATEntryDetail,
    render_record,
)
from .sec import ENTRY_RECORD_NAME

_HASH_MODULUS = 10**10


def _values(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def compute_batch_totals(batch: Batch) -> ControlTotals:
    """Return the batch control values: entry+addenda count, entry hash, debit and credit totals (cents).

    The entry hash is the sum of the 8-digit RDFI identifications, keeping the rightmost 10 digits.
    """
    count = hash_sum = debit = credit = 0
    for entry in batch.entries:
        count += 1 + len(entry.addenda)
        prefix = str(entry.rdfi_routing)[:8]
        if prefix.isascii() and prefix.isdigit():
            hash_sum += int(prefix)
        amount = entry.amount if isinstance(entry.amount, int) and not isinstance(entry.amount, bool) else 0
        if is_debit(entry.transaction_code):
            debit += amount
        elif is_credit(entry.transaction_code):
            credit += amount
    return ControlTotals(count, hash_sum % _HASH_MODULUS, debit, credit)


def render_ach_records(ach_file: AchFile) -> tuple[list[str], list[FieldError]]:
    """Render every record (including padding) without the reader's cross-checks."""
    problems: list = []
    lines: list[str] = []

    def add(record_name: str, layout: tuple, values: dict[str, Any]) -> None:
        lines.append(render_record(record_name, layout, values, len(lines) + 1, problems))

    add("file_header", FILE_HEADER_LAYOUT, _values(ach_file.header))
    file_totals = [0, 0, 0, 0]
    for batch in ach_file.batches:
        header = batch.header
        is_iat = isinstance(header, IATBatchHeader)
        header_values = _values(header)
        add(
            "iat_batch_header" if is_iat else "batch_header",
            IAT_BATCH_HEADER_LAYOUT if is_iat else BATCH_HEADER_LAYOUT,
            header_values,
        )
        sec = header.standard_entry_class
        for entry in batch.entries:
            record_name = ENTRY_RECORD_NAME.get(sec, "entry_detail")
            if isinstance(entry, IATEntryDetail) != is_iat:
                problems.append((record_name, f"{type(entry).__name__} cannot go in a {sec} batch", len(lines) + 1))
                continue
            values = _values(entry)
            values["addenda_record_indicator"] = 1 if entry.addenda else 0
            values["number_of_addenda"] = len(entry.addenda)
            add(record_name, ALL_LAYOUTS[record_name], values)
            trace = entry.trace_number if isinstance(entry.trace_number, str) else ""
            sequence: dict[str, int] = {}
            for addenda in entry.addenda:
                type_code = ADDENDA_TYPE_CODE.get(type(addenda))
                if type_code is None:
                    problems.append(("addenda", f"{type(addenda).__name__} is not an addenda record", len(lines) + 1))
                    continue
                sequence[type_code] = sequence.get(type_code, 0) + 1
                addenda_values = _values(addenda)
                addenda_values.update(
                    sequence_number=sequence[type_code], entry_detail_sequence_number=trace[-7:], trace_number=trace
                )
                addenda_record = ADDENDA_RECORD_NAME.get(type(addenda), f"addenda_{type_code}")
                add(addenda_record, ALL_LAYOUTS[addenda_record], addenda_values)
        totals = compute_batch_totals(batch)
        add(
            "batch_control",
            BATCH_CONTROL_LAYOUT,
            {
                "service_class_code": header.service_class_code,
                "entry_addenda_count": totals.entry_addenda_count,
                "entry_hash": totals.entry_hash,
                "total_debit": totals.total_debit,
                "total_credit": totals.total_credit,
                "company_identification": header.company_identification,
                "message_authentication_code": batch.message_authentication_code,
                "odfi_identification": header.odfi_identification,
                "batch_number": header.batch_number,
            },
        )
        file_totals[0] += totals.entry_addenda_count
        file_totals[1] += totals.entry_hash
        file_totals[2] += totals.total_debit
        file_totals[3] += totals.total_credit
    add(
        "file_control",
        FILE_CONTROL_LAYOUT,
        {
            "batch_count": len(ach_file.batches),
            "block_count": math.ceil((len(lines) + 1) / BLOCKING_FACTOR),
            "entry_addenda_count": file_totals[0],
            "entry_hash": file_totals[1] % _HASH_MODULUS,
            "total_debit": file_totals[2],
            "total_credit": file_totals[3],
        },
    )
    while len(lines) % BLOCKING_FACTOR:
        lines.append(PADDING_RECORD)
    return lines, [FieldError(field=f, reason=r, line=n) for f, r, n in problems]


def build_ach_file(ach_file: AchFile, *, line_ending: str = "\n") -> bytes:
    """Render ``ach_file`` as wire-exact NACHA bytes.

    ``line_ending`` is "\\n" (default), "\\r\\n", or "" for 94-character records with no separators.
    Raises MessageValidationError listing every problem when the data breaks a NACHA rule.
    """
    if line_ending not in ("\n", "\r\n", ""):
        raise MessageValidationError.single(ach_file.message_type, "line_ending", "must be '\\n', '\\r\\n' or ''")
    lines, problems = render_ach_records(ach_file)
    if problems:
        raise MessageValidationError(ach_file.message_type, problems)
    text = line_ending.join(lines) + line_ending
    _, problems, message_type = read_ach_file(text)
    if problems:
        raise MessageValidationError(message_type, problems)
    return text.encode("ascii")


def make_trace_number(odfi_identification: str, sequence: int) -> str:
    """Return the 15-digit trace number: the 8-digit ODFI identification then a 7-digit sequence."""
    return f"{odfi_identification}{sequence:07d}"


def return_entry_for(
    original: EntryDetail,
    *,
    return_reason_code: str,
    returning_dfi_identification: str,
    sequence: int,
    addenda_information: str = "",
    date_of_death: date | None = None,
) -> EntryDetail:
    """Return the entry an RDFI sends back for ``original`` (transaction code 22 -> 21, 27 -> 26, ...).

    The return carries one addenda 99 quoting the original trace number and RDFI.
    """
    return_code = RETURN_CODE_FOR.get(original.transaction_code)
    if return_code is None:
        raise MessageValidationError.single(
            "ACH return", "entry_detail.transaction_code", f"code {original.transaction_code} cannot be returned"
        )
    addenda = Addenda99(
        return_reason_code=return_reason_code,
        original_trace_number=original.trace_number,
        original_rdfi_identification=original.rdfi_routing[:8],
        date_of_death=date_of_death,
        addenda_information=addenda_information,
    )
    return EntryDetail(
        transaction_code=return_code,
        rdfi_routing=original.rdfi_routing,
        account_number=original.account_number,
        amount=original.amount,
        receiver_name=original.receiver_name,
        trace_number=make_trace_number(returning_dfi_identification, sequence),
        identification_number=original.identification_number,
        discretionary_data=original.discretionary_data,
        addenda=(addenda,),
    )


def notification_of_change_for(
    original: EntryDetail,
    *,
    change_code: str,
    corrected_data: str,
    returning_dfi_identification: str,
    sequence: int,
) -> EntryDetail:
    """Return the zero-amount COR entry (with addenda 98) an RDFI sends to correct ``original``."""
    return_code = RETURN_CODE_FOR.get(original.transaction_code)
    if return_code is None:
        raise MessageValidationError.single(
            "ACH COR", "entry_detail.transaction_code", f"code {original.transaction_code} cannot be corrected"
        )
    addenda = Addenda98(
        change_code=change_code,
        original_trace_number=original.trace_number,
        original_rdfi_identification=original.rdfi_routing[:8],
        corrected_data=corrected_data,
    )
    return EntryDetail(
        transaction_code=return_code,
        rdfi_routing=original.rdfi_routing,
        account_number=original.account_number,
        amount=0,
        receiver_name=original.receiver_name,
        trace_number=make_trace_number(returning_dfi_identification, sequence),
        identification_number=original.identification_number,
        addenda=(addenda,),
    )
