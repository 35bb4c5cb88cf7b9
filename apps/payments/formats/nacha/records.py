"""NACHA record layouts and the domain objects they carry.

Every record is 94 characters. A layout is a list of :class:`Column` giving the 1-based start,
length and kind of each field, so one renderer and one reader serve every record type and the
field names used in error messages ("entry_detail.amount") come from one place.

Derived values (control counts, hashes and totals, addenda counts and indicators, addenda
sequence numbers and the entry detail sequence number) are not stored in the domain objects:
the builder computes them and the reader checks them.

Text rule: alphanumeric fields are left-justified and space-filled; the reader strips the trailing
spaces. Non-ASCII text is transliterated with ``anyascii`` when building ("Müller" -> "Muller");
text still outside printable ASCII, or longer than its field after transliteration, is rejected,
never truncated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from anyascii import anyascii

from .routing import aba_problem

RECORD_LENGTH = 94
BLOCKING_FACTOR = 10
MAX_ENTRY_AMOUNT = 9_999_999_999  # 10 digits of cents: $99,999,999.99


@dataclass(frozen=True)
class Column:
    """One fixed-position field of a 94-character record."""

    name: str
    start: int
    length: int
    kind: str
    constant: str = ""
    required: bool = False

    @property
    def end(self) -> int:
        return self.start - 1 + self.length


def _c(name: str, start: int, length: int, kind: str, constant: str = "", required: bool = False) -> Column:
    return Column(name, start, length, kind, constant, required)


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def is_printable_ascii(text: str) -> bool:
    return all(" " <= ch <= "~" for ch in text)


def yymmdd_to_date(raw: str) -> date:
    """Return the date of a YYMMDD field: YY 00-79 is 2000-2079, 80-99 is 1980-1999.

    NACHA dates carry no century. Python's own %y pivot (69) would turn an effective date in 2069
    into 1969; ours keeps every business date this century and lets a date of death be 1980s/1990s.
    Raises ValueError for anything that is not a real date.
    """
    year = int(raw[:2])
    return date(year + (1900 if year >= 80 else 2000), int(raw[2:4]), int(raw[4:6]))


def to_ach_text(value: str) -> str:
    """Return ``value`` as NACHA text: transliterated to ASCII with trailing spaces removed."""
    return anyascii(value).rstrip()


# --------------------------------------------------------------------------- layouts

FILE_HEADER_LAYOUT = (
    _c("record_type", 1, 1, "const", "1"),
    _c("priority_code", 2, 2, "digits"),
    _c("immediate_destination", 4, 10, "aba_b10"),
    _c("immediate_origin", 14, 10, "ralnum", required=True),
    _c("file_creation_date", 24, 6, "date"),
    _c("file_creation_time", 30, 4, "time"),
    _c("file_id_modifier", 34, 1, "alnum", required=True),
    _c("record_size", 35, 3, "const", "094"),
    _c("blocking_factor", 38, 2, "const", "10"),
    _c("format_code", 40, 1, "const", "1"),
    _c("immediate_destination_name", 41, 23, "alnum"),
    _c("immediate_origin_name", 64, 23, "alnum"),
    _c("reference_code", 87, 8, "alnum"),
)

BATCH_HEADER_LAYOUT = (
    _c("record_type", 1, 1, "const", "5"),
    _c("service_class_code", 2, 3, "int"),
    _c("company_name", 5, 16, "alnum", required=True),
    _c("company_discretionary_data", 21, 20, "alnum"),
    _c("company_identification", 41, 10, "alnum", required=True),
    _c("standard_entry_class", 51, 3, "alnum", required=True),
    _c("company_entry_description", 54, 10, "alnum", required=True),
    _c("company_descriptive_date", 64, 6, "alnum"),
    _c("effective_entry_date", 70, 6, "date"),
    _c("settlement_date", 76, 3, "julian"),
    _c("originator_status_code", 79, 1, "digits"),
    _c("odfi_identification", 80, 8, "digits"),
    _c("batch_number", 88, 7, "int"),
)

IAT_BATCH_HEADER_LAYOUT = (
    _c("record_type", 1, 1, "const", "5"),
    _c("service_class_code", 2, 3, "int"),
    _c("iat_indicator", 5, 16, "alnum"),
    _c("foreign_exchange_indicator", 21, 2, "alnum", required=True),
    _c("foreign_exchange_reference_indicator", 23, 1, "digits"),
    _c("foreign_exchange_reference", 24, 15, "alnum"),
    _c("iso_destination_country_code", 39, 2, "alnum", required=True),
    _c("originator_identification", 41, 10, "alnum", required=True),
    _c("standard_entry_class", 51, 3, "const", "IAT"),
    _c("company_entry_description", 54, 10, "alnum", required=True),
    _c("iso_originating_currency_code", 64, 3, "alnum", required=True),
    _c("iso_destination_currency_code", 67, 3, "alnum", required=True),
    _c("effective_entry_date", 70, 6, "date"),
    _c("settlement_date", 76, 3, "julian"),
    _c("originator_status_code", 79, 1, "digits"),
    _c("odfi_identification", 80, 8, "digits"),
    _c("batch_number", 88, 7, "int"),
)

ENTRY_DETAIL_LAYOUT = (
    _c("record_type", 1, 1, "const", "6"),
    _c("transaction_code", 2, 2, "int"),
    _c("rdfi_routing", 4, 9, "aba"),
    _c("account_number", 13, 17, "alnum", required=True),
    _c("amount", 30, 10, "int"),
    _c("identification_number", 40, 15, "alnum"),
    _c("receiver_name", 55, 22, "alnum"),
    _c("discretionary_data", 77, 2, "alnum"),
    _c("addenda_record_indicator", 79, 1, "int"),
    _c("trace_number", 80, 15, "digits"),
)

CTX_ENTRY_DETAIL_LAYOUT = (
    _c("record_type", 1, 1, "const", "6"),
    _c("transaction_code", 2, 2, "int"),
    _c("rdfi_routing", 4, 9, "aba"),
    _c("account_number", 13, 17, "alnum", required=True),
    _c("amount", 30, 10, "int"),
    _c("identification_number", 40, 15, "alnum"),
    _c("number_of_addenda", 55, 4, "int"),
    _c("receiver_name", 59, 16, "alnum"),
    _c("reserved", 75, 2, "blank"),
    _c("discretionary_data", 77, 2, "alnum"),
    _c("addenda_record_indicator", 79, 1, "int"),
    _c("trace_number", 80, 15, "digits"),
)

IAT_ENTRY_DETAIL_LAYOUT = (
    _c("record_type", 1, 1, "const", "6"),
    _c("transaction_code", 2, 2, "int"),
    _c("rdfi_routing", 4, 9, "aba"),
    _c("number_of_addenda", 13, 4, "int"),
    _c("reserved", 17, 13, "blank"),
    _c("amount", 30, 10, "int"),
    _c("foreign_receiver_account", 40, 35, "alnum", required=True),
    _c("reserved", 75, 2, "blank"),
    _c("gateway_ofac_screening", 77, 1, "alnum"),
    _c("secondary_ofac_screening", 78, 1, "alnum"),
    _c("addenda_record_indicator", 79, 1, "int"),
    _c("trace_number", 80, 15, "digits"),
)


def _payment_related(code: str) -> tuple[Column, ...]:
    """Return the layout of a free-text addenda: 05 of a domestic entry, 17 of an IAT entry."""
    return (
        _c("record_type", 1, 1, "const", "7"),
        _c("addenda_type_code", 2, 2, "const", code),
        _c("payment_related_information", 4, 80, "alnum"),
        _c("sequence_number", 84, 4, "int"),
        _c("entry_detail_sequence_number", 88, 7, "digits"),
    )


ADDENDA_05_LAYOUT = _payment_related("05")

ADDENDA_98_LAYOUT = (
    _c("record_type", 1, 1, "const", "7"),
    _c("addenda_type_code", 2, 2, "const", "98"),
    _c("change_code", 4, 3, "alnum", required=True),
    _c("original_trace_number", 7, 15, "digits"),
    _c("reserved", 22, 6, "blank"),
    _c("original_rdfi_identification", 28, 8, "digits"),
    _c("corrected_data", 36, 29, "alnum", required=True),
    _c("reserved", 65, 15, "blank"),
    _c("trace_number", 80, 15, "digits"),
)

ADDENDA_99_LAYOUT = (
    _c("record_type", 1, 1, "const", "7"),
    _c("addenda_type_code", 2, 2, "const", "99"),
    _c("return_reason_code", 4, 3, "alnum", required=True),
    _c("original_trace_number", 7, 15, "digits"),
    _c("date_of_death", 22, 6, "optdate"),
    _c("original_rdfi_identification", 28, 8, "digits"),
    _c("addenda_information", 36, 44, "alnum"),
    _c("trace_number", 80, 15, "digits"),
)

# Returns an ODFI dishonors (R61, R67-R70) and RDFIs contest (R71-R77) carry their own addenda 99 layouts.
DISHONORED_REASONS = frozenset({"R61", "R67", "R68", "R69", "R70"})
CONTESTED_REASONS = frozenset({"R71", "R72", "R73", "R74", "R75", "R76", "R77"})

ADDENDA_99_DISHONORED_LAYOUT = (
    _c("record_type", 1, 1, "const", "7"),
    _c("addenda_type_code", 2, 2, "const", "99"),
    _c("dishonored_return_reason_code", 4, 3, "alnum", required=True),
    _c("original_trace_number", 7, 15, "digits"),
    _c("reserved", 22, 6, "blank"),
    _c("original_rdfi_identification", 28, 8, "digits"),
    _c("reserved", 36, 3, "blank"),
    _c("return_trace_number", 39, 15, "digits"),
    _c("return_settlement_date", 54, 3, "alnum"),
    _c("return_reason_code", 57, 2, "alnum"),
    _c("addenda_information", 59, 21, "alnum"),
    _c("trace_number", 80, 15, "digits"),
)

ADDENDA_99_CONTESTED_LAYOUT = (
    _c("record_type", 1, 1, "const", "7"),
    _c("addenda_type_code", 2, 2, "const", "99"),
    _c("contested_return_reason_code", 4, 3, "alnum", required=True),
    _c("original_trace_number", 7, 15, "digits"),
    _c("date_original_entry_returned", 22, 6, "alnum"),
    _c("original_rdfi_identification", 28, 8, "digits"),
    _c("original_settlement_date", 36, 3, "alnum"),
    _c("return_trace_number", 39, 15, "digits"),
    _c("return_settlement_date", 54, 3, "alnum"),
    _c("return_reason_code", 57, 2, "alnum"),
    _c("dishonored_return_trace_number", 59, 15, "digits"),
    _c("dishonored_return_settlement_date", 74, 3, "alnum"),
    _c("dishonored_return_reason_code", 77, 2, "alnum"),
    _c("reserved", 79, 1, "blank"),
    _c("trace_number", 80, 15, "digits"),
)

# POS, MTE and SHR entries carry one addenda 02: the terminal and the card transaction.
ADDENDA_02_LAYOUT = (
    _c("record_type", 1, 1, "const", "7"),
    _c("addenda_type_code", 2, 2, "const", "02"),
    _c("reference_information_1", 4, 7, "alnum"),
    _c("reference_information_2", 11, 3, "alnum"),
    _c("terminal_identification_code", 14, 6, "alnum", required=True),
    _c("transaction_serial_number", 20, 6, "alnum", required=True),
    _c("transaction_date", 26, 4, "digits"),
    _c("authorization_code_or_expire_date", 30, 6, "alnum"),
    _c("terminal_location", 36, 27, "alnum", required=True),
    _c("terminal_city", 63, 15, "alnum", required=True),
    _c("terminal_state", 78, 2, "alnum", required=True),
    _c("trace_number", 80, 15, "digits"),
)


def _iat_name_address(code: str, first: str, second: str, reserved_length: int = 14) -> tuple[Column, ...]:
    return (
        _c("record_type", 1, 1, "const", "7"),
        _c("addenda_type_code", 2, 2, "const", code),
        _c(first, 4, 35, "alnum", required=True),
        _c(second, 39, 35, "alnum", required=True),
        _c("reserved", 74, reserved_length, "blank"),
        _c("entry_detail_sequence_number", 88, 7, "digits"),
    )


def _iat_institution(code: str, prefix: str) -> tuple[Column, ...]:
    return (
        _c("record_type", 1, 1, "const", "7"),
        _c("addenda_type_code", 2, 2, "const", code),
        _c(f"{prefix}_name", 4, 35, "alnum", required=True),
        _c(f"{prefix}_id_qualifier", 39, 2, "alnum", required=True),
        _c(f"{prefix}_identification", 41, 34, "alnum", required=True),
        _c(f"{prefix}_branch_country", 75, 3, "alnum", required=True),
        _c("reserved", 78, 10, "blank"),
        _c("entry_detail_sequence_number", 88, 7, "digits"),
    )


IAT_ADDENDA_10_LAYOUT = (
    _c("record_type", 1, 1, "const", "7"),
    _c("addenda_type_code", 2, 2, "const", "10"),
    _c("transaction_type_code", 4, 3, "alnum", required=True),
    _c("foreign_payment_amount", 7, 18, "int"),
    _c("foreign_trace_number", 25, 22, "alnum"),
    _c("receiver_name", 47, 35, "alnum", required=True),
    _c("reserved", 82, 6, "blank"),
    _c("entry_detail_sequence_number", 88, 7, "digits"),
)
IAT_ADDENDA_11_LAYOUT = _iat_name_address("11", "originator_name", "originator_street_address")
IAT_ADDENDA_12_LAYOUT = _iat_name_address("12", "originator_city_state", "originator_country_postal")
IAT_ADDENDA_13_LAYOUT = _iat_institution("13", "odfi")
IAT_ADDENDA_14_LAYOUT = _iat_institution("14", "rdfi")
IAT_ADDENDA_15_LAYOUT = (
    _c("record_type", 1, 1, "const", "7"),
    _c("addenda_type_code", 2, 2, "const", "15"),
    _c("receiver_identification_number", 4, 15, "alnum"),
    _c("receiver_street_address", 19, 35, "alnum", required=True),
    _c("reserved", 54, 34, "blank"),
    _c("entry_detail_sequence_number", 88, 7, "digits"),
)
IAT_ADDENDA_16_LAYOUT = _iat_name_address("16", "receiver_city_state", "receiver_country_postal")
IAT_ADDENDA_17_LAYOUT = _payment_related("17")
IAT_ADDENDA_18_LAYOUT = (
    _c("record_type", 1, 1, "const", "7"),
    _c("addenda_type_code", 2, 2, "const", "18"),
    _c("foreign_correspondent_bank_name", 4, 35, "alnum", required=True),
    _c("foreign_correspondent_bank_id_qualifier", 39, 2, "alnum", required=True),
    _c("foreign_correspondent_bank_identification", 41, 34, "alnum", required=True),
    _c("foreign_correspondent_bank_branch_country", 75, 3, "alnum", required=True),
    _c("reserved", 78, 6, "blank"),
    _c("sequence_number", 84, 4, "int"),
    _c("entry_detail_sequence_number", 88, 7, "digits"),
)

BATCH_CONTROL_LAYOUT = (
    _c("record_type", 1, 1, "const", "8"),
    _c("service_class_code", 2, 3, "int"),
    _c("entry_addenda_count", 5, 6, "int"),
    _c("entry_hash", 11, 10, "int"),
    _c("total_debit", 21, 12, "int"),
    _c("total_credit", 33, 12, "int"),
    _c("company_identification", 45, 10, "alnum"),
    _c("message_authentication_code", 55, 19, "alnum"),
    _c("reserved", 74, 6, "blank"),
    _c("odfi_identification", 80, 8, "digits"),
    _c("batch_number", 88, 7, "int"),
)

FILE_CONTROL_LAYOUT = (
    _c("record_type", 1, 1, "const", "9"),
    _c("batch_count", 2, 6, "int"),
    _c("block_count", 8, 6, "int"),
    _c("entry_addenda_count", 14, 8, "int"),
    _c("entry_hash", 22, 10, "int"),
    _c("total_debit", 32, 12, "int"),
    _c("total_credit", 44, 12, "int"),
    _c("reserved", 56, 39, "blank"),
)

ALL_LAYOUTS: dict[str, tuple[Column, ...]] = {
    "file_header": FILE_HEADER_LAYOUT,
    "batch_header": BATCH_HEADER_LAYOUT,
    "iat_batch_header": IAT_BATCH_HEADER_LAYOUT,
    "entry_detail": ENTRY_DETAIL_LAYOUT,
    "ctx_entry_detail": CTX_ENTRY_DETAIL_LAYOUT,
    "iat_entry_detail": IAT_ENTRY_DETAIL_LAYOUT,
    "addenda_05": ADDENDA_05_LAYOUT,
    "addenda_98": ADDENDA_98_LAYOUT,
    "addenda_99": ADDENDA_99_LAYOUT,
    "addenda_99_dishonored": ADDENDA_99_DISHONORED_LAYOUT,
    "addenda_99_contested": ADDENDA_99_CONTESTED_LAYOUT,
    "addenda_02": ADDENDA_02_LAYOUT,
    "addenda_10": IAT_ADDENDA_10_LAYOUT,
    "addenda_11": IAT_ADDENDA_11_LAYOUT,
    "addenda_12": IAT_ADDENDA_12_LAYOUT,
    "addenda_13": IAT_ADDENDA_13_LAYOUT,
    "addenda_14": IAT_ADDENDA_14_LAYOUT,
    "addenda_15": IAT_ADDENDA_15_LAYOUT,
    "addenda_16": IAT_ADDENDA_16_LAYOUT,
    "addenda_17": IAT_ADDENDA_17_LAYOUT,
    "addenda_18": IAT_ADDENDA_18_LAYOUT,
    "batch_control": BATCH_CONTROL_LAYOUT,
    "file_control": FILE_CONTROL_LAYOUT,
}


# --------------------------------------------------------------------------- domain objects


@dataclass(frozen=True)
class FileHeader:
    """Record 1. ``immediate_destination`` is the 9-digit routing number of the receiving point."""

    immediate_destination: str
    immediate_origin: str
    file_creation_date: date
    file_creation_time: time | None
    file_id_modifier: str
    immediate_destination_name: str = ""
    immediate_origin_name: str = ""
    reference_code: str = ""
    priority_code: str = "01"


@dataclass(frozen=True)
class BatchHeader:
    """Record 5 for PPD, CCD, WEB, TEL, CTX and COR batches. ``settlement_date`` is the Julian day the
    ACH operator inserts; originators leave it blank ("")."""

    service_class_code: int
    company_name: str
    company_identification: str
    standard_entry_class: str
    company_entry_description: str
    effective_entry_date: date
    odfi_identification: str
    batch_number: int
    company_discretionary_data: str = ""
    company_descriptive_date: str = ""
    settlement_date: str = ""
    originator_status_code: str = "1"


@dataclass(frozen=True)
class IATBatchHeader:
    """Record 5 of an IAT (international ACH transaction) batch."""

    service_class_code: int
    foreign_exchange_indicator: str
    foreign_exchange_reference_indicator: str
    foreign_exchange_reference: str
    iso_destination_country_code: str
    originator_identification: str
    company_entry_description: str
    iso_originating_currency_code: str
    iso_destination_currency_code: str
    effective_entry_date: date
    odfi_identification: str
    batch_number: int
    iat_indicator: str = ""
    settlement_date: str = ""
    originator_status_code: str = "1"

    @property
    def standard_entry_class(self) -> str:
        return "IAT"

    @property
    def company_identification(self) -> str:
        """The batch control's company identification for an IAT batch is the originator identification."""
        return self.originator_identification


@dataclass(frozen=True)
class Addenda05:
    """Payment related information (PPD/CCD/WEB one record, CTX up to 9,999 carrying ANSI X12 data)."""

    payment_related_information: str


@dataclass(frozen=True)
class Addenda98:
    """Notification of change: ``corrected_data`` replaces what the change code names."""

    change_code: str
    original_trace_number: str
    original_rdfi_identification: str
    corrected_data: str


@dataclass(frozen=True)
class Addenda99:
    """Return addenda: why the RDFI sent the entry back."""

    return_reason_code: str
    original_trace_number: str
    original_rdfi_identification: str
    date_of_death: date | None = None
    addenda_information: str = ""


@dataclass(frozen=True)
class Addenda99Dishonored:
    """An ODFI's dishonored return (R61, R67-R70): the return it refuses, and why."""

    dishonored_return_reason_code: str
    original_trace_number: str
    original_rdfi_identification: str
    return_trace_number: str
    return_settlement_date: str
    return_reason_code: str
    addenda_information: str = ""


@dataclass(frozen=True)
class Addenda99Contested:
    """An RDFI's contested dishonored return (R71-R77)."""

    contested_return_reason_code: str
    original_trace_number: str
    date_original_entry_returned: str
    original_rdfi_identification: str
    original_settlement_date: str
    return_trace_number: str
    return_settlement_date: str
    return_reason_code: str
    dishonored_return_trace_number: str
    dishonored_return_settlement_date: str
    dishonored_return_reason_code: str


@dataclass(frozen=True)
class Addenda02:
    """Terminal information of a POS, MTE or SHR entry."""

    terminal_identification_code: str
    transaction_serial_number: str
    transaction_date: str
    terminal_location: str
    terminal_city: str
    terminal_state: str
    reference_information_1: str = ""
    reference_information_2: str = ""
    authorization_code_or_expire_date: str = ""


@dataclass(frozen=True)
class IATAddenda10:
    transaction_type_code: str
    foreign_payment_amount: int
    receiver_name: str
    foreign_trace_number: str = ""


@dataclass(frozen=True)
class IATAddenda11:
    originator_name: str
    originator_street_address: str


@dataclass(frozen=True)
class IATAddenda12:
    """City and state as ``City*State\\``, country and postal code as ``US*10036\\`` (NACHA delimiters)."""

    originator_city_state: str
    originator_country_postal: str


@dataclass(frozen=True)
class IATAddenda13:
    odfi_name: str
    odfi_id_qualifier: str
    odfi_identification: str
    odfi_branch_country: str


@dataclass(frozen=True)
class IATAddenda14:
    rdfi_name: str
    rdfi_id_qualifier: str
    rdfi_identification: str
    rdfi_branch_country: str


@dataclass(frozen=True)
class IATAddenda15:
    receiver_street_address: str
    receiver_identification_number: str = ""


@dataclass(frozen=True)
class IATAddenda16:
    receiver_city_state: str
    receiver_country_postal: str


@dataclass(frozen=True)
class IATAddenda17:
    payment_related_information: str


@dataclass(frozen=True)
class IATAddenda18:
    foreign_correspondent_bank_name: str
    foreign_correspondent_bank_id_qualifier: str
    foreign_correspondent_bank_identification: str
    foreign_correspondent_bank_branch_country: str


Addenda = (
    Addenda05
    | Addenda98
    | Addenda99
    | IATAddenda10
    | IATAddenda11
    | IATAddenda12
    | IATAddenda13
    | IATAddenda14
    | IATAddenda15
    | IATAddenda16
    | IATAddenda17
    | IATAddenda18
    | Addenda02
    | Addenda99Dishonored
    | Addenda99Contested
)

ADDENDA_TYPES: dict[str, type] = {
    "02": Addenda02,
    "05": Addenda05,
    "98": Addenda98,
    "99": Addenda99,
    "10": IATAddenda10,
    "11": IATAddenda11,
    "12": IATAddenda12,
    "13": IATAddenda13,
    "14": IATAddenda14,
    "15": IATAddenda15,
    "16": IATAddenda16,
    "17": IATAddenda17,
    "18": IATAddenda18,
}
ADDENDA_TYPE_CODE: dict[type, str] = {cls: code for code, cls in ADDENDA_TYPES.items()}
ADDENDA_TYPE_CODE[Addenda99Dishonored] = ADDENDA_TYPE_CODE[Addenda99Contested] = "99"
# The record layout of each addenda class, where it is not ``addenda_<type code>``.
ADDENDA_RECORD_NAME: dict[type, str] = {
    Addenda99Dishonored: "addenda_99_dishonored",
    Addenda99Contested: "addenda_99_contested",
}
ADDENDA_CLASS_OF_RECORD: dict[str, type] = {
    "addenda_99_dishonored": Addenda99Dishonored,
    "addenda_99_contested": Addenda99Contested,
}


def addenda_record_name(type_code: str, text: str) -> str:
    """The layout of an addenda record: an addenda 99 by its reason code (dishonored and contested returns)."""
    if type_code == "99":
        reason = text[3:6]
        if reason in DISHONORED_REASONS:
            return "addenda_99_dishonored"
        if reason in CONTESTED_REASONS:
            return "addenda_99_contested"
    return f"addenda_{type_code}"


@dataclass(frozen=True)
class EntryDetail:
    """Record 6 of a PPD/CCD/WEB/TEL/CTX/COR batch (and of a return). Amount is in cents.

    ``rdfi_routing`` is the full 9-digit routing number (8-digit RDFI id + check digit).
    For CTX the receiver name is limited to 16 characters (positions 59-74).
    """

    transaction_code: int
    rdfi_routing: str
    account_number: str
    amount: int
    receiver_name: str
    trace_number: str
    identification_number: str = ""
    discretionary_data: str = ""
    addenda: tuple[Addenda, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "addenda", tuple(self.addenda))


@dataclass(frozen=True)
class IATEntryDetail:
    """Record 6 of an IAT batch; ``rdfi_routing`` is the gateway operator / RDFI routing number."""

    transaction_code: int
    rdfi_routing: str
    amount: int
    foreign_receiver_account: str
    trace_number: str
    addenda: tuple[Addenda, ...] = field(default=())
    gateway_ofac_screening: str = ""
    secondary_ofac_screening: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "addenda", tuple(self.addenda))


@dataclass(frozen=True)
class Batch:
    """A batch: header, entries (with their addenda); the control record is derived."""

    header: BatchHeader | IATBatchHeader
    entries: tuple[EntryDetail | IATEntryDetail, ...]
    message_authentication_code: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "entries", tuple(self.entries))


@dataclass(frozen=True)
class AchFile:
    header: FileHeader
    batches: tuple[Batch, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "batches", tuple(self.batches))

    @property
    def message_type(self) -> str:
        return describe_file_type(b.header.standard_entry_class for b in self.batches)


def describe_file_type(sec_codes: Iterable[str]) -> str:
    """Return e.g. "ACH PPD file" or "ACH CCD/PPD file" for the validate_raw message type."""
    codes = sorted({code for code in sec_codes if code})
    return f"ACH {'/'.join(codes)} file" if codes else "ACH file"


@dataclass(frozen=True)
class ControlTotals:
    """What a batch or file control record must say, computed from the entries."""

    entry_addenda_count: int
    entry_hash: int
    total_debit: int
    total_credit: int


# --------------------------------------------------------------------------- render / read one record


def render_record(record_name: str, layout: tuple[Column, ...], values: dict[str, Any], line: int, errors: list) -> str:
    """Render one record from ``values``; problems go to ``errors`` as (field, reason, line) triples."""
    parts: list[str] = []
    for col in layout:
        text = _render_column(col, values.get(col.name), errors, record_name, line)
        parts.append(text)
    return "".join(parts)


def _render_column(col: Column, value: Any, errors: list, record_name: str, line: int) -> str:
    where = f"{record_name}.{col.name}"
    blank = " " * col.length
    kind = col.kind
    if kind == "const":
        return col.constant
    if kind == "blank":
        return blank
    if kind in ("alnum", "ralnum"):
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.append((where, f"must be text, not {type(value).__name__}", line))
            return blank
        text = to_ach_text(value)
        if not is_printable_ascii(text):
            errors.append((where, f"contains characters that cannot be written as ASCII: {value!r}", line))
            return blank
        if len(text) > col.length:
            errors.append((where, f"is {len(text)} characters, at most {col.length} allowed", line))
            return blank
        return text.rjust(col.length) if kind == "ralnum" else text.ljust(col.length)
    if kind in ("digits", "aba"):
        if not isinstance(value, str) or len(value) != col.length or not _is_digits(value):
            errors.append((where, f"must be {col.length} digits, got {value!r}", line))
            return "0" * col.length
        return value
    if kind == "aba_b10":
        if not isinstance(value, str) or len(value) != 9 or not _is_digits(value):
            errors.append((where, f"must be a 9-digit routing number, got {value!r}", line))
            return blank
        return " " + value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append((where, f"must be an integer, not {type(value).__name__}", line))
            return "0" * col.length
        if value < 0 or len(str(value)) > col.length:
            errors.append((where, f"{value} does not fit in {col.length} digits", line))
            return "0" * col.length
        return str(value).zfill(col.length)
    if kind in ("date", "optdate"):
        if value is None and kind == "optdate":
            return blank
        if isinstance(value, datetime) or not isinstance(value, date):
            errors.append((where, f"must be a date, got {value!r}", line))
            return "0" * col.length
        if not 1980 <= value.year <= 2079:
            errors.append((where, f"{value} is outside 1980-2079, which a YYMMDD field can carry", line))
            return "0" * col.length
        return value.strftime("%y%m%d")
    if kind == "time":
        if value is None:
            return blank
        if not isinstance(value, time):
            errors.append((where, f"must be a time, got {value!r}", line))
            return blank
        return value.strftime("%H%M")
    if kind == "julian":
        if value in (None, ""):
            return blank
        if not isinstance(value, str) or len(value) != 3 or not _is_digits(value) or not 1 <= int(value) <= 366:
            errors.append((where, f"must be a Julian day 001-366 or blank, got {value!r}", line))
            return blank
        return value
    raise AssertionError(f"unknown column kind {kind}")  # pragma: no cover - layouts are static


def read_record(
    record_name: str,
    layout: tuple[Column, ...],
    text: str,
    line: int,
    errors: list,
    *,
    optional_dates: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Read one 94-character record into a dict of typed values; problems go to ``errors``.

    ``optional_dates`` names date columns read as optional (blank: None) for this record.
    """
    values: dict[str, Any] = {}
    for col in layout:
        raw = text[col.start - 1 : col.end]
        where = f"{record_name}.{col.name}"
        if col.name in optional_dates and col.kind == "date":
            col = Column(col.name, col.start, col.length, "optdate", col.constant, col.required)
        values[col.name] = _read_column(col, raw, where, line, errors)
    return values


def _read_column(col: Column, raw: str, where: str, line: int, errors: list) -> Any:
    kind = col.kind
    if kind == "const":
        if raw != col.constant:
            errors.append((where, f"must be {col.constant!r}, got {raw!r}", line))
        return raw
    if kind == "blank":
        if raw.strip():
            errors.append((where, f"reserved field must be blank, got {raw!r}", line))
        return ""
    if kind in ("alnum", "ralnum"):
        value = raw.rstrip() if kind == "alnum" else raw.strip()
        if col.required and not value:
            errors.append((where, "is required but blank", line))
        return value
    if kind == "digits":
        if not _is_digits(raw):
            errors.append((where, f"must be {col.length} digits, got {raw!r}", line))
        return raw
    if kind == "aba":
        problem = aba_problem(raw)
        if problem:
            errors.append((where, problem, line))
        return raw
    if kind == "aba_b10":
        value = raw.strip()
        if len(value) == 10 and value.startswith("0"):
            value = value[1:]  # some originators zero-fill instead of blank-filling position 4
        problem = aba_problem(value)
        if problem:
            errors.append((where, problem, line))
        return value
    if kind == "int":
        if not _is_digits(raw):
            errors.append((where, f"must be {col.length} digits, got {raw!r}", line))
            return 0
        return int(raw)
    if kind in ("date", "optdate"):
        if kind == "optdate" and not raw.strip():
            return None
        try:
            if not _is_digits(raw):
                raise ValueError
            return yymmdd_to_date(raw)
        except ValueError:
            errors.append((where, f"must be a YYMMDD date, got {raw!r}", line))
            return None
    if kind == "time":
        if not raw.strip():
            return None
        if not _is_digits(raw) or int(raw[:2]) > 23 or int(raw[2:]) > 59:
            errors.append((where, f"must be HHMM or blank, got {raw!r}", line))
            return None
        return time(int(raw[:2]), int(raw[2:]))
    if kind == "julian":
        if not raw.strip():
            return ""
        if not _is_digits(raw) or not 1 <= int(raw) <= 366:
            errors.append((where, f"must be a Julian day 001-366 or blank, got {raw!r}", line))
        return raw
    raise AssertionError(f"unknown column kind {kind}")  # pragma: no cover - layouts are static
