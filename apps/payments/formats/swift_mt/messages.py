"""MT101, MT103, MT192, MT196, MT199, MT202, MT202 COV, MT292, MT296, MT900, MT910, MT940 and MT950: domain objects,
builders and parsers.

Every message type is a frozen dataclass. :func:`build_message` writes the wire text and then
reads it back with :func:`parse_message`: a message we emit therefore passes exactly the checks we
apply to a partner's message, and one that would not read back equal is refused instead of sent.
:func:`parse_message` collects every problem (structure, field format, field order, network rules)
into one :class:`~apps.payments.formats.errors.MessageValidationError`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from ..errors import MessageValidationError
from .blocks import FinEnvelope, decode_raw, read_envelope, render_envelope_and_text, split_message
from .fields import (
    AccountIdentification,
    Balance,
    CurrencyAmount,
    Institution,
    InstructionCode,
    Party,
    Problems,
    RawField,
    StatementLine,
    StatementNumber,
    TimeIndication,
    parse_account_identification,
    parse_balance,
    parse_code,
    parse_currency_amount,
    parse_date6,
    parse_date_currency_amount,
    parse_date_time_indication,
    parse_exchange_rate,
    parse_institution,
    parse_instruction_code,
    parse_lines,
    parse_party,
    parse_reference,
    parse_statement_line,
    parse_statement_number,
    parse_time_indication,
    render_account_identification,
    render_balance,
    render_currency_amount,
    render_date6,
    render_date_currency_amount,
    render_date_time_indication,
    render_exchange_rate,
    render_institution,
    render_instruction_code,
    render_party,
    render_statement_line,
    render_statement_number,
    render_time_indication,
)
from .spec import FieldReader, Slot, ignore_option, match_fields, slot

M = TypeVar("M", bound="FinMessage")

BANK_OPERATION_CODES = frozenset({"CRED", "SPAY", "SPRI", "SSTD"})
CHARGES_CODES = frozenset({"OUR", "SHA", "BEN"})
MT103_INSTRUCTION_CODES = frozenset(
    {"CHQB", "CORT", "HOLD", "INTC", "PHOB", "PHOI", "PHON", "REPA", "SDVA", "TELB", "TELE", "TELI"}
)
SPRI_INSTRUCTION_CODES = frozenset({"SDVA", "TELB", "PHOB", "INTC"})
MT101_INSTRUCTION_CODES = frozenset(
    {"CHQB", "CMSW", "CMTO", "CMZB", "CORT", "EQUI", "INTC", "NETS", "OTHR", "PHON", "REPA", "RTGS", "URGP"}
)
STP_INSTRUCTION_CODES = frozenset({"CORT", "INTC", "SDVA", "REPA"})
STP_INSTITUTION_OPTIONS = {"52": "A", "53": "AB", "54": "A", "55": "A", "56": "A", "57": "A"}


class FinMessage:
    """Behaviour shared by every MT domain object: rendering and the envelope's addresses."""

    MESSAGE_TYPE: ClassVar[str] = ""
    header: FinEnvelope

    @property
    def message_type(self) -> str:
        return self.MESSAGE_TYPE

    @property
    def sender_bic(self) -> str:
        return self.header.sender_bic

    @property
    def receiver_bic(self) -> str:
        return self.header.receiver_bic

    @property
    def uetr(self) -> str | None:
        return self.header.uetr

    def to_fin(self) -> str:
        """Return the wire text; raise MessageValidationError if the message breaks a rule."""
        return build_message(self)

    def to_bytes(self) -> bytes:
        return self.to_fin().encode("ascii")

    def __str__(self) -> str:
        return self.to_fin()


# --------------------------------------------------------------------------- domain objects


@dataclass(frozen=True, eq=True)
class MT103(FinMessage):
    """Single customer credit transfer (MT103; MT103 STP when block 3 carries ``{119:STP}``).

    The interbank settlement amount of :32A: is ``value_date`` / ``currency`` / ``amount``;
    the amount the customer ordered, when different, is ``instructed_amount`` (:33B:).
    """

    MESSAGE_TYPE: ClassVar[str] = "MT103"

    header: FinEnvelope
    sender_reference: str  # :20:
    value_date: date  # :32A:
    currency: str  # :32A:
    amount: Decimal  # :32A:
    ordering_customer: Party  # :50a: A/F/K
    beneficiary_customer: Party  # :59a: no letter/A/F
    details_of_charges: str = "SHA"  # :71A:
    bank_operation_code: str = "CRED"  # :23B:
    time_indications: tuple[TimeIndication, ...] = ()  # :13C:
    instruction_codes: tuple[InstructionCode, ...] = ()  # :23E:
    transaction_type_code: str | None = None  # :26T:
    instructed_amount: CurrencyAmount | None = None  # :33B:
    exchange_rate: Decimal | None = None  # :36:
    sending_institution: Institution | None = None  # :51A:
    ordering_institution: Institution | None = None  # :52a: A/D
    senders_correspondent: Institution | None = None  # :53a: A/B/D
    receivers_correspondent: Institution | None = None  # :54a: A/B/D
    third_reimbursement_institution: Institution | None = None  # :55a: A/B/D
    intermediary_institution: Institution | None = None  # :56a: A/C/D
    account_with_institution: Institution | None = None  # :57a: A/B/C/D
    remittance_information: tuple[str, ...] = ()  # :70: 4*35x
    senders_charges: tuple[CurrencyAmount, ...] = ()  # :71F:
    receivers_charges: CurrencyAmount | None = None  # :71G:
    sender_to_receiver_information: tuple[str, ...] = ()  # :72: 6*35x
    regulatory_reporting: tuple[str, ...] = ()  # :77B: 3*35x

    @property
    def reference(self) -> str:
        return self.sender_reference

    @property
    def is_stp(self) -> bool:
        """True for an MT103 STP (MT103+): block 3 validation flag ``STP``."""
        return self.header.validation_flag == "STP"


@dataclass(frozen=True)
class MT202(FinMessage):
    """General financial institution transfer (bank-to-bank, no underlying customer)."""

    MESSAGE_TYPE: ClassVar[str] = "MT202"

    header: FinEnvelope
    transaction_reference: str  # :20:
    related_reference: str  # :21: (NONREF if none)
    value_date: date  # :32A:
    currency: str  # :32A:
    amount: Decimal  # :32A:
    beneficiary_institution: Institution  # :58a: A/D
    time_indications: tuple[TimeIndication, ...] = ()  # :13C:
    ordering_institution: Institution | None = None  # :52a: A/D
    senders_correspondent: Institution | None = None  # :53a: A/B/D
    receivers_correspondent: Institution | None = None  # :54a: A/B/D
    intermediary: Institution | None = None  # :56a: A/D
    account_with_institution: Institution | None = None  # :57a: A/B/D
    sender_to_receiver_information: tuple[str, ...] = ()  # :72:


@dataclass(frozen=True)
class UnderlyingCustomerCreditTransfer:
    """Sequence B of an MT202 COV: the customer payment the cover is for."""

    ordering_customer: Party  # :50a: A/F/K
    beneficiary_customer: Party  # :59a: no letter/A/F
    ordering_institution: Institution | None = None  # :52a: A/D
    intermediary_institution: Institution | None = None  # :56a: A/C/D
    account_with_institution: Institution | None = None  # :57a: A/B/C/D
    remittance_information: tuple[str, ...] = ()  # :70:
    sender_to_receiver_information: tuple[str, ...] = ()  # :72:
    instructed_amount: CurrencyAmount | None = None  # :33B:


@dataclass(frozen=True)
class MT202COV(FinMessage):
    """Cover payment: an MT202 whose sequence B names the underlying customer transfer (block 3 ``{119:COV}``)."""

    MESSAGE_TYPE: ClassVar[str] = "MT202COV"

    header: FinEnvelope
    transaction_reference: str
    related_reference: str
    value_date: date
    currency: str
    amount: Decimal
    beneficiary_institution: Institution
    underlying: UnderlyingCustomerCreditTransfer
    time_indications: tuple[TimeIndication, ...] = ()
    ordering_institution: Institution | None = None
    senders_correspondent: Institution | None = None
    receivers_correspondent: Institution | None = None
    intermediary: Institution | None = None
    account_with_institution: Institution | None = None
    sender_to_receiver_information: tuple[str, ...] = ()


@dataclass(frozen=True)
class MT900(FinMessage):
    """Confirmation of debit: the account servicer tells the owner an account was debited."""

    MESSAGE_TYPE: ClassVar[str] = "MT900"

    header: FinEnvelope
    transaction_reference: str  # :20:
    related_reference: str  # :21:
    account: AccountIdentification  # :25a:
    value_date: date  # :32A:
    currency: str
    amount: Decimal
    date_time_indication: datetime | None = None  # :13D:
    ordering_institution: Institution | None = None  # :52a: A/D
    sender_to_receiver_information: tuple[str, ...] = ()  # :72:


@dataclass(frozen=True)
class MT910(FinMessage):
    """Confirmation of credit: the account servicer tells the owner an account was credited."""

    MESSAGE_TYPE: ClassVar[str] = "MT910"

    header: FinEnvelope
    transaction_reference: str
    related_reference: str
    account: AccountIdentification
    value_date: date
    currency: str
    amount: Decimal
    date_time_indication: datetime | None = None
    ordering_customer: Party | None = None  # :50a: A/F/K
    ordering_institution: Institution | None = None  # :52a: A/D
    intermediary: Institution | None = None  # :56a: A/D
    sender_to_receiver_information: tuple[str, ...] = ()


@dataclass(frozen=True)
class MT199(FinMessage):
    """Free format message between banks; SWIFT gpi also uses it for payment status confirmations.

    ``narrative`` is :79: (at most 35 lines of 50 characters). A gpi status confirmation carries the
    UETR of the payment in block 3 and lines such as ``//1811061530+0100`` and ``//ACSC``.
    """

    MESSAGE_TYPE: ClassVar[str] = "MT199"

    header: FinEnvelope
    transaction_reference: str  # :20:
    narrative: tuple[str, ...]  # :79: 35*50x
    related_reference: str | None = None  # :21:


@dataclass(frozen=True)
class MT101Transaction:
    """One sequence B of an MT101: a transfer the account owner asks the receiver to make.

    ``instructing_party`` (:50C:/:50L:) and ``ordering_customer`` (:50F:/:50G:/:50H:) are given here
    or once in sequence A (network rules C2/C3); ``charges_account`` is :25A: without its ``/``.
    """

    reference: str  # :21:
    currency: str  # :32B:
    amount: Decimal
    beneficiary: Party  # :59a: (no letter, A, F)
    details_of_charges: str  # :71A: OUR / SHA / BEN
    fx_deal_reference: str | None = None  # :21F:
    instruction_codes: tuple[InstructionCode, ...] = ()  # :23E:
    instructing_party: Party | None = None  # :50C: / :50L:
    ordering_customer: Party | None = None  # :50F: / :50G: / :50H:
    account_servicing_institution: Institution | None = None  # :52A: / :52C:
    intermediary: Institution | None = None  # :56A: / :56C: / :56D:
    account_with_institution: Institution | None = None  # :57A: / :57C: / :57D:
    remittance_information: tuple[str, ...] = ()  # :70: 4*35x
    regulatory_reporting: tuple[str, ...] = ()  # :77B: 3*35x
    original_ordered_amount: CurrencyAmount | None = None  # :33B:
    charges_account: str | None = None  # :25A:
    exchange_rate: Decimal | None = None  # :36:


@dataclass(frozen=True)
class MT101(FinMessage):
    """Request for transfer: an account owner (or its agent) asks the account servicer to pay.

    Sequence A once, then one :class:`MT101Transaction` per sequence B. ``message_index`` /
    ``message_total`` are :28D: (a request split over several messages).
    """

    MESSAGE_TYPE: ClassVar[str] = "MT101"

    header: FinEnvelope
    sender_reference: str  # :20:
    message_index: int  # :28D: 5n/5n
    message_total: int
    requested_execution_date: date  # :30:
    transactions: tuple[MT101Transaction, ...]
    customer_reference: str | None = None  # :21R:
    instructing_party: Party | None = None  # :50C: / :50L:
    ordering_customer: Party | None = None  # :50F: / :50G: / :50H:
    account_servicing_institution: Institution | None = None  # :52A: / :52C:
    sending_institution: Institution | None = None  # :51A:
    authorisation: str | None = None  # :25:


@dataclass(frozen=True)
class OriginalMessage:
    """:11S: / :11R: MT and date of the original message, with its session and ISN when given.

    ``message_type`` is the three digits (``103``), ``date`` the original's sending date (6!n),
    ``session_number`` 4!n and ``sequence_number`` (ISN/OSN) 6!n, both optional.
    """

    message_type: str
    date: date
    session_number: str | None = None
    sequence_number: str | None = None


@dataclass(frozen=True)
class MT192(FinMessage):
    """Request for cancellation (category 1; MT292 is its category 2 twin, e.g. for an MT202).

    :79: describes the original message and/or the copy of at least its mandatory fields follows
    (``original_fields``, tag and text as they were); network rule C1 wants at least one of them.
    """

    MESSAGE_TYPE: ClassVar[str] = "MT192"

    header: FinEnvelope
    transaction_reference: str  # :20:
    related_reference: str  # :21: the original's :20:
    original_message: OriginalMessage  # :11S:
    narrative: tuple[str, ...] = ()  # :79: 35*50x
    original_fields: tuple[tuple[str, str], ...] = ()  # copy of fields of the original message

    def original_field(self, tag: str) -> str | None:
        """The text of the first copied field with ``tag`` (``"32A"``), or None."""
        return next((value for copied, value in self.original_fields if copied == tag), None)


@dataclass(frozen=True)
class MT292(MT192):
    """Request for cancellation, category 2 (same layout as MT192)."""

    MESSAGE_TYPE: ClassVar[str] = "MT292"


#: MT196 :76: answer codes (SWIFT cancellation answer codes used with gpi stop-and-recall).
CANCELLATION_ANSWER_CODES = frozenset({"CNCL", "PDCR", "RJCR"})


@dataclass(frozen=True)
class MT196(FinMessage):
    """Answers (category 1; MT296 for category 2): the reply to an MT192 or another query.

    :76: holds the answers (6*35x); for a cancellation its first line is ``/CNCL/`` (cancelled),
    ``/PDCR/`` (pending) or ``/RJCR/`` (rejected), optionally followed by a reason code, e.g.
    ``/RJCR/NOOR``; :11a: names the message answered (option R: received, S: sent).
    """

    MESSAGE_TYPE: ClassVar[str] = "MT196"

    header: FinEnvelope
    transaction_reference: str  # :20:
    related_reference: str  # :21:
    answers: tuple[str, ...]  # :76: 6*35x
    narrative_77a: tuple[str, ...] = ()  # :77A: 20*35x
    original_message: OriginalMessage | None = None  # :11a:
    original_message_option: str | None = None  # "R" or "S"
    narrative: tuple[str, ...] = ()  # :79: 35*50x
    original_fields: tuple[tuple[str, str], ...] = ()

    @property
    def answer_code(self) -> str | None:
        """CNCL / PDCR / RJCR when the first answer line starts with one, else None."""
        match = re.match(r"^/([A-Z]{4})/", self.answers[0]) if self.answers else None
        return match[1] if match and match[1] in CANCELLATION_ANSWER_CODES else None

    @property
    def reason_code(self) -> str | None:
        """The reason after the answer code (``/RJCR/NOOR`` -> ``NOOR``), if any."""
        match = re.match(r"^/[A-Z]{4}/([A-Z0-9]{4})", self.answers[0]) if self.answers else None
        return match[1] if match else None


@dataclass(frozen=True)
class MT296(MT196):
    """Answers, category 2 (same layout as MT196)."""

    MESSAGE_TYPE: ClassVar[str] = "MT296"


@dataclass(frozen=True)
class MT299(MT199):
    """Free format message, category 2 (between financial institutions about cash transfers); as MT199."""

    MESSAGE_TYPE: ClassVar[str] = "MT299"


@dataclass(frozen=True)
class MT940(FinMessage):
    """Customer statement message: balances and entries, with :86: information per entry."""

    MESSAGE_TYPE: ClassVar[str] = "MT940"

    header: FinEnvelope
    transaction_reference: str  # :20:
    account: AccountIdentification  # :25a:
    statement_number: StatementNumber  # :28C:
    opening_balance: Balance  # :60F: / :60M:
    closing_balance: Balance  # :62F: / :62M:
    statement_lines: tuple[StatementLine, ...] = ()  # :61: (+ :86:)
    related_reference: str | None = None  # :21:
    closing_available_balance: Balance | None = None  # :64:
    forward_available_balances: tuple[Balance, ...] = ()  # :65:
    information_to_account_owner: tuple[str, ...] = ()  # final :86: 6*65x


@dataclass(frozen=True)
class MT950(FinMessage):
    """Statement message between banks: like MT940 without :21: and :86:."""

    MESSAGE_TYPE: ClassVar[str] = "MT950"

    header: FinEnvelope
    transaction_reference: str
    account: AccountIdentification
    statement_number: StatementNumber
    opening_balance: Balance
    closing_balance: Balance
    statement_lines: tuple[StatementLine, ...] = ()
    closing_available_balance: Balance | None = None
    forward_available_balances: tuple[Balance, ...] = ()


# --------------------------------------------------------------------------- writing helpers


class Emitter:
    """Collects ``(tag, text)`` pairs for block 4, turning a bad value into a FieldError instead of a traceback."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.fields: list[tuple[str, str]] = []

    def call(self, label_tag: str, produce: Callable[[], tuple[str, str]]) -> None:
        try:
            tag, text = produce()
        except (TypeError, ValueError, AttributeError, ArithmeticError, IndexError, KeyError) as exc:
            # Builder input comes from callers; a wrong type is reported like any other rule break.
            self.problems.add(f":{label_tag}:", f"cannot be written: {exc}")
            return
        self.fields.append((tag, text))

    def text(self, tag: str, value: str | None) -> None:
        if value is not None:
            self.call(tag, lambda: (tag, _single_line(value)))

    def lines(self, tag: str, values: Iterable[str]) -> None:
        if values:
            self.call(tag, lambda: (tag, "\n".join(_single_line(v) for v in values)))

    def value(self, tag: str, value: Any, render: Callable[[Any], str]) -> None:
        if value is not None:
            self.call(tag, lambda: (tag, render(value)))

    def each(self, tag: str, values: Iterable[Any], render: Callable[[Any], str]) -> None:
        for value in values or ():
            self.value(tag, value, render)

    def party(self, base: str, value: Party | None) -> None:
        if value is not None:
            self.call(base + "a", lambda: _with_base(base, render_party(value)))

    def institution(self, base: str, value: Institution | None) -> None:
        if value is not None:
            self.call(base + "a", lambda: _with_base(base, render_institution(value)))


def _single_line(value: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    if "\n" in value or "\r" in value:
        raise ValueError("a line must not contain a line break")
    return value


def _with_base(base: str, rendered: tuple[str, str]) -> tuple[str, str]:
    option, text = rendered
    for line in text.split("\n"):
        _single_line(line)
    return base + option, text


# --------------------------------------------------------------------------- reading helpers

_reference = ignore_option(parse_reference)
_date_currency_amount = ignore_option(parse_date_currency_amount)
_time_indication = ignore_option(parse_time_indication)
_date_time_indication = ignore_option(parse_date_time_indication)
_exchange_rate = ignore_option(parse_exchange_rate)
_statement_number = ignore_option(parse_statement_number)


def _currency_amount(option: str, text: str, label: str, line: int | None, problems: Problems) -> CurrencyAmount | None:
    return parse_currency_amount(text, label, line, problems)


def _charges_amount(option: str, text: str, label: str, line: int | None, problems: Problems) -> CurrencyAmount | None:
    return parse_currency_amount(text, label, line, problems, allow_zero=True)


def _narrative(
    max_lines: int, width: int = 35
) -> Callable[[str, str, str, int | None, Problems], tuple[str, ...] | None]:
    def parse(option: str, text: str, label: str, line: int | None, problems: Problems) -> tuple[str, ...] | None:
        return parse_lines(text, label, line, problems, max_lines=max_lines, width=width)

    return parse


def _code(allowed: frozenset[str]) -> Callable[[str, str, str, int | None, Problems], str | None]:
    def parse(option: str, text: str, label: str, line: int | None, problems: Problems) -> str | None:
        return parse_code(text, allowed, label, line, problems)

    return parse


def _transaction_type_code(option: str, text: str, label: str, line: int | None, problems: Problems) -> str | None:
    if not re.match(r"^[A-Z0-9]{3}$", text):
        problems.add(label, f"transaction type code must be 3 upper-case letters or digits, got {text!r}", line)
        return None
    return text


def _instruction_code(
    option: str, text: str, label: str, line: int | None, problems: Problems
) -> InstructionCode | None:
    return parse_instruction_code(text, MT103_INSTRUCTION_CODES, label, line, problems)


def _dca(reader: FieldReader) -> tuple[Any, Any, Any]:
    return reader.one("32A", _date_currency_amount) or (None, None, None)


# --------------------------------------------------------------------------- MT103

MT103_SLOTS = [
    slot("20", "20", True),
    slot("13C", "13C", repeatable=True),
    slot("23B", "23B", True),
    slot("23E", "23E", repeatable=True),
    slot("26T", "26T"),
    slot("32A", "32A", True),
    slot("33B", "33B"),
    slot("36", "36"),
    slot("50", "50AFK", True),
    slot("51", "51A"),
    slot("52", "52AD"),
    slot("53", "53ABD"),
    slot("54", "54ABD"),
    slot("55", "55ABD"),
    slot("56", "56ACD"),
    slot("57", "57ABCD"),
    slot("59", "59 AF", True),
    slot("70", "70"),
    slot("71A", "71A", True),
    slot("71F", "71F", repeatable=True),
    slot("71G", "71G"),
    slot("72", "72"),
    slot("77B", "77B"),
]


def _decode_mt103(r: FieldReader, header: FinEnvelope | None) -> MT103:
    value_date, currency, amount = _dca(r)
    return MT103(
        header=header,  # type: ignore[arg-type]
        sender_reference=r.one("20", _reference),  # type: ignore[arg-type]
        time_indications=r.each("13C", _time_indication),
        bank_operation_code=r.one("23B", _code(BANK_OPERATION_CODES)),  # type: ignore[arg-type]
        instruction_codes=r.each("23E", _instruction_code),
        transaction_type_code=r.one("26T", _transaction_type_code),
        value_date=value_date,
        currency=currency,
        amount=amount,
        instructed_amount=r.one("33B", _currency_amount),
        exchange_rate=r.one("36", _exchange_rate),
        ordering_customer=r.one("50", parse_party),  # type: ignore[arg-type]
        sending_institution=r.one("51", parse_institution),
        ordering_institution=r.one("52", parse_institution),
        senders_correspondent=r.one("53", parse_institution),
        receivers_correspondent=r.one("54", parse_institution),
        third_reimbursement_institution=r.one("55", parse_institution),
        intermediary_institution=r.one("56", parse_institution),
        account_with_institution=r.one("57", parse_institution),
        beneficiary_customer=r.one("59", parse_party),  # type: ignore[arg-type]
        remittance_information=r.one("70", _narrative(4)) or (),
        details_of_charges=r.one("71A", _code(CHARGES_CODES)),  # type: ignore[arg-type]
        senders_charges=r.each("71F", _charges_amount),
        receivers_charges=r.one("71G", _currency_amount),
        sender_to_receiver_information=r.one("72", _narrative(6)) or (),
        regulatory_reporting=r.one("77B", _narrative(3)) or (),
    )


def _encode_mt103(m: MT103, e: Emitter) -> None:
    e.text("20", m.sender_reference)
    e.each("13C", m.time_indications, render_time_indication)
    e.text("23B", m.bank_operation_code)
    e.each("23E", m.instruction_codes, render_instruction_code)
    e.text("26T", m.transaction_type_code)
    e.call("32A", lambda: ("32A", render_date_currency_amount(m.value_date, m.currency, m.amount)))
    e.value("33B", m.instructed_amount, render_currency_amount)
    e.value("36", m.exchange_rate, render_exchange_rate)
    e.party("50", m.ordering_customer)
    e.institution("51", m.sending_institution)
    e.institution("52", m.ordering_institution)
    e.institution("53", m.senders_correspondent)
    e.institution("54", m.receivers_correspondent)
    e.institution("55", m.third_reimbursement_institution)
    e.institution("56", m.intermediary_institution)
    e.institution("57", m.account_with_institution)
    e.party("59", m.beneficiary_customer)
    e.lines("70", m.remittance_information)
    e.text("71A", m.details_of_charges)
    e.each("71F", m.senders_charges, render_currency_amount)
    e.value("71G", m.receivers_charges, render_currency_amount)
    e.lines("72", m.sender_to_receiver_information)
    e.lines("77B", m.regulatory_reporting)


def _rules_mt103(m: MT103, r: FieldReader, p: Problems) -> None:
    """Network validated rules of MT103 and, with ``{119:STP}``, the MT103 STP restrictions."""
    if r.present("33B"):
        if m.instructed_amount is not None and m.currency is not None:
            differs = m.instructed_amount.currency != m.currency
            if differs and not r.present("36"):
                p.rule(":36:", "exchange rate is mandatory when the :33B: currency differs from :32A:", r.line("33B"))
            if not differs and r.present("36"):
                p.rule(":36:", "exchange rate is not allowed when :33B: and :32A: have the same currency", r.line("36"))
    elif r.present("36"):
        p.rule(":36:", "exchange rate is not allowed without :33B:", r.line("36"))
    charges = m.details_of_charges
    if charges == "OUR" and r.present("71F"):
        p.rule(":71F:", "sender's charges are not allowed when :71A: is OUR", r.line("71F"))
    if charges in ("SHA", "BEN") and r.present("71G"):
        p.rule(":71G:", f"receiver's charges are not allowed when :71A: is {charges}", r.line("71G"))
    if charges == "BEN" and not r.present("71F"):
        p.rule(":71F:", "at least one :71F: is mandatory when :71A: is BEN", r.line("71A"))
    if (r.present("71F") or r.present("71G")) and not r.present("33B"):
        p.rule(":33B:", "instructed amount is mandatory when :71F: or :71G: is present", r.line("71F") or r.line("71G"))
    codes = [c.code for c in m.instruction_codes]
    if m.bank_operation_code in ("SPAY", "SSTD") and r.present("23E"):
        p.rule(":23E:", f"instruction codes are not allowed when :23B: is {m.bank_operation_code}", r.line("23E"))
    if m.bank_operation_code == "SPRI" and any(c not in SPRI_INSTRUCTION_CODES for c in codes):
        p.rule(":23E:", "with :23B: SPRI only SDVA, TELB, PHOB and INTC are allowed", r.line("23E"))
    _require_57_with_56(r, p, "56", "57")
    if r.present("55"):
        for base in ("53", "54"):
            if not r.present(base):
                p.rule(f":{base}a:", "mandatory when :55a: third reimbursement institution is present", r.line("55"))
    if m.header is not None and m.header.validation_flag == "STP":
        _rules_mt103_stp(m, r, p, codes)


def _rules_mt103_stp(m: MT103, r: FieldReader, p: Problems, codes: list[str]) -> None:
    for base, options in STP_INSTITUTION_OPTIONS.items():
        for item in r.items(base):
            if item.option not in options:
                p.rule(
                    item.field.label,
                    f"option {item.option} is not allowed in MT103 STP (allowed: {', '.join(options)})",
                    item.field.line,
                )
    if r.present("51"):
        p.rule(":51A:", "sending institution is not allowed in MT103 STP", r.line("51"))
    bad = [c for c in codes if c not in STP_INSTRUCTION_CODES]
    if bad:
        p.rule(":23E:", f"MT103 STP allows only CORT, INTC, SDVA, REPA, got {', '.join(bad)}", r.line("23E"))
    for item in r.items("53"):
        if item.option == "B" and not item.field.value.startswith("/"):
            p.rule(item.field.label, "in MT103 STP option B needs the party identifier (/account)", item.field.line)
    if any(line.startswith(("/REJT/", "/RETN/")) for line in m.sender_to_receiver_information):
        p.rule(":72:", "codes REJT and RETN are not allowed in MT103 STP", r.line("72"))
    if m.beneficiary_customer is not None and m.beneficiary_customer.account is None:
        p.rule(":59a:", "MT103 STP requires the beneficiary customer's account", r.line("59"))


def _require_57_with_56(r: FieldReader, p: Problems, intermediary: str, account_with: str) -> None:
    if r.present(intermediary) and not r.present(account_with):
        p.rule(
            ":57a:", "account with institution is mandatory when :56a: intermediary is present", r.line(intermediary)
        )


# --------------------------------------------------------------------------- MT202 / MT202 COV

MT202_SLOTS = [
    slot("20", "20", True),
    slot("21", "21", True),
    slot("13C", "13C", repeatable=True),
    slot("32A", "32A", True),
    slot("52", "52AD"),
    slot("53", "53ABD"),
    slot("54", "54ABD"),
    slot("56", "56AD"),
    slot("57", "57ABD"),
    slot("58", "58AD", True),
    slot("72", "72"),
]

MT202COV_SLOTS = MT202_SLOTS + [
    slot("B50", "50AFK", True),
    slot("B52", "52AD"),
    slot("B56", "56ACD"),
    slot("B57", "57ABCD"),
    slot("B59", "59 AF", True),
    slot("B70", "70"),
    slot("B72", "72"),
    slot("B33B", "33B"),
]


def _decode_mt202_common(r: FieldReader) -> dict[str, Any]:
    value_date, currency, amount = _dca(r)
    return {
        "transaction_reference": r.one("20", _reference),
        "related_reference": r.one("21", _reference),
        "time_indications": r.each("13C", _time_indication),
        "value_date": value_date,
        "currency": currency,
        "amount": amount,
        "ordering_institution": r.one("52", parse_institution),
        "senders_correspondent": r.one("53", parse_institution),
        "receivers_correspondent": r.one("54", parse_institution),
        "intermediary": r.one("56", parse_institution),
        "account_with_institution": r.one("57", parse_institution),
        "beneficiary_institution": r.one("58", parse_institution),
        "sender_to_receiver_information": r.one("72", _narrative(6)) or (),
    }


def _decode_mt202(r: FieldReader, header: FinEnvelope | None) -> MT202:
    return MT202(header=header, **_decode_mt202_common(r))  # type: ignore[arg-type]


def _decode_mt202cov(r: FieldReader, header: FinEnvelope | None) -> MT202COV:
    underlying = UnderlyingCustomerCreditTransfer(
        ordering_customer=r.one("B50", parse_party),  # type: ignore[arg-type]
        ordering_institution=r.one("B52", parse_institution),
        intermediary_institution=r.one("B56", parse_institution),
        account_with_institution=r.one("B57", parse_institution),
        beneficiary_customer=r.one("B59", parse_party),  # type: ignore[arg-type]
        remittance_information=r.one("B70", _narrative(4)) or (),
        sender_to_receiver_information=r.one("B72", _narrative(6)) or (),
        instructed_amount=r.one("B33B", _currency_amount),
    )
    return MT202COV(header=header, underlying=underlying, **_decode_mt202_common(r))  # type: ignore[arg-type]


def _encode_mt202(m: MT202 | MT202COV, e: Emitter) -> None:
    e.text("20", m.transaction_reference)
    e.text("21", m.related_reference)
    e.each("13C", m.time_indications, render_time_indication)
    e.call("32A", lambda: ("32A", render_date_currency_amount(m.value_date, m.currency, m.amount)))
    e.institution("52", m.ordering_institution)
    e.institution("53", m.senders_correspondent)
    e.institution("54", m.receivers_correspondent)
    e.institution("56", m.intermediary)
    e.institution("57", m.account_with_institution)
    e.institution("58", m.beneficiary_institution)
    e.lines("72", m.sender_to_receiver_information)


def _encode_mt202cov(m: MT202COV, e: Emitter) -> None:
    _encode_mt202(m, e)
    b = m.underlying
    if not isinstance(b, UnderlyingCustomerCreditTransfer):
        e.problems.add(":50a:", "sequence B (underlying customer credit transfer) is mandatory in MT202 COV")
        return
    e.party("50", b.ordering_customer)
    e.institution("52", b.ordering_institution)
    e.institution("56", b.intermediary_institution)
    e.institution("57", b.account_with_institution)
    e.party("59", b.beneficiary_customer)
    e.lines("70", b.remittance_information)
    e.lines("72", b.sender_to_receiver_information)
    e.value("33B", b.instructed_amount, render_currency_amount)


def _rules_mt202(m: MT202, r: FieldReader, p: Problems) -> None:
    _require_57_with_56(r, p, "56", "57")


def _rules_mt202cov(m: MT202COV, r: FieldReader, p: Problems) -> None:
    _require_57_with_56(r, p, "56", "57")
    _require_57_with_56(r, p, "B56", "B57")


# --------------------------------------------------------------------------- MT900 / MT910

MT900_SLOTS = [
    slot("20", "20", True),
    slot("21", "21", True),
    slot("25", "25 P", True),
    slot("13D", "13D"),
    slot("32A", "32A", True),
    slot("52", "52AD"),
    slot("72", "72"),
]

MT910_SLOTS = [
    slot("20", "20", True),
    slot("21", "21", True),
    slot("25", "25 P", True),
    slot("13D", "13D"),
    slot("32A", "32A", True),
    slot("50", "50AFK"),
    slot("52", "52AD"),
    slot("56", "56AD"),
    slot("72", "72"),
]


def _decode_confirmation(r: FieldReader) -> dict[str, Any]:
    value_date, currency, amount = _dca(r)
    return {
        "transaction_reference": r.one("20", _reference),
        "related_reference": r.one("21", _reference),
        "account": r.one("25", parse_account_identification),
        "date_time_indication": r.one("13D", _date_time_indication),
        "value_date": value_date,
        "currency": currency,
        "amount": amount,
        "ordering_institution": r.one("52", parse_institution),
        "sender_to_receiver_information": r.one("72", _narrative(6)) or (),
    }


def _decode_mt900(r: FieldReader, header: FinEnvelope | None) -> MT900:
    return MT900(header=header, **_decode_confirmation(r))  # type: ignore[arg-type]


def _decode_mt910(r: FieldReader, header: FinEnvelope | None) -> MT910:
    return MT910(
        header=header,  # type: ignore[arg-type]
        ordering_customer=r.one("50", parse_party),
        intermediary=r.one("56", parse_institution),
        **_decode_confirmation(r),
    )


def _encode_confirmation(m: MT900 | MT910, e: Emitter) -> None:
    e.text("20", m.transaction_reference)
    e.text("21", m.related_reference)
    e.call("25", lambda: _with_base("25", render_account_identification(m.account)))
    e.value("13D", m.date_time_indication, render_date_time_indication)
    e.call("32A", lambda: ("32A", render_date_currency_amount(m.value_date, m.currency, m.amount)))
    if isinstance(m, MT910):
        e.party("50", m.ordering_customer)
    e.institution("52", m.ordering_institution)
    if isinstance(m, MT910):
        e.institution("56", m.intermediary)
    e.lines("72", m.sender_to_receiver_information)


def _rules_mt900(m: MT900, r: FieldReader, p: Problems) -> None:
    """MT900 has no cross-field network rules beyond field order and presence."""


def _rules_mt910(m: MT910, r: FieldReader, p: Problems) -> None:
    if not r.present("50") and not r.present("52"):
        p.rule(":50a:", "either :50a: ordering customer or :52a: ordering institution must be present", r.line("32A"))


# --------------------------------------------------------------------------- MT199

MT199_SLOTS = [
    slot("20", "20", True),
    slot("21", "21"),
    slot("79", "79", True),
]


def _decode_mt199(r: FieldReader, header: FinEnvelope | None, cls: type[MT199] = MT199) -> MT199:
    return cls(
        header=header,  # type: ignore[arg-type]
        transaction_reference=r.one("20", _reference),
        related_reference=r.one("21", _reference),
        narrative=r.one("79", _narrative(35, 50)) or (),
    )


def _encode_mt199(m: MT199, e: Emitter) -> None:
    e.text("20", m.transaction_reference)
    e.text("21", m.related_reference)
    e.lines("79", m.narrative)


def _rules_mt199(m: MT199, r: FieldReader, p: Problems) -> None:
    """MT199 has no cross-field network rules beyond field order and presence."""


# --------------------------------------------------------------------------- MT101

_B = "21"  # the slot that opens a sequence B
MT101_SLOTS = [
    slot("20", "20", True),
    slot("21R", "21R"),
    slot("28D", "28D", True),
    slot("50IA", "50CL"),
    slot("50OA", "50FGH"),
    slot("52A", "52AC"),
    slot("51A", "51A"),
    slot("30", "30", True),
    slot("25", "25"),
    # sequence B, repeated: every slot may be followed by the :21: of the next transaction
    slot(_B, "21", True, loop_to=_B),
    slot("21F", "21F", loop_to=_B),
    slot("23E", "23E", repeatable=True, loop_to=_B),
    slot("32B", "32B", True, loop_to=_B),
    slot("50IB", "50CL", loop_to=_B),
    slot("50OB", "50FGH", loop_to=_B),
    slot("52B", "52AC", loop_to=_B),
    slot("56", "56ACD", loop_to=_B),
    slot("57", "57ACD", loop_to=_B),
    slot("59", "59 AF", True, loop_to=_B),
    slot("70", "70", loop_to=_B),
    slot("77B", "77B", loop_to=_B),
    slot("33B", "33B", loop_to=_B),
    slot("71A", "71A", True, loop_to=_B),
    slot("25A", "25A", loop_to=_B),
    slot("36", "36", loop_to=_B),
]
_B_START = next(index for index, candidate in enumerate(MT101_SLOTS) if candidate.name == _B)
_MT101_B_MANDATORY = (("32B", ":32B:"), ("59", ":59a:"), ("71A", ":71A:"))
_MESSAGE_INDEX_RE = re.compile(r"^([0-9]{1,5})/([0-9]{1,5})$")


def _message_index(option: str, text: str, label: str, line: int | None, problems: Problems) -> tuple[int, int] | None:
    match = _MESSAGE_INDEX_RE.match(text)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        problems.add(label, f"expected index/total (5n/5n, 1 <= index <= total), got {text!r}", line)
        return None
    return int(match[1]), int(match[2])


def _date(option: str, text: str, label: str, line: int | None, problems: Problems) -> date | None:
    return parse_date6(text, label, line, problems)


def _charges_account(option: str, text: str, label: str, line: int | None, problems: Problems) -> str | None:
    if not text.startswith("/") or "\n" in text or not 2 <= len(text) <= 35:
        problems.add(label, f"expected /34x (the account charges are taken from), got {text!r}", line)
        return None
    return text[1:]


def _authorisation(option: str, text: str, label: str, line: int | None, problems: Problems) -> str | None:
    if "\n" in text or not text or len(text) > 35:
        problems.add(label, "authorisation is one line of 1 to 35 characters", line)
        return None
    return text


def _mt101_instruction_code(
    option: str, text: str, label: str, line: int | None, problems: Problems
) -> InstructionCode | None:
    return parse_instruction_code(text, MT101_INSTRUCTION_CODES, label, line, problems)


def _sequence_b_groups(r: FieldReader) -> list[FieldReader]:
    """One reader per sequence B, in order (split where the :21: slot starts again)."""
    groups: list[list[Any]] = []
    for item in r.matched:
        if item.slot.name == _B:
            groups.append([])
        if groups and MT101_SLOTS.index(item.slot) >= _B_START:
            groups[-1].append(item)
    return [FieldReader(group, r.problems) for group in groups]


def _decode_mt101(r: FieldReader, header: FinEnvelope | None) -> MT101:
    index = r.one("28D", _message_index)
    transactions = []
    for group in _sequence_b_groups(r):
        amount = group.one("32B", _currency_amount)
        for name, label in _MT101_B_MANDATORY:
            if not group.present(name):
                r.problems.add(
                    label,
                    f"mandatory field is missing in the transaction {group.one(_B, _reference)!r}",
                    group.line(_B),
                )
        transactions.append(
            MT101Transaction(
                reference=group.one(_B, _reference),  # type: ignore[arg-type]
                fx_deal_reference=group.one("21F", _reference),
                instruction_codes=group.each("23E", _mt101_instruction_code),
                currency=amount.currency if amount else "",
                amount=amount.amount if amount else Decimal(0),
                instructing_party=group.one("50IB", parse_party),
                ordering_customer=group.one("50OB", parse_party),
                account_servicing_institution=group.one("52B", parse_institution),
                intermediary=group.one("56", parse_institution),
                account_with_institution=group.one("57", parse_institution),
                beneficiary=group.one("59", parse_party),  # type: ignore[arg-type]
                remittance_information=group.one("70", _narrative(4)) or (),
                regulatory_reporting=group.one("77B", _narrative(3)) or (),
                original_ordered_amount=group.one("33B", _currency_amount),
                details_of_charges=group.one("71A", _code(CHARGES_CODES)) or "",
                charges_account=group.one("25A", _charges_account),
                exchange_rate=group.one("36", _exchange_rate),
            )
        )
    return MT101(
        header=header,  # type: ignore[arg-type]
        sender_reference=r.one("20", _reference),  # type: ignore[arg-type]
        customer_reference=r.one("21R", _reference),
        message_index=index[0] if index else 0,
        message_total=index[1] if index else 0,
        instructing_party=r.one("50IA", parse_party),
        ordering_customer=r.one("50OA", parse_party),
        account_servicing_institution=r.one("52A", parse_institution),
        sending_institution=r.one("51A", parse_institution),
        requested_execution_date=r.one("30", _date),  # type: ignore[arg-type]
        authorisation=r.one("25", _authorisation),
        transactions=tuple(transactions),
    )


def _encode_mt101(m: MT101, e: Emitter) -> None:
    e.text("20", m.sender_reference)
    e.text("21R", m.customer_reference)
    e.call("28D", lambda: ("28D", f"{int(m.message_index)}/{int(m.message_total)}"))
    e.party("50", m.instructing_party)
    e.party("50", m.ordering_customer)
    e.institution("52", m.account_servicing_institution)
    e.institution("51", m.sending_institution)
    e.value("30", m.requested_execution_date, render_date6)
    e.text("25", m.authorisation)
    for tx in m.transactions or ():
        e.text("21", tx.reference)
        e.text("21F", tx.fx_deal_reference)
        e.each("23E", tx.instruction_codes, render_instruction_code)
        e.call("32B", lambda tx=tx: ("32B", render_currency_amount(CurrencyAmount(tx.currency, tx.amount))))
        e.party("50", tx.instructing_party)
        e.party("50", tx.ordering_customer)
        e.institution("52", tx.account_servicing_institution)
        e.institution("56", tx.intermediary)
        e.institution("57", tx.account_with_institution)
        e.party("59", tx.beneficiary)
        e.lines("70", tx.remittance_information)
        e.lines("77B", tx.regulatory_reporting)
        e.value("33B", tx.original_ordered_amount, render_currency_amount)
        e.text("71A", tx.details_of_charges)
        e.value("25A", tx.charges_account, lambda account: f"/{account}")
        e.value("36", tx.exchange_rate, render_exchange_rate)


def _rules_mt101(m: MT101, r: FieldReader, p: Problems) -> None:
    """The MT101 network validated rules C1-C4 that concern fields we read (as warnings)."""
    if not m.transactions:
        p.add(":21:", "an MT101 needs at least one transaction (sequence B)", r.line("30"))
    for group, tx in zip(_sequence_b_groups(r), m.transactions, strict=False):
        where = group.line(_B)
        if tx.exchange_rate is not None and tx.fx_deal_reference is None:
            p.rule(
                ":21F:", f"transaction {tx.reference}: :36: exchange rate needs :21F: F/X deal reference (C1)", where
            )
        if tx.original_ordered_amount is not None and tx.amount != 0 and tx.exchange_rate is None:
            p.rule(
                ":36:", f"transaction {tx.reference}: :33B: with a non-zero :32B: needs :36: exchange rate (C2)", where
            )
        if (m.ordering_customer is None) == (tx.ordering_customer is None):
            p.rule(
                ":50a:",
                f"transaction {tx.reference}: the ordering customer (:50F/G/H:) is given in sequence A or in every"
                " transaction, not both and not neither (C3)",
                where,
            )
        if m.instructing_party is not None and tx.instructing_party is not None:
            p.rule(
                ":50a:",
                f"transaction {tx.reference}: the instructing party is in sequence A or B, not both (C4)",
                where,
            )
        if (m.account_servicing_institution is not None) and (tx.account_servicing_institution is not None):
            p.rule(":52a:", f"transaction {tx.reference}: :52a: is in sequence A or B, not both (C5)", where)


# --------------------------------------------------------------------------- MT192 / MT196 (and MT292 / MT296)

MT192_SLOTS = [
    slot("20", "20", True),
    slot("21", "21", True),
    slot("11S", "11S", True),
    slot("79", "79"),
]

MT196_SLOTS = [
    slot("20", "20", True),
    slot("21", "21", True),
    slot("76", "76", True),
    slot("77A", "77A"),
    slot("11", "11RS"),
    slot("79", "79"),
]

_ORIGINAL_MESSAGE_RE = re.compile(r"^([0-9]{3})\n([0-9]{6})(?:\n([0-9]{4})([0-9]{6}))?$")


def _original_message(
    option: str, text: str, label: str, line: int | None, problems: Problems
) -> OriginalMessage | None:
    """:11R:/:11S: ``3!n`` newline ``6!n`` [newline ``4!n6!n``]: MT, date, [session and ISN/OSN]."""
    match = _ORIGINAL_MESSAGE_RE.match(text)
    if not match:
        problems.add(label, f"expected 3!n, a line 6!n and optionally a line 4!n6!n, got {text!r}", line)
        return None
    sent = parse_date6(match[2], label, None if line is None else line + 1, problems)
    if sent is None:
        return None
    return OriginalMessage(match[1], sent, match[3], match[4])


def _render_original_message(value: OriginalMessage) -> str:
    text = f"{value.message_type}\n{render_date6(value.date)}"
    if value.session_number is not None or value.sequence_number is not None:
        text += f"\n{value.session_number or ''}{value.sequence_number or ''}"
    return text


def split_original_copy(fields: list[RawField]) -> tuple[list[RawField], list[RawField]]:
    """Split an n92/n96 block 4 into its own fields and the copy of the original message's fields.

    The copy follows :11a: (and the :79: right after it, if any); it may repeat any tag, :20: included.
    """
    index = next((i for i, raw in enumerate(fields) if raw.tag[:2] == "11"), None)
    if index is None:
        return fields, []
    start = index + 1
    if start < len(fields) and fields[start].tag == "79":
        start += 1
    return fields[:start], fields[start:]


def _copy_of(r: FieldReader) -> tuple[tuple[str, str], ...]:
    return tuple((raw.tag, raw.value) for raw in getattr(r, "original_copy", []))


def _decode_mt192(r: FieldReader, header: FinEnvelope | None, cls: type[MT192] = MT192) -> MT192:
    return cls(
        header=header,  # type: ignore[arg-type]
        transaction_reference=r.one("20", _reference),
        related_reference=r.one("21", _reference),
        original_message=r.one("11S", _original_message),
        narrative=r.one("79", _narrative(35, 50)) or (),
        original_fields=_copy_of(r),
    )


def _encode_mt192(m: MT192, e: Emitter) -> None:
    e.text("20", m.transaction_reference)
    e.text("21", m.related_reference)
    e.value("11S", m.original_message, _render_original_message)
    e.lines("79", m.narrative)
    _encode_copy(m.original_fields, e)


def _encode_copy(fields: tuple[tuple[str, str], ...], e: Emitter) -> None:
    for tag, value in fields:
        e.call(str(tag), lambda tag=tag, value=value: (_copied_tag(tag), _copied_text(value)))


def _copied_tag(tag: str) -> str:
    if not re.fullmatch(r"[0-9]{2}[A-Z]?", tag):
        raise ValueError(f"{tag!r} is not a field tag")
    return tag


def _copied_text(value: str) -> str:
    for line in value.split("\n"):
        _single_line(line)
    return value


def _rules_mt192(m: MT192, r: FieldReader, p: Problems) -> None:
    """C1: :79: or a copy of at least the mandatory fields of the original message, or both."""
    if not m.narrative and not m.original_fields:
        p.rule(
            ":79:",
            "either :79: or a copy of the original message's mandatory fields must be present (C1)",
            r.line("11S"),
        )
    if m.original_message is not None and m.original_message.message_type[0] != m.MESSAGE_TYPE[2]:
        p.rule(
            ":11S:",
            f"{m.MESSAGE_TYPE} cancels a category {m.MESSAGE_TYPE[2]} message, not MT{m.original_message.message_type}",
            r.line("11S"),
        )


def _decode_mt196(r: FieldReader, header: FinEnvelope | None, cls: type[MT196] = MT196) -> MT196:
    items = r.items("11")
    return cls(
        header=header,  # type: ignore[arg-type]
        transaction_reference=r.one("20", _reference),
        related_reference=r.one("21", _reference),
        answers=r.one("76", _narrative(6, 35)) or (),
        narrative_77a=r.one("77A", _narrative(20, 35)) or (),
        original_message=r.one("11", _original_message),
        original_message_option=items[0].option if items else None,
        narrative=r.one("79", _narrative(35, 50)) or (),
        original_fields=_copy_of(r),
    )


def _encode_mt196(m: MT196, e: Emitter) -> None:
    e.text("20", m.transaction_reference)
    e.text("21", m.related_reference)
    e.lines("76", m.answers)
    e.lines("77A", m.narrative_77a)
    if m.original_message is not None:
        option = m.original_message_option or "R"
        e.call("11a", lambda: (_option_11(option), _render_original_message(m.original_message)))
    e.lines("79", m.narrative)
    _encode_copy(m.original_fields, e)


def _option_11(option: str) -> str:
    if option not in ("R", "S"):
        raise ValueError(f"option {option!r} is not R or S")
    return "11" + option


def _rules_mt196(m: MT196, r: FieldReader, p: Problems) -> None:
    """C1: :79: or the copy of the original message's fields, not both; answer codes need the original."""
    if m.narrative and m.original_fields:
        p.rule(
            ":79:", "either :79: or a copy of the original message's fields may be present, not both (C1)", r.line("79")
        )
    if m.answer_code and m.original_message is None:
        p.rule(":11a:", f"an answer {m.answer_code} to a cancellation request names the request in :11a:", r.line("76"))


# --------------------------------------------------------------------------- MT940 / MT950

MT940_SLOTS = [
    slot("20", "20", True),
    slot("21", "21"),
    slot("25", "25 P", True),
    slot("28C", "28C", True),
    slot("60", "60FM", True),
    slot("61", "61", repeatable=True),
    slot("86L", "86", loop_to="61"),
    slot("62", "62FM", True),
    slot("64", "64"),
    slot("65", "65", repeatable=True),
    slot("86", "86"),
]

MT950_SLOTS = [
    slot("20", "20", True),
    slot("25", "25 P", True),
    slot("28C", "28C", True),
    slot("60", "60FM", True),
    slot("61", "61", repeatable=True),
    slot("62", "62FM", True),
    slot("64", "64"),
    slot("65", "65", repeatable=True),
]


def _decode_statement_lines(r: FieldReader, currency: str | None, with_information: bool) -> tuple[StatementLine, ...]:
    lines: list[StatementLine] = []
    last_ok = False
    for item in r.matched:
        if item.slot.name == "61":
            parsed = parse_statement_line(item.field.value, currency, item.field.label, item.field.line, r.problems)
            last_ok = parsed is not None
            if parsed is not None:
                lines.append(parsed)
        elif item.slot.name == "86L" and with_information:
            info = parse_lines(item.field.value, item.field.label, item.field.line, r.problems, max_lines=6, width=65)
            if info is not None and last_ok:
                lines[-1] = dataclasses.replace(lines[-1], information=info)
    return tuple(lines)


def _decode_statement_common(r: FieldReader, with_information: bool) -> dict[str, Any]:
    opening = r.one("60", parse_balance)
    return {
        "transaction_reference": r.one("20", _reference),
        "account": r.one("25", parse_account_identification),
        "statement_number": r.one("28C", _statement_number),
        "opening_balance": opening,
        "statement_lines": _decode_statement_lines(r, opening.currency if opening else None, with_information),
        "closing_balance": r.one("62", parse_balance),
        "closing_available_balance": r.one("64", parse_balance),
        "forward_available_balances": r.each("65", parse_balance),
    }


def _decode_mt940(r: FieldReader, header: FinEnvelope | None) -> MT940:
    return MT940(
        header=header,  # type: ignore[arg-type]
        related_reference=r.one("21", _reference),
        information_to_account_owner=r.one("86", _narrative(6, 65)) or (),
        **_decode_statement_common(r, with_information=True),
    )


def _decode_mt950(r: FieldReader, header: FinEnvelope | None) -> MT950:
    return MT950(header=header, **_decode_statement_common(r, with_information=False))  # type: ignore[arg-type]


def _encode_statement(m: MT940 | MT950, e: Emitter) -> None:
    is_940 = isinstance(m, MT940)
    e.text("20", m.transaction_reference)
    if isinstance(m, MT940):
        e.text("21", m.related_reference)
    e.call("25", lambda: _with_base("25", render_account_identification(m.account)))
    e.value("28C", m.statement_number, render_statement_number)
    e.call("60", lambda: ("60" + ("M" if m.opening_balance.intermediate else "F"), render_balance(m.opening_balance)))
    currency = getattr(m.opening_balance, "currency", "")
    for statement_line in m.statement_lines or ():
        e.value("61", statement_line, lambda value: render_statement_line(value, currency))
        if is_940 and getattr(statement_line, "information", ()):
            e.lines("86", statement_line.information)
        elif not is_940 and getattr(statement_line, "information", ()):
            e.problems.add(
                ":86:", "MT950 carries no information to account owner; statement line information must be empty"
            )
    e.call("62", lambda: ("62" + ("M" if m.closing_balance.intermediate else "F"), render_balance(m.closing_balance)))
    e.value("64", m.closing_available_balance, render_balance)
    e.each("65", m.forward_available_balances, render_balance)
    if isinstance(m, MT940):
        e.lines("86", m.information_to_account_owner)


def _rules_statement(m: MT940 | MT950, r: FieldReader, p: Problems) -> None:
    """All balances share the account currency, and the closing balance follows from the entries."""
    opening, closing = m.opening_balance, m.closing_balance
    if opening is None:
        return
    balances = [("62", closing), ("64", m.closing_available_balance)]
    balances += [("65", b) for b in m.forward_available_balances]
    for name, balance in balances:
        if balance is not None and balance.currency != opening.currency:
            p.add(
                f":{name}{'a' if name == '62' else ''}:",
                f"currency {balance.currency} differs from the opening balance currency {opening.currency}",
                r.line(name),
            )
    statement_lines_ok = len(m.statement_lines) == len(r.items("61"))
    if closing is not None and closing.currency == opening.currency and statement_lines_ok:
        expected = opening.signed_amount + sum((line.signed_amount for line in m.statement_lines), Decimal(0))
        if expected != closing.signed_amount:
            p.add(
                ":62a:",
                f"closing balance {closing.signed_amount} does not equal opening balance plus entries ({expected})",
                r.line("62"),
            )


# --------------------------------------------------------------------------- registry and entry points


@dataclass(frozen=True)
class MessageSpec:
    """What the generic reader and writer need to know about one message type."""

    name: str
    fin_type: str
    cls: type
    slots: list[Slot]
    decode: Callable[[FieldReader, FinEnvelope | None], Any]
    encode: Callable[[Any, Emitter], None]
    rules: Callable[[Any, FieldReader, Problems], None]
    requires_uetr: bool
    validation_flags: frozenset[str]


MESSAGE_SPECS: dict[str, MessageSpec] = {
    spec.name: spec
    for spec in (
        MessageSpec("MT101", "101", MT101, MT101_SLOTS, _decode_mt101, _encode_mt101, _rules_mt101, False, frozenset()),
        MessageSpec(
            "MT103", "103", MT103, MT103_SLOTS, _decode_mt103, _encode_mt103, _rules_mt103, True, frozenset({"STP"})
        ),
        MessageSpec("MT192", "192", MT192, MT192_SLOTS, _decode_mt192, _encode_mt192, _rules_mt192, False, frozenset()),
        MessageSpec("MT196", "196", MT196, MT196_SLOTS, _decode_mt196, _encode_mt196, _rules_mt196, False, frozenset()),
        MessageSpec("MT199", "199", MT199, MT199_SLOTS, _decode_mt199, _encode_mt199, _rules_mt199, False, frozenset()),
        MessageSpec(
            "MT299",
            "299",
            MT299,
            MT199_SLOTS,
            lambda r, header: _decode_mt199(r, header, MT299),
            _encode_mt199,
            _rules_mt199,
            False,
            frozenset(),
        ),
        MessageSpec(
            "MT292",
            "292",
            MT292,
            MT192_SLOTS,
            lambda r, header: _decode_mt192(r, header, MT292),
            _encode_mt192,
            _rules_mt192,
            False,
            frozenset(),
        ),
        MessageSpec(
            "MT296",
            "296",
            MT296,
            MT196_SLOTS,
            lambda r, header: _decode_mt196(r, header, MT296),
            _encode_mt196,
            _rules_mt196,
            False,
            frozenset(),
        ),
        MessageSpec("MT202", "202", MT202, MT202_SLOTS, _decode_mt202, _encode_mt202, _rules_mt202, True, frozenset()),
        MessageSpec(
            "MT202COV",
            "202",
            MT202COV,
            MT202COV_SLOTS,
            _decode_mt202cov,
            _encode_mt202cov,
            _rules_mt202cov,
            True,
            frozenset({"COV"}),
        ),
        MessageSpec(
            "MT900", "900", MT900, MT900_SLOTS, _decode_mt900, _encode_confirmation, _rules_mt900, False, frozenset()
        ),
        MessageSpec(
            "MT910", "910", MT910, MT910_SLOTS, _decode_mt910, _encode_confirmation, _rules_mt910, False, frozenset()
        ),
        MessageSpec(
            "MT940", "940", MT940, MT940_SLOTS, _decode_mt940, _encode_statement, _rules_statement, False, frozenset()
        ),
        MessageSpec(
            "MT950", "950", MT950, MT950_SLOTS, _decode_mt950, _encode_statement, _rules_statement, False, frozenset()
        ),
    )
}
SUPPORTED_MESSAGE_TYPES = tuple(MESSAGE_SPECS)
#: Message types whose block 4 ends with a copy of the original message's fields (after :11a:).
_WITH_ORIGINAL_COPY = frozenset({"MT192", "MT196", "MT292", "MT296"})


def detect_message_type(block2: str | None, block3: list[tuple[str, str]] | None) -> str:
    """Return ``MT103``, ``MT202COV`` ... from block 2 (and block 3 field 119 for COV), or ``UNKNOWN``."""
    match = re.match(r"^[IO]([0-9]{3})", block2 or "")
    if not match:
        return "UNKNOWN"
    if match[1] == "202" and ("119", "COV") in (block3 or []):
        return "MT202COV"
    return f"MT{match[1]}"


def parse_message(raw: bytes | str) -> FinMessage:
    """Read a FIN message of any supported type and return its domain object.

    Accepts CRLF or LF line endings and optional blocks 3 and 5. Raises MessageValidationError,
    carrying every problem found, and nothing else.
    """
    problems = Problems("UNKNOWN")
    text = decode_raw(raw, problems)
    if text is None:
        problems.raise_if_any()
    assert text is not None
    split = split_message(text, problems)
    problems.message_type = detect_message_type(split.block2, split.block3)
    envelope = read_envelope(split, problems)
    spec = MESSAGE_SPECS.get(problems.message_type)
    if spec is None:
        if problems.message_type != "UNKNOWN":
            supported = ", ".join(SUPPORTED_MESSAGE_TYPES)
            problems.add("{2:}", f"message type {problems.message_type} is not supported (supported: {supported})", 1)
        if not problems:
            problems.add("{2:}", "application header block 2 is missing", 1)
        problems.raise_if_any()
    assert spec is not None
    if split.block4 is None:
        if not any(e.field == "{4:}" for e in problems.errors):
            problems.add("{4:}", "text block 4 is missing", 1)
        problems.raise_if_any()
    assert split.block4 is not None
    own_fields, original_copy = (
        split_original_copy(split.block4) if spec.name in _WITH_ORIGINAL_COPY else (split.block4, [])
    )
    matched = match_fields(own_fields, spec.slots, spec.name, problems)
    reader = FieldReader(matched, problems)
    reader.original_copy = original_copy  # type: ignore[attr-defined]
    message = spec.decode(reader, envelope)
    if envelope is not None:
        _check_envelope(spec, envelope, problems)
    spec.rules(message, reader, problems)
    problems.raise_if_any()
    return message


def _check_envelope(spec: MessageSpec, envelope: FinEnvelope, problems: Problems) -> None:
    flag = envelope.validation_flag
    if flag is not None and flag not in spec.validation_flags:
        problems.add("{119:}", f"validation flag {flag} is not allowed in {spec.name}", 1)
    if spec.requires_uetr and envelope.uetr is None:
        problems.add("{121:}", f"UETR (block 3 field 121) is mandatory for {spec.name} (SWIFT gpi / SRP)", 1)


def build_message(message: FinMessage) -> str:
    """Write a domain object as FIN text (CRLF inside block 4) after checking every rule.

    The text is read back with :func:`parse_message`; any rule break, or any value that would not
    read back identical, raises MessageValidationError listing all problems.
    """
    spec = next((s for s in MESSAGE_SPECS.values() if type(message) is s.cls), None)
    if spec is None:
        raise MessageValidationError.single("UNKNOWN", "message", f"cannot build a {type(message).__name__}")
    problems = Problems(spec.name)
    header = getattr(message, "header", None)
    if not isinstance(header, FinEnvelope):
        problems.add("header", "header must be a FinEnvelope (see make_envelope)")
        problems.raise_if_any()
    assert isinstance(header, FinEnvelope)
    if header.application.message_type != spec.fin_type:
        problems.add("{2:}", f"block 2 message type {header.application.message_type} does not match {spec.name}")
    if spec.name == "MT202" and header.validation_flag == "COV":
        problems.add("{119:}", "an MT202 with validation flag COV is an MT202 COV: build an MT202COV")
    if spec.name == "MT202COV" and header.validation_flag != "COV":
        problems.add("{119:}", "MT202 COV needs the validation flag COV in block 3")
    emitter = Emitter(problems)
    spec.encode(message, emitter)
    problems.raise_if_any()
    try:
        text = render_envelope_and_text(header, emitter.fields)
    except (TypeError, AttributeError) as exc:
        raise MessageValidationError.single(spec.name, "header", f"cannot be written: {exc}") from None
    parsed = parse_message(text)
    if parsed != message:
        for item in dataclasses.fields(message):  # type: ignore[arg-type]
            if getattr(parsed, item.name) != getattr(message, item.name):
                problems.add(
                    item.name, "value does not read back identical once written (ambiguous or not representable)"
                )
        if not problems:
            problems.add("message", "message does not read back identical once written")
        problems.raise_if_any()
    return text


def _parse_as(raw: bytes | str, cls: type[M]) -> M:
    message = parse_message(raw)
    if not isinstance(message, cls):
        raise MessageValidationError.single(
            message.message_type, "{2:}", f"expected {cls.MESSAGE_TYPE}, got {message.message_type}", 1
        )
    return message


def parse_mt101(raw: bytes | str) -> MT101:
    """Read an MT101 request for transfer."""
    return _parse_as(raw, MT101)


def build_mt101(message: MT101) -> str:
    """Write an MT101 as FIN text."""
    return build_message(message)


def parse_mt103(raw: bytes | str) -> MT103:
    """Read an MT103 (or MT103 STP); any other type is an error."""
    return _parse_as(raw, MT103)


def parse_mt192(raw: bytes | str) -> MT192:
    """Read an MT192 (or MT292) request for cancellation."""
    return _parse_as(raw, MT192)


def parse_mt196(raw: bytes | str) -> MT196:
    """Read an MT196 (or MT296) answer."""
    return _parse_as(raw, MT196)


def parse_mt199(raw: bytes | str) -> MT199:
    """Read an MT199 free format message."""
    return _parse_as(raw, MT199)


def parse_mt299(raw: bytes | str) -> MT299:
    """Read an MT299 free format message (category 2)."""
    return _parse_as(raw, MT299)


def parse_mt202(raw: bytes | str) -> MT202:
    """Read an MT202 without cover sequence; an MT202 COV is an error here."""
    return _parse_as(raw, MT202)


def parse_mt202cov(raw: bytes | str) -> MT202COV:
    """Read an MT202 COV (MT202 with ``{119:COV}`` and sequence B)."""
    return _parse_as(raw, MT202COV)


def parse_mt900(raw: bytes | str) -> MT900:
    """Read an MT900 confirmation of debit."""
    return _parse_as(raw, MT900)


def parse_mt910(raw: bytes | str) -> MT910:
    """Read an MT910 confirmation of credit."""
    return _parse_as(raw, MT910)


def parse_mt940(raw: bytes | str) -> MT940:
    """Read an MT940 customer statement."""
    return _parse_as(raw, MT940)


def parse_mt950(raw: bytes | str) -> MT950:
    """Read an MT950 statement."""
    return _parse_as(raw, MT950)


def build_mt103(message: MT103) -> str:
    """Write an MT103 as FIN text (see :func:`build_message`)."""
    return build_message(message)


def build_mt192(message: MT192) -> str:
    """Write an MT192 / MT292 as FIN text."""
    return build_message(message)


def build_mt196(message: MT196) -> str:
    """Write an MT196 / MT296 as FIN text."""
    return build_message(message)


def build_mt199(message: MT199) -> str:
    """Write an MT199 as FIN text."""
    return build_message(message)


def build_mt202(message: MT202) -> str:
    """Write an MT202 as FIN text."""
    return build_message(message)


def build_mt202cov(message: MT202COV) -> str:
    """Write an MT202 COV as FIN text."""
    return build_message(message)


def build_mt900(message: MT900) -> str:
    """Write an MT900 as FIN text."""
    return build_message(message)


def build_mt910(message: MT910) -> str:
    """Write an MT910 as FIN text."""
    return build_message(message)


def build_mt940(message: MT940) -> str:
    """Write an MT940 as FIN text."""
    return build_message(message)


def build_mt950(message: MT950) -> str:
    """Write an MT950 as FIN text."""
    return build_message(message)
