"""Read and validate NACHA ACH files.

The reader never stops at the first problem: it reads every record it can and reports each
problem with the record number ("line") and field, e.g. ``line 3: entry_detail.amount: ...``.
Files may use CRLF, LF or CR line endings, or none at all (94-character records back to back).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields
from typing import Any

from ..amounts import is_known_currency
from ..errors import ERROR, WARNING, FieldError, MessageValidationError
from .adv import AdvFile, is_adv_file, read_adv_records
from .codes import (
    CHANGE_CODES,
    DATE_OF_DEATH_REASONS,
    FOREIGN_EXCHANGE_INDICATORS,
    IAT_TRANSACTION_TYPE_CODES,
    RETURN_REASON_CODES,
    SEC_CODES,
    SERVICE_CLASS_CODES,
    SERVICE_CLASS_CREDITS_ONLY,
    SERVICE_CLASS_DEBITS_ONLY,
    is_credit,
    is_debit,
    transaction_kind,
)
from .records import (
    ADDENDA_CLASS_OF_RECORD,
    ADDENDA_TYPES,
    ALL_LAYOUTS,
    BATCH_CONTROL_LAYOUT,
    BATCH_HEADER_LAYOUT,
    BLOCKING_FACTOR,
    FILE_CONTROL_LAYOUT,
    FILE_HEADER_LAYOUT,
    IAT_BATCH_HEADER_LAYOUT,
    RECORD_LENGTH,
    AchFile,
    Batch,
    BatchHeader,
    EntryDetail,
    FileHeader,
    IATBatchHeader,
    IATEntryDetail,
    addenda_record_name,
    describe_file_type,
    is_printable_ascii,
    read_record,
)
from .sec import CARD_TRANSACTION_TYPES, ENTRY_RECORD_NAME, SEC_RULES, SecRule

PADDING_RECORD = "9" * RECORD_LENGTH
IAT_MANDATORY_ADDENDA = ["10", "11", "12", "13", "14", "15", "16"]
_HASH_MODULUS = 10**10


@dataclass
class _EntryRead:
    values: dict[str, Any]
    line: int
    record_name: str
    addenda: list[tuple[str, dict[str, Any], int]] = field(default_factory=list)


@dataclass
class _BatchRead:
    values: dict[str, Any]
    line: int
    record_name: str
    sec: str
    entries: list[_EntryRead] = field(default_factory=list)


def split_ach_records(raw: bytes | str, errors: list) -> tuple[list[tuple[int, str]], int]:
    """Split ``raw`` into (line number, record) pairs; return them and the physical record count.

    Records of the wrong length or with non-printable characters are reported and left out.
    """
    text = raw.decode("latin-1") if isinstance(raw, bytes | bytearray) else str(raw)
    if "\n" in text or "\r" in text:
        lines = re.split(r"\r\n|\n|\r", text)
        while lines and lines[-1] == "":
            lines.pop()
        if len(lines) == 1 and len(lines[0]) > RECORD_LENGTH and len(lines[0]) % RECORD_LENGTH == 0:
            text = lines[0]  # blocked records with only a final line break
            lines = [text[i : i + RECORD_LENGTH] for i in range(0, len(text), RECORD_LENGTH)]
    else:
        lines = [text[i : i + RECORD_LENGTH] for i in range(0, len(text), RECORD_LENGTH)]
    if not lines:
        errors.append(("file", "is empty", None))
        return [], 0
    records = []
    separated = "\n" in text or "\r" in text
    for number, line in enumerate(lines, start=1):
        if separated and 0 < len(line) < RECORD_LENGTH:
            # Exports that strip trailing blanks from each line: the blanks are the record's own (a missing field
            # is still refused by its column's check).
            line = line.ljust(RECORD_LENGTH)
        if len(line) != RECORD_LENGTH:
            errors.append(("record", f"is {len(line)} characters long, every record must be {RECORD_LENGTH}", number))
            continue
        if not is_printable_ascii(line):
            bad = next(i for i, ch in enumerate(line, start=1) if not " " <= ch <= "~")
            errors.append(("record", f"contains a non-ASCII or control character at position {bad}", number))
            continue
        records.append((number, line))
    return records, len(lines)


def _new_errors(errors: list, start: int) -> set[str]:
    return {name.split(".", 1)[-1] for name, _, _ in errors[start:]}


def _make(cls: type, values: dict[str, Any], **extra: Any) -> Any:
    kwargs = {f.name: values[f.name] for f in fields(cls) if f.init and f.name in values}
    kwargs.update(extra)
    return cls(**kwargs)


def read_ach_file(raw: bytes | str) -> tuple[AchFile | None, list[FieldError], str]:
    """Read ``raw`` and return (domain object or None, every problem found, message type). Never raises."""
    errors: list = []
    records, physical_count = split_ach_records(raw, errors)
    if is_adv_file(records):
        return _read_adv_file(records, physical_count, errors)  # type: ignore[return-value]
    header: dict[str, Any] | None = None
    header_line = 0
    batches: list[tuple[_BatchRead, dict[str, Any] | None, int]] = []
    current: _BatchRead | None = None
    file_control: dict[str, Any] | None = None
    file_control_line = 0
    file_control_bad: set[str] = set()
    last_line = physical_count

    for line_no, text in records:
        record_type = text[0]
        if file_control is not None:
            if text != PADDING_RECORD:
                errors.append(("file.padding", "only 9-filled padding records may follow the file control", line_no))
            continue
        if header is None and record_type != "1":
            errors.append(("file_header", "file must start with a file header record (type 1)", line_no))
            header = {}
        if record_type == "1":
            if header:
                errors.append(("file_header", "a file has exactly one file header record", line_no))
                continue
            header = read_record("file_header", FILE_HEADER_LAYOUT, text, line_no, errors)
            header_line = line_no
        elif record_type == "5":
            if current is not None:
                errors.append(("batch_control", f"batch starting at line {current.line} has no batch control", line_no))
                batches.append((current, None, line_no))
            sec = text[50:53]
            is_iat = sec == "IAT"
            record_name = "iat_batch_header" if is_iat else "batch_header"
            layout = IAT_BATCH_HEADER_LAYOUT if is_iat else BATCH_HEADER_LAYOUT
            # Returns and ENR batches may leave the effective entry date blank or zero-filled (checked per batch).
            no_date = text[69:75] in ("000000", "      ")
            values = read_record(
                record_name,
                layout,
                text[:69] + "      " + text[75:] if no_date else text,
                line_no,
                errors,
                optional_dates=("effective_entry_date",) if no_date else (),
            )
            values["_no_effective_date"] = no_date
            current = _BatchRead(values, line_no, record_name, sec)
        elif record_type == "6":
            if current is None:
                errors.append(("entry_detail", "entry detail record outside a batch", line_no))
                continue
            record_name = ENTRY_RECORD_NAME.get(current.sec, "entry_detail")
            values = read_record(record_name, ALL_LAYOUTS[record_name], text, line_no, errors)
            current.entries.append(_EntryRead(values, line_no, record_name))
        elif record_type == "7":
            if current is None or not current.entries:
                errors.append(("addenda", "addenda record without a preceding entry detail record", line_no))
                continue
            type_code = text[1:3]
            if type_code not in ADDENDA_TYPES:
                errors.append(("addenda.addenda_type_code", f"unknown addenda type code {type_code!r}", line_no))
                continue
            name = addenda_record_name(type_code, text)
            values = read_record(name, ALL_LAYOUTS[name], text, line_no, errors)
            values["_record"] = name
            current.entries[-1].addenda.append((type_code, values, line_no))
        elif record_type == "8":
            if current is None:
                errors.append(("batch_control", "batch control record without a batch header", line_no))
                continue
            start = len(errors)
            control = read_record("batch_control", BATCH_CONTROL_LAYOUT, text, line_no, errors)
            control["_bad"] = _new_errors(errors, start)
            batches.append((current, control, line_no))
            current = None
        elif record_type == "9":
            if text == PADDING_RECORD:
                errors.append(("file.padding", "9-filled padding record before the file control record", line_no))
                continue
            if current is not None:
                errors.append(("batch_control", f"batch starting at line {current.line} has no batch control", line_no))
                batches.append((current, None, line_no))
                current = None
            start = len(errors)
            file_control = read_record("file_control", FILE_CONTROL_LAYOUT, text, line_no, errors)
            file_control_bad = _new_errors(errors, start)
            file_control_line = line_no
        else:
            errors.append(("record_type", f"unknown record type {record_type!r}", line_no))

    if current is not None:
        errors.append(("batch_control", f"batch starting at line {current.line} has no batch control", last_line))
        batches.append((current, None, last_line))
    if records and header is None:
        errors.append(("file_header", "file has no file header record (type 1)", 1))
    if records and file_control is None:
        errors.append(("file_control", "file has no file control record (type 9)", last_line))

    built_batches: list[Batch] = []
    totals = [0, 0, 0, 0]  # count, hash, debit, credit
    previous_batch_number = -1
    for batch_read, control, control_line in batches:
        batch, batch_totals = _check_batch(batch_read, control, control_line, errors)
        built_batches.append(batch)
        for i, value in enumerate(batch_totals):
            totals[i] += value
        number = batch_read.values.get("batch_number", 0)
        if number <= previous_batch_number:
            errors.append(
                (
                    f"{batch_read.record_name}.batch_number",
                    f"batch numbers must ascend, {number} follows {previous_batch_number}",
                    batch_read.line,
                )
            )
        previous_batch_number = max(previous_batch_number, number)

    if file_control is not None:
        expected = {
            "batch_count": len(batches),
            "block_count": math.ceil(physical_count / BLOCKING_FACTOR),
            "entry_addenda_count": totals[0],
            "entry_hash": totals[1] % _HASH_MODULUS,
            "total_debit": totals[2],
            "total_credit": totals[3],
        }
        for name, value in expected.items():
            if name not in file_control_bad and file_control[name] != value:
                errors.append(
                    (f"file_control.{name}", f"is {file_control[name]}, but the file gives {value}", file_control_line)
                )
    if physical_count and physical_count % BLOCKING_FACTOR:
        errors.append(
            (
                "file.padding",
                f"file has {physical_count} records; it must be padded with 9-filled records to a multiple of "
                f"{BLOCKING_FACTOR}",
                physical_count,
            )
        )
    if header:
        _check_file_header(header, header_line, errors)

    message_type = describe_file_type(b.sec for b, _, _ in batches)
    # (field, reason, line) is a structural error; a fourth item WARNING marks a SEC-code rule of the Operating Rules
    field_errors = [FieldError(*problem[:3], severity=problem[3] if len(problem) > 3 else ERROR) for problem in errors]
    field_errors.sort(key=lambda e: e.line or 0)
    if field_errors or not header:
        return None, field_errors, message_type
    ach_file = AchFile(header=_make(FileHeader, header), batches=tuple(built_batches))
    return ach_file, field_errors, message_type


def _read_adv_file(
    records: list[tuple[int, str]], physical_count: int, errors: list
) -> tuple[AdvFile | None, list[FieldError], str]:
    """An ADV file (service class 280): its own entry and control layouts (``adv.py``), the same file header."""
    header, header_line, batches = read_adv_records(records, physical_count, BATCH_HEADER_LAYOUT, errors)
    if physical_count % BLOCKING_FACTOR:
        errors.append(
            (
                "file.padding",
                f"file has {physical_count} records; it must be padded with 9-filled records to a multiple of "
                f"{BLOCKING_FACTOR}",
                physical_count,
            )
        )
    if header:
        _check_file_header(header, header_line, errors)
    else:
        errors.append(("file_header", "file has no file header record (type 1)", 1))
    field_errors = [FieldError(*problem[:3]) for problem in errors]
    field_errors.sort(key=lambda e: e.line or 0)
    if field_errors or not header:
        return None, field_errors, "ACH ADV file"
    return AdvFile(header=_make(FileHeader, header), batches=tuple(batches)), field_errors, "ACH ADV file"


def _check_file_header(header: dict[str, Any], line: int, errors: list) -> None:
    if header.get("priority_code") not in ("01",):
        errors.append(("file_header.priority_code", f"must be '01', got {header.get('priority_code')!r}", line))
    modifier = header.get("file_id_modifier", "")
    if not (len(modifier) == 1 and modifier.isascii() and (modifier.isupper() or modifier.isdigit())):
        errors.append(("file_header.file_id_modifier", f"must be A-Z or 0-9, got {modifier!r}", line))


def _batch_totals(entries: list[_EntryRead]) -> tuple[int, int, int, int]:
    count = hash_sum = debit = credit = 0
    for entry in entries:
        count += 1 + len(entry.addenda)
        routing = entry.values.get("rdfi_routing", "")
        if routing[:8].isdigit():
            hash_sum += int(routing[:8])
        code = entry.values.get("transaction_code", 0)
        if is_debit(code):
            debit += entry.values.get("amount", 0)
        elif is_credit(code):
            credit += entry.values.get("amount", 0)
    return count, hash_sum % _HASH_MODULUS, debit, credit


def _check_batch(batch: _BatchRead, control: dict[str, Any] | None, control_line: int, errors: list):
    header = batch.values
    hname = batch.record_name
    sec = batch.sec
    is_iat = sec == "IAT"
    service_class = header.get("service_class_code", 0)
    odfi = header.get("odfi_identification", "")
    if service_class not in SERVICE_CLASS_CODES:
        errors.append((f"{hname}.service_class_code", f"must be 200, 220 or 225, got {service_class}", batch.line))
    if not is_iat and sec not in SEC_CODES:
        errors.append(
            (
                f"{hname}.standard_entry_class",
                f"unsupported SEC code {sec!r} (supported: {', '.join(sorted(SEC_CODES))})",
                batch.line,
            )
        )
    if header.get("originator_status_code") not in ("0", "1", "2"):
        errors.append((f"{hname}.originator_status_code", "must be 0, 1 or 2", batch.line))
    if is_iat:
        _check_iat_header(header, batch.line, errors)
    rule = SEC_RULES.get(sec)
    if header.get("_no_effective_date"):
        all_returns = bool(batch.entries) and all(
            any(code in ("98", "99") for code, _, _ in entry.addenda) for entry in batch.entries
        )
        if not (all_returns or (rule is not None and rule.no_effective_date)):
            errors.append((f"{hname}.effective_entry_date", "must be a YYMMDD date", batch.line))
    if rule is not None and rule.company_entry_description:
        if header.get("company_entry_description", "").strip() != rule.company_entry_description:
            errors.append(
                (
                    f"{hname}.company_entry_description",
                    f"must be {rule.company_entry_description!r} in a {sec} batch",
                    batch.line,
                    WARNING,
                )
            )

    previous_trace = ""
    for entry in batch.entries:
        _check_entry(entry, sec, service_class, odfi, errors)
        trace = entry.values.get("trace_number", "")
        if previous_trace and trace <= previous_trace:
            errors.append(
                (
                    f"{entry.record_name}.trace_number",
                    f"trace numbers must ascend within a batch, {trace} follows {previous_trace}",
                    entry.line,
                )
            )
        previous_trace = max(previous_trace, trace)

    totals = _batch_totals(batch.entries)
    company_id = header.get("originator_identification" if is_iat else "company_identification", "")
    if control is not None:
        expected = {
            "service_class_code": service_class,
            "entry_addenda_count": totals[0],
            "entry_hash": totals[1],
            "total_debit": totals[2],
            "total_credit": totals[3],
            "company_identification": company_id,
            "odfi_identification": odfi,
            "batch_number": header.get("batch_number", 0),
        }
        for name, value in expected.items():
            if name not in control["_bad"] and control[name] != value:
                errors.append(
                    (f"batch_control.{name}", f"is {control[name]}, but the batch gives {value}", control_line)
                )
        if service_class == SERVICE_CLASS_CREDITS_ONLY and control.get("total_debit"):
            errors.append(("batch_control.total_debit", "must be zero in a 220 (credits only) batch", control_line))
        if service_class == SERVICE_CLASS_DEBITS_ONLY and control.get("total_credit"):
            errors.append(("batch_control.total_credit", "must be zero in a 225 (debits only) batch", control_line))

    entries = []
    for entry in batch.entries:
        addenda = tuple(
            _make(ADDENDA_CLASS_OF_RECORD.get(values.get("_record", ""), ADDENDA_TYPES[code]), values)
            for code, values, _ in entry.addenda
        )
        entries.append(_make(IATEntryDetail if is_iat else EntryDetail, entry.values, addenda=addenda))
    header_obj = _make(IATBatchHeader if is_iat else BatchHeader, header)
    mac = control.get("message_authentication_code", "") if control else ""
    return Batch(header=header_obj, entries=tuple(entries), message_authentication_code=mac), totals


def _check_iat_header(header: dict[str, Any], line: int, errors: list) -> None:
    fx = header.get("foreign_exchange_indicator", "")
    if fx not in FOREIGN_EXCHANGE_INDICATORS:
        errors.append(("iat_batch_header.foreign_exchange_indicator", f"must be FV, VF or FF, got {fx!r}", line))
    ref_indicator = header.get("foreign_exchange_reference_indicator", "")
    if ref_indicator not in ("1", "2", "3"):
        errors.append(("iat_batch_header.foreign_exchange_reference_indicator", "must be 1, 2 or 3", line))
    elif ref_indicator == "3" and header.get("foreign_exchange_reference"):
        errors.append(("iat_batch_header.foreign_exchange_reference", "must be blank when the indicator is 3", line))
    country = header.get("iso_destination_country_code", "")
    if not (len(country) == 2 and country.isascii() and country.isalpha() and country.isupper()):
        errors.append(
            (
                "iat_batch_header.iso_destination_country_code",
                f"must be an ISO 3166 alpha-2 code, got {country!r}",
                line,
            )
        )
    for name in ("iso_originating_currency_code", "iso_destination_currency_code"):
        if not is_known_currency(header.get(name, "")):
            errors.append((f"iat_batch_header.{name}", f"unknown ISO 4217 currency {header.get(name)!r}", line))


def _check_entry(entry: _EntryRead, sec: str, service_class: int, odfi: str, errors: list) -> None:
    values = entry.values
    name = entry.record_name
    line = entry.line
    code = values.get("transaction_code", 0)
    amount = values.get("amount", 0)
    kind = transaction_kind(code)
    if kind is None:
        errors.append((f"{name}.transaction_code", f"unknown transaction code {code:02d}", line))
    else:
        if service_class == SERVICE_CLASS_CREDITS_ONLY and is_debit(code):
            errors.append((f"{name}.transaction_code", f"debit code {code} in a 220 (credits only) batch", line))
        if service_class == SERVICE_CLASS_DEBITS_ONLY and is_credit(code):
            errors.append((f"{name}.transaction_code", f"credit code {code} in a 225 (debits only) batch", line))
        if kind in ("prenote", "zero") and amount != 0:
            errors.append((f"{name}.amount", f"must be zero for {kind} transaction code {code}", line))
        if kind == "live" and amount == 0:
            errors.append((f"{name}.amount", f"must be greater than zero for transaction code {code}", line))
    trace = values.get("trace_number", "")
    if odfi and trace[:8] != odfi:
        errors.append((f"{name}.trace_number", f"must start with the ODFI identification {odfi}", line))

    addenda = entry.addenda
    types = [code_ for code_, _, _ in addenda]
    indicator = values.get("addenda_record_indicator", 0)
    if indicator not in (0, 1):
        errors.append((f"{name}.addenda_record_indicator", f"must be 0 or 1, got {indicator}", line))
    elif indicator == 1 and not addenda:
        errors.append((f"{name}.addenda_record_indicator", "is 1 but no addenda record follows", line))
    elif indicator == 0 and addenda:
        errors.append((f"{name}.addenda_record_indicator", f"is 0 but {len(addenda)} addenda records follow", line))
    if "number_of_addenda" in values and values["number_of_addenda"] != len(addenda):
        errors.append(
            (
                f"{name}.number_of_addenda",
                f"is {values['number_of_addenda']}, but {len(addenda)} addenda records follow",
                line,
            )
        )

    if sec == "IAT":
        if types[:7] != IAT_MANDATORY_ADDENDA:
            errors.append(
                (f"{name}.addenda", f"an IAT entry needs addenda 10 to 16 in order, got {types or 'none'}", line)
            )
        rest = types[7:]
        if (
            rest != sorted(rest)
            or any(t not in ("17", "18") for t in rest)
            or rest.count("17") > 2
            or rest.count("18") > 5
        ):
            errors.append(
                (
                    f"{name}.addenda",
                    "after addenda 16 an IAT entry may carry up to 2 addenda 17 then up to 5 addenda 18",
                    line,
                )
            )
        if kind == "return":
            errors.append((f"{name}.transaction_code", "IAT returns and NOCs are not supported", line))
    elif sec == "COR":
        if types != ["98"]:
            errors.append((f"{name}.addenda", "a COR entry carries exactly one addenda 98", line))
        if kind != "return":
            errors.append(
                (f"{name}.transaction_code", f"a COR entry needs a return/NOC transaction code, got {code}", line)
            )
        if amount != 0:
            errors.append((f"{name}.amount", "must be zero for a notification of change", line))
    elif "99" in types:
        if types != ["99"]:
            errors.append((f"{name}.addenda", "a return entry carries exactly one addenda 99", line))
        if kind not in (None, "return"):
            errors.append(
                (f"{name}.transaction_code", f"a return entry needs a return transaction code, got {code}", line)
            )
    else:
        if kind == "return":
            errors.append(
                (f"{name}.transaction_code", f"return/NOC transaction code {code} needs an addenda 98 or 99", line)
            )
        rule = SEC_RULES.get(sec)
        if rule is not None:
            _check_sec_rule(entry, sec, rule, code, amount, types, errors)

    discretionary = values.get("discretionary_data", "")
    if sec == "WEB" and kind != "return" and discretionary not in ("R", "S"):
        errors.append(
            (
                f"{name}.discretionary_data",
                f"WEB payment type code must be 'R' or 'S', got {discretionary!r}",
                line,
                WARNING,
            )
        )
    if sec == "TEL":
        if discretionary not in ("R", "S", ""):
            errors.append(
                (
                    f"{name}.discretionary_data",
                    f"TEL payment type code must be 'R', 'S' or blank, got {discretionary!r}",
                    line,
                    WARNING,
                )
            )
        if is_credit(code) and kind != "return":
            errors.append((f"{name}.transaction_code", "TEL batches carry debit entries only", line, WARNING))

    _check_addenda(addenda, trace, errors)


def _check_sec_rule(
    entry: _EntryRead, sec: str, rule: SecRule, code: int, amount: int, types: list[str], errors: list
) -> None:
    """The rules of the entry's SEC code (``sec.SEC_RULES``) for an entry that is not a return or a NOC."""
    values, name, line = entry.values, entry.record_name, entry.line
    direction = "C" if is_credit(code) else "D" if is_debit(code) else ""
    if rule.direction and direction and direction != rule.direction:
        only = "debit" if rule.direction == "D" else "credit"
        errors.append(
            (f"{name}.transaction_code", f"{sec} batches carry {only} entries only, got {code}", line, WARNING)
        )
    if rule.codes is not None and code not in rule.codes:
        allowed = ", ".join(str(c) for c in sorted(rule.codes))
        errors.append(
            (f"{name}.transaction_code", f"a {sec} entry uses transaction code {allowed}, got {code}", line, WARNING)
        )
    if rule.zero_dollar and amount != 0:
        errors.append((f"{name}.amount", f"must be zero in a {sec} entry", line, WARNING))
    if rule.max_amount is not None and amount > rule.max_amount:
        errors.append(
            (f"{name}.amount", f"is {amount} cents; a {sec} entry is at most {rule.max_amount}", line, WARNING)
        )
    for type_code, _, addenda_line in entry.addenda:
        if type_code not in ("05", "02") or (type_code == "02") != rule.addenda_02:
            errors.append(
                (
                    f"addenda_{type_code}.addenda_type_code",
                    f"addenda type {type_code} is not allowed in a {sec} batch",
                    addenda_line,
                    WARNING,
                )
            )
    count_05 = types.count("05")
    if rule.addenda_02 and types.count("02") != 1:
        errors.append(
            (f"{name}.addenda", f"a {sec} entry carries exactly one addenda 02 (terminal information)", line, WARNING)
        )
    if count_05 > rule.max_addenda_05:
        limit = {0: "no addenda 05", 1: "at most one addenda 05"}.get(
            rule.max_addenda_05, f"at most {rule.max_addenda_05} addenda 05"
        )
        errors.append((f"{name}.addenda", f"a {sec} entry carries {limit}, got {count_05}", line, WARNING))
    if sec == "DNE" and count_05 != 1:
        errors.append((f"{name}.addenda", "a DNE entry carries exactly one addenda 05", line, WARNING))
    if rule.check_serial and not values.get("identification_number", "").strip():
        errors.append(
            (f"{name}.identification_number", f"the check serial number of a {sec} entry is required", line, WARNING)
        )
    if rule.research_fields:
        research = values.get("receiver_name", "")
        if not research[:6].strip() or not research[6:22].strip():
            errors.append(
                (
                    f"{name}.receiver_name",
                    f"a {sec} entry needs the process control field (55-60) and item research number (61-76)",
                    line,
                    WARNING,
                )
            )
    if rule.card_transaction_type and values.get("discretionary_data", "") not in CARD_TRANSACTION_TYPES:
        errors.append(
            (
                f"{name}.discretionary_data",
                f"card transaction type must be one of {', '.join(sorted(CARD_TRANSACTION_TYPES))}, "
                f"got {values.get('discretionary_data', '')!r}",
                line,
                WARNING,
            )
        )
    if rule.card_expiration:
        expiry = values.get("identification_number", "")[:4]
        if not (expiry.isdigit() and 1 <= int(expiry[:2]) <= 12):
            errors.append(
                (
                    f"{name}.identification_number",
                    f"must start with the card's expiration date MMYY, got {expiry!r}",
                    line,
                    WARNING,
                )
            )


def _check_addenda(addenda: list[tuple[str, dict[str, Any], int]], trace: str, errors: list) -> None:
    sequence: dict[str, int] = {}
    for type_code, values, line in addenda:
        name = f"addenda_{type_code}"
        sequence[type_code] = sequence.get(type_code, 0) + 1
        if "sequence_number" in values and values["sequence_number"] != sequence[type_code]:
            errors.append(
                (f"{name}.sequence_number", f"is {values['sequence_number']}, expected {sequence[type_code]}", line)
            )
        if "entry_detail_sequence_number" in values and values["entry_detail_sequence_number"] != trace[-7:]:
            errors.append(
                (f"{name}.entry_detail_sequence_number", f"must repeat the entry's trace sequence {trace[-7:]}", line)
            )
        if "trace_number" in values and values["trace_number"] != trace:
            errors.append((f"{name}.trace_number", f"must repeat the entry's trace number {trace}", line))
        if type_code == "98" and values.get("change_code") not in CHANGE_CODES:
            errors.append((f"{name}.change_code", f"unknown change code {values.get('change_code')!r} (C01-C14)", line))
        if type_code == "99" and values.get("_record") == "addenda_99":
            reason = values.get("return_reason_code")
            if reason not in RETURN_REASON_CODES:
                errors.append((f"{name}.return_reason_code", f"unknown return reason code {reason!r} (R01-R85)", line))
            if values.get("date_of_death") is not None and reason not in DATE_OF_DEATH_REASONS:
                errors.append((f"{name}.date_of_death", "may only be given for R14 and R15 returns", line))
        if type_code == "10" and values.get("transaction_type_code") not in IAT_TRANSACTION_TYPE_CODES:
            errors.append(
                (
                    f"{name}.transaction_type_code",
                    f"unknown IAT transaction type {values.get('transaction_type_code')!r}",
                    line,
                )
            )


def parse_ach_file(raw: bytes | str) -> AchFile:
    """Parse an ACH file into an :class:`AchFile`; raise MessageValidationError listing every problem."""
    ach_file, errors, message_type = read_ach_file(raw)
    if errors or ach_file is None:
        raise MessageValidationError(message_type, errors or [FieldError("file", "is empty")])
    if isinstance(ach_file, AdvFile):
        # callers of parse_ach_file (inbound, the network sandbox) handle entries; an advice is no payment file
        raise MessageValidationError.single(
            message_type, "batch_header.service_class_code", "an ADV advice file (280): read it with parse_adv_file", 2
        )
    return ach_file


def parse_adv_file(raw: bytes | str) -> AdvFile:
    """Parse an ADV (automated accounting advice) file; raise MessageValidationError listing every problem."""
    adv_file, errors, message_type = read_ach_file(raw)
    if errors or adv_file is None:
        raise MessageValidationError(message_type, errors or [FieldError("file", "is empty")])
    if not isinstance(adv_file, AdvFile):
        raise MessageValidationError.single(message_type, "batch_header.service_class_code", "not an ADV file (280)", 2)
    return adv_file
