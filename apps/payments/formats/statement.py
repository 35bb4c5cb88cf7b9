"""One internal model for every bank statement and report QENEX reads.

camt.052 (intraday report), camt.053 (end-of-day statement) and camt.054 (debit/credit notification) of
every version from 001.01 to 001.12, and SWIFT MT940 (customer statement), MT942 (interim report) and
MT950 (statement between banks), all map onto :class:`Statement`: the account, the period, the balances
and the entries with the references reconciliation matches on (end-to-end id, UETR, account servicer
reference, remittance). The rest of QENEX (reconciliation, inbound) never asks which version or which
network a statement came from.

Amounts stay :class:`~decimal.Decimal` in major units, as the file carries them; ``amount_minor`` gives
integer minor units in the currency's ISO 4217 exponent and refuses a value that would need rounding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .amounts import currency_exponent

CREDIT = "CRDT"
DEBIT = "DBIT"

#: what a statement is, whatever carried it
STATEMENT = "statement"  # camt.053, MT940, MT950: booked end-of-day view
REPORT = "report"  # camt.052, MT942: intraday
NOTIFICATION = "notification"  # camt.054: single bookings, no balances

#: entry statuses that moved money (camt Sts BOOK; every MT :61: line is booked)
BOOKED_STATUSES = ("BOOK",)

OPENING_BOOKED = "OPBD"
CLOSING_BOOKED = "CLBD"
CLOSING_AVAILABLE = "CLAV"
FORWARD_AVAILABLE = "FWAV"
INTERIM_BOOKED = "ITBD"
PREVIOUSLY_CLOSED_BOOKED = "PRCD"


def to_minor(amount: Decimal, currency: str) -> int:
    """Return ``amount`` in integer minor units of ``currency``; ValueError if that would round."""
    exponent = currency_exponent(currency)
    if exponent is None:
        raise ValueError(f"unknown currency {currency!r}")
    scaled = amount.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency} allows ({exponent})")
    return int(scaled)


@dataclass(frozen=True)
class Remittance:
    """What the payer said the payment is for.

    ``unstructured``: free text lines (RmtInf/Ustrd, MT :86: text); ``references``: structured creditor
    references (RmtInf/Strd/CdtrRefInf/Ref, an RF reference); ``subfields``: a bank's structured :86:
    (German GVC ``?20``..``?63``: ``("20", "EREF+...")``) in the order the file gives them.
    """

    unstructured: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    subfields: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        return " ".join(part for part in self.unstructured if part)


@dataclass(frozen=True)
class StatementBalance:
    """A balance: ISO type code (OPBD, CLBD, CLAV, ITBD, ...), signed by ``credit_debit``."""

    type_code: str
    amount: Decimal
    currency: str
    credit_debit: str
    date: date | None
    intermediate: bool = False  # MT :60M:/:62M: - a statement continued in the next message

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.credit_debit == DEBIT else self.amount

    @property
    def signed_minor(self) -> int:
        return to_minor(self.signed_amount, self.currency)


@dataclass(frozen=True)
class StatementEntry:
    """One booking (or pending/information item) on the account, with what identifies its payment."""

    amount: Decimal
    currency: str
    credit_debit: str
    status: str = "BOOK"  # BOOK, PDNG, INFO (camt); MT entries are booked
    booking_date: date | None = None
    value_date: date | None = None
    reversal: bool = False
    end_to_end_id: str | None = None
    uetr: str | None = None
    account_servicer_reference: str | None = None
    entry_reference: str | None = None
    instruction_id: str | None = None
    transaction_id: str | None = None
    message_id: str | None = None
    mandate_id: str | None = None
    customer_reference: str | None = None  # MT :61: reference for the account owner
    bank_transaction_code: str | None = None  # PMNT/RCDT/ESCT, a proprietary code, MT NTRF / GVC 166
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    counterparty_bic: str | None = None
    remittance: Remittance = field(default_factory=Remittance)
    additional_info: str | None = None
    line: int | None = field(default=None, compare=False)

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.credit_debit == DEBIT else self.amount

    @property
    def amount_minor(self) -> int:
        return to_minor(self.amount, self.currency)

    @property
    def signed_minor(self) -> int:
        return to_minor(self.signed_amount, self.currency)

    @property
    def references(self) -> tuple[str, ...]:
        """Every reference the entry carries, for look-ups that do not know which field a bank used."""
        values = (
            self.end_to_end_id,
            self.uetr,
            self.account_servicer_reference,
            self.entry_reference,
            self.instruction_id,
            self.transaction_id,
            self.customer_reference,
            *self.remittance.references,
        )
        return tuple(value for value in values if value and value != "NONREF" and value != "NOTPROVIDED")


@dataclass(frozen=True)
class Statement:
    """One account's statement or report, from any supported format and version."""

    source_format: str  # camt.053.001.02, MT940, ...
    kind: str  # STATEMENT, REPORT or NOTIFICATION
    statement_id: str
    account: str  # IBAN, or the account number as the bank writes it
    currency: str | None = None
    message_id: str | None = None
    created: datetime | None = None
    sequence_number: str | None = None  # ElctrncSeqNb / LglSeqNb, MT :28C:
    account_servicer_bic: str | None = None
    account_owner_name: str | None = None
    period_start: date | datetime | None = None
    period_end: date | datetime | None = None
    balances: tuple[StatementBalance, ...] = ()
    entries: tuple[StatementEntry, ...] = ()
    information: tuple[str, ...] = ()  # statement-level free text (MT final :86:, camt AddtlStmtInf)

    def balance(self, *type_codes: str) -> StatementBalance | None:
        """The first balance whose type is one of ``type_codes`` (in the order asked), or None."""
        for code in type_codes:
            for balance in self.balances:
                if balance.type_code == code:
                    return balance
        return None

    @property
    def opening_balance(self) -> StatementBalance | None:
        return self.balance(OPENING_BOOKED, PREVIOUSLY_CLOSED_BOOKED, INTERIM_BOOKED)

    @property
    def closing_balance(self) -> StatementBalance | None:
        return self.balance(CLOSING_BOOKED, INTERIM_BOOKED)

    @property
    def cut_off(self) -> date | datetime | None:
        """The instant the closing balance is struck: the period end, else the closing balance's date."""
        if self.period_end is not None:
            return self.period_end
        closing = self.closing_balance
        return closing.date if closing else None

    @property
    def statement_currency(self) -> str | None:
        if self.currency:
            return self.currency
        for balance in self.balances:
            return balance.currency
        for entry in self.entries:
            return entry.currency
        return None


def read_statements(raw: bytes) -> tuple[str, list[Statement], list]:
    """Detect a statement file (camt.052/053/054 of any version, MT940/MT942/MT950) and read it.

    Returns (message type, statements, errors); the statements are empty when there are errors, and a
    file of another kind comes back with one error saying so. Never raises for bad input.
    """
    from .errors import FieldError
    from .iso20022 import cash_reports
    from .swift_mt import statements as mt_statements

    head = bytes(raw[:8192]).lstrip(b"\xef\xbb\xbf \t\r\n")
    if cash_reports.sniff_cash_report(head) or cash_reports.enveloped_cash_report(bytes(raw)):
        result = cash_reports.read_cash_report(raw)
        return result.message_type, result.statements, result.errors
    messages = mt_statements.split_statement_file(raw)
    if messages and all(message.message_type in mt_statements.STATEMENT_TYPES for message in messages):
        mt_result = mt_statements.read_statement_file(raw)
        return mt_result.message_type, mt_result.statements, mt_result.errors
    return (
        "UNKNOWN",
        [],
        [FieldError("file", "not a statement: expected camt.052/053/054 (001.01-001.12) or MT940/MT942/MT950")],
    )
