"""Block 4 field formats: the value types, their parsers and their renderers.

Each ``parse_*`` function reads the text of one field (lines joined by ``\\n``) and either
returns the value or records every problem in a :class:`Problems` collector and returns
``None``; none of them raises, so a message parser can report all problems at once.
Each ``render_*`` function is the exact inverse for valid values. Format notation in the
docstrings is SWIFT's (``16x`` = up to 16 X characters, ``6!n`` = exactly 6 digits, ``15d`` =
up to 15 digits and a mandatory decimal comma).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import schwifty
from schwifty.exceptions import SchwiftyException

from ..amounts import currency_exponent, is_known_currency
from ..errors import WARNING, FieldError, MessageValidationError


class Problems:
    """Collects every problem found while reading or checking one message."""

    def __init__(self, message_type: str) -> None:
        self.message_type = message_type
        self.errors: list[FieldError] = []

    def add(self, field_name: str, reason: str, line: int | None = None) -> None:
        self.errors.append(FieldError(field=field_name, reason=reason, line=line))

    def rule(self, field_name: str, reason: str, line: int | None = None) -> None:
        """A network validated rule (SWIFT's C-rules, MT103 STP usage rules): a warning, see ``errors.WARNING``."""
        self.errors.append(FieldError(field=field_name, reason=reason, line=line, severity=WARNING))

    def raise_if_any(self) -> None:
        if self.errors:
            # Report in reading order; errors without a line (builder input) keep their order at the end.
            ordered = sorted(self.errors, key=lambda error: (error.line is None, error.line or 0))
            raise MessageValidationError(self.message_type, ordered)

    def __bool__(self) -> bool:
        return bool(self.errors)


def tag_label(tag: str) -> str:
    """Return the tag as it appears on the wire, ``:32A:``, used as the error's field name."""
    return f":{tag}:"


# --------------------------------------------------------------------------- value types


@dataclass(frozen=True)
class CurrencyAmount:
    """An amount in a currency, as carried by :33B:, :71F: and :71G:."""

    currency: str
    amount: Decimal


@dataclass(frozen=True)
class Party:
    """A customer: ordering customer (:50a:) or beneficiary customer (:59a:).

    ``option`` is the tag letter: ``"A"`` (BIC), ``"F"`` (structured party identification),
    ``"K"`` (name and address) for 50a; ``""`` (name and address), ``"A"`` or ``"F"`` for 59a. MT101
    adds, for the instructing party, ``"C"`` (BIC) and ``"L"`` (``identifier``), and for the ordering
    customer ``"G"`` (account and BIC) and ``"H"`` (account, name and address).
    ``account`` is the account without its leading ``/``. ``identifier`` is only used by option F
    when the first line is a code like ``CUST/DE/ABC123`` instead of an account. For option F the
    ``name_address`` lines keep their line-number prefixes (``1/JOHN DOE``).
    """

    option: str
    account: str | None = None
    bic: str | None = None
    name_address: tuple[str, ...] = ()
    identifier: str | None = None

    @property
    def name(self) -> str | None:
        """Return the customer's name: the first name line, without an option-F ``1/`` prefix."""
        if self.option == "F":
            names = [line[2:] for line in self.name_address if line.startswith("1/")]
            return " ".join(names) or None
        return self.name_address[0] if self.name_address else None


@dataclass(frozen=True)
class Institution:
    """A financial institution field (:51A:, :52a:, :53a:, :54a:, :55a:, :56a:, :57a:, :58a:).

    ``option`` is ``A`` (BIC), ``B`` (location), ``C`` (account only) or ``D`` (name and address).
    The optional first line ``[/1!a][/34x]`` is split into ``dc_mark`` (``D``/``C``) and ``account``.
    """

    option: str
    account: str | None = None
    dc_mark: str | None = None
    bic: str | None = None
    location: str | None = None
    name_address: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountIdentification:
    """:25: account identification, or :25P: account plus the account owner's BIC."""

    account: str
    bic: str | None = None


@dataclass(frozen=True)
class StatementNumber:
    """:28C: statement number and optional sequence number within the statement."""

    statement_number: int
    sequence_number: int | None = None


@dataclass(frozen=True)
class Balance:
    """A statement balance (:60a:, :62a:, :64:, :65:).

    ``mark`` is ``C`` (credit, positive) or ``D`` (debit, negative); ``intermediate`` is True for the
    ``M`` option of :60a:/:62a: (a statement split over several messages), False for ``F``.
    """

    mark: str
    date: date
    currency: str
    amount: Decimal
    intermediate: bool = False

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.mark == "D" else self.amount


@dataclass(frozen=True)
class StatementLine:
    """One :61: statement line, with the :86: information that follows it in an MT940.

    ``mark`` is ``C``, ``D``, ``RC`` (reversal of credit, i.e. a debit) or ``RD`` (reversal of debit,
    i.e. a credit). ``transaction_type`` is the 4-character identification code (``NTRF``, ``S103``).
    ``customer_reference`` is ``NONREF`` when the account owner gave none.
    """

    value_date: date
    mark: str
    amount: Decimal
    transaction_type: str
    customer_reference: str
    entry_date: date | None = None
    funds_code: str | None = None
    bank_reference: str | None = None
    supplementary_details: str | None = None
    information: tuple[str, ...] = ()

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.mark in ("D", "RC") else self.amount


@dataclass(frozen=True)
class TimeIndication:
    """:13C: a time the sender asks to be respected, e.g. ``/CLSTIME/0915+0100``."""

    code: str
    time: str
    utc_offset: str


@dataclass(frozen=True)
class InstructionCode:
    """:23E: instruction code with optional additional information (``PHON/0049123456``)."""

    code: str
    additional_information: str | None = None


@dataclass(frozen=True)
class RawField:
    """One field as split from block 4: tag (``32A``), text (lines joined by ``\\n``), first line number."""

    tag: str
    value: str
    line: int = field(default=0, compare=False)

    @property
    def label(self) -> str:
        return tag_label(self.tag)


# --------------------------------------------------------------------------- primitives

_AMOUNT_RE = re.compile(r"^[0-9]+,[0-9]*$")
_DATE_RE = re.compile(r"^[0-9]{6}$")
_BIC_RE = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")

MAX_AMOUNT_LENGTH = 15


def parse_date6(text: str, label: str, line: int | None, problems: Problems) -> date | None:
    """Read ``YYMMDD``; years 80-99 are 19xx and 00-79 are 20xx, as FIN interprets them."""
    if not _DATE_RE.match(text):
        problems.add(label, f"date must be 6 digits YYMMDD, got {text!r}", line)
        return None
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:6])
    try:
        return date(1900 + yy if yy >= 80 else 2000 + yy, mm, dd)
    except ValueError:
        problems.add(label, f"{text!r} is not a valid calendar date", line)
        return None


def render_date6(value: date) -> str:
    """Write a date as ``YYMMDD``; only 1980-2079 are representable."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"expected a date, got {type(value).__name__}")
    if not 1980 <= value.year <= 2079:
        raise ValueError(f"year {value.year} cannot be written as YYMMDD (1980-2079)")
    return value.strftime("%y%m%d")


def parse_currency(text: str, label: str, line: int | None, problems: Problems) -> str | None:
    """Read a 3!a ISO 4217 currency code and check it exists."""
    if not _CURRENCY_RE.match(text):
        problems.add(label, f"currency must be 3 upper-case letters, got {text!r}", line)
        return None
    if not is_known_currency(text):
        problems.add(label, f"unknown ISO 4217 currency {text!r}", line)
        return None
    return text


def parse_amount(
    text: str,
    currency: str | None,
    label: str,
    line: int | None,
    problems: Problems,
    *,
    allow_zero: bool = False,
    max_length: int = MAX_AMOUNT_LENGTH,
) -> Decimal | None:
    """Read a SWIFT ``15d`` amount: digits, a mandatory decimal comma, at most 15 characters.

    The number of decimals must not exceed the currency's minor units (JPY 0, USD 2, KWD 3);
    an amount is never rounded to fit.
    """
    if not _AMOUNT_RE.match(text):
        if "." in text and "," not in text:
            reason = f"amount {text!r} must use a comma as decimal separator"
        elif "," not in text:
            reason = f"amount {text!r} must contain a decimal comma"
        else:
            reason = f"amount {text!r} must be digits with one decimal comma"
        problems.add(label, reason, line)
        return None
    if len(text) > max_length:
        problems.add(label, f"amount {text!r} is longer than {max_length} characters including the comma", line)
        return None
    whole, decimals = text.split(",")
    exponent = currency_exponent(currency) if currency else None
    if exponent is not None and len(decimals) > exponent:
        problems.add(
            label, f"{currency} allows at most {exponent} decimal places, amount {text!r} has {len(decimals)}", line
        )
        return None
    value = Decimal(f"{whole}.{decimals or '0'}")
    if value == 0 and not allow_zero:
        problems.add(label, "amount must not be zero", line)
        return None
    return value


def render_amount(amount: Decimal, currency: str, *, max_length: int = MAX_AMOUNT_LENGTH) -> str:
    """Write an amount with a decimal comma and the currency's number of decimals (``100000,00``, JPY ``5000,``).

    Trailing zero decimals are dropped only when the full form would exceed the 15-character limit,
    which the standard allows. Floats are refused: money is a Decimal.
    """
    if isinstance(amount, float) or not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"amount must be a finite, non-negative Decimal, got {amount}")
    exponent = currency_exponent(currency)
    if exponent is None:
        exponent = max(0, -int(amount.as_tuple().exponent))
    sign, digits, exp = amount.as_tuple()
    actual = max(0, -int(exp))
    if actual > exponent and amount != amount.quantize(Decimal(1).scaleb(-exponent)):
        raise ValueError(f"{currency} allows at most {exponent} decimal places, got {amount}")
    text = f"{amount.quantize(Decimal(1).scaleb(-exponent)):f}".replace(".", ",")
    if "," not in text:
        text += ","
    while len(text) > max_length and text.endswith("0") and "," in text and not text.endswith(","):
        text = text[:-1]
    return text


def parse_bic(text: str, label: str, line: int | None, problems: Problems) -> str | None:
    """Read a BIC (``4!a2!a2!c[3!c]``, 8 or 11 characters) and check its structure and country with schwifty."""
    if not _BIC_RE.match(text):
        problems.add(label, f"BIC must be 8 or 11 upper-case letters/digits (4!a2!a2!c[3!c]), got {text!r}", line)
        return None
    try:
        schwifty.BIC(text)
    except (SchwiftyException, ValueError) as exc:
        problems.add(label, f"invalid BIC {text!r}: {exc}", line)
        return None
    return text


def check_bic(value: str, label: str, problems: Problems) -> bool:
    """Check a BIC given by a caller (not from the wire); return True if valid."""
    if not isinstance(value, str):
        problems.add(label, f"BIC must be a string, got {type(value).__name__}")
        return False
    return parse_bic(value, label, None, problems) is not None


def parse_reference(text: str, label: str, line: int | None, problems: Problems, *, max_length: int = 16) -> str | None:
    """Read a ``16x`` reference (:20:, :21:): one line, no leading/trailing ``/`` and no ``//`` (rule T26)."""
    if "\n" in text:
        problems.add(label, "reference must be a single line", line)
        return None
    if not text:
        problems.add(label, "reference must not be empty", line)
        return None
    if len(text) > max_length:
        problems.add(label, f"reference {text!r} is longer than {max_length} characters", line)
        return None
    if text.startswith("/") or text.endswith("/") or "//" in text:
        problems.add(label, f"reference {text!r} must not start or end with '/' or contain '//'", line)
        return None
    return text


def parse_lines(
    text: str, label: str, line: int | None, problems: Problems, *, max_lines: int, width: int
) -> tuple[str, ...] | None:
    """Read narrative text of at most ``max_lines`` lines of ``width`` characters (4*35x, 6*35x)."""
    lines = text.split("\n")
    ok = True
    if len(lines) > max_lines:
        problems.add(label, f"at most {max_lines} lines of {width} characters allowed, got {len(lines)} lines", line)
        ok = False
    for offset, content in enumerate(lines):
        where = None if line is None else line + offset
        if not content:
            problems.add(label, "empty line not allowed", where)
            ok = False
        elif len(content) > width:
            problems.add(label, f"line {offset + 1} is {len(content)} characters, at most {width} allowed", where)
            ok = False
    return tuple(lines) if ok else None


def parse_code(text: str, allowed: Collection[str], label: str, line: int | None, problems: Problems) -> str | None:
    """Read a code that must be one of ``allowed`` (:23B:, :71A:)."""
    if text not in allowed:
        problems.add(label, f"{text!r} is not one of {', '.join(sorted(allowed))}", line)
        return None
    return text


def parse_account_line(text: str, label: str, line: int | None, problems: Problems) -> str | None:
    """Read an ``/34x`` account line and return the account without its slash."""
    account = text[1:]
    if not account:
        problems.add(label, "account after '/' must not be empty", line)
        return None
    if len(account) > 34:
        problems.add(label, f"account is {len(account)} characters, at most 34 allowed", line)
        return None
    return account


# --------------------------------------------------------------------------- composite fields


def parse_date_currency_amount(
    text: str, label: str, line: int | None, problems: Problems
) -> tuple[date, str, Decimal] | None:
    """Read :32A: ``6!n3!a15d``: value date, currency, settlement amount."""
    match = re.match(r"^([0-9]{6})([A-Z]{3})(.*)$", text)
    if not match:
        problems.add(label, f"expected YYMMDD, currency and amount (6!n3!a15d), got {text!r}", line)
        return None
    before = len(problems.errors)
    value_date = parse_date6(match[1], label, line, problems)
    currency = parse_currency(match[2], label, line, problems)
    amount = parse_amount(match[3], currency, label, line, problems)
    if len(problems.errors) != before or value_date is None or currency is None or amount is None:
        return None
    return value_date, currency, amount


def render_date_currency_amount(value_date: date, currency: str, amount: Decimal) -> str:
    return f"{render_date6(value_date)}{currency}{render_amount(amount, currency)}"


def parse_currency_amount(
    text: str, label: str, line: int | None, problems: Problems, *, allow_zero: bool = False
) -> CurrencyAmount | None:
    """Read ``3!a15d`` (:33B:, :71F:, :71G:)."""
    match = re.match(r"^([A-Z]{3})(.*)$", text)
    if not match:
        problems.add(label, f"expected currency and amount (3!a15d), got {text!r}", line)
        return None
    currency = parse_currency(match[1], label, line, problems)
    if currency is None:
        return None
    amount = parse_amount(match[2], currency, label, line, problems, allow_zero=allow_zero)
    return None if amount is None else CurrencyAmount(currency, amount)


def render_currency_amount(value: CurrencyAmount) -> str:
    return f"{value.currency}{render_amount(value.amount, value.currency)}"


def parse_exchange_rate(text: str, label: str, line: int | None, problems: Problems) -> Decimal | None:
    """Read :36: ``12d``: a rate with a mandatory decimal comma, at most 12 characters, not zero."""
    return parse_amount(text, None, label, line, problems, max_length=12)


def render_exchange_rate(rate: Decimal) -> str:
    if isinstance(rate, float) or not isinstance(rate, Decimal):
        raise TypeError(f"exchange rate must be a Decimal, not {type(rate).__name__}")
    text = f"{rate.normalize():f}".replace(".", ",")
    return text if "," in text else text + ","


def parse_instruction_code(
    text: str, allowed: Collection[str], label: str, line: int | None, problems: Problems
) -> InstructionCode | None:
    """Read :23E: ``4!c[/30x]``."""
    code, _, extra = text.partition("/")
    if code not in allowed:
        problems.add(label, f"instruction code {code!r} is not one of {', '.join(sorted(allowed))}", line)
        return None
    if "/" in text and (not extra or len(extra) > 30):
        problems.add(label, "additional information after '/' must be 1 to 30 characters", line)
        return None
    return InstructionCode(code, extra if "/" in text else None)


def render_instruction_code(value: InstructionCode) -> str:
    return value.code + (f"/{value.additional_information}" if value.additional_information is not None else "")


def parse_time_indication(text: str, label: str, line: int | None, problems: Problems) -> TimeIndication | None:
    """Read :13C: ``/8c/4!n1!x4!n`` (``/CLSTIME/0915+0100``)."""
    match = re.match(r"^/([A-Z0-9]{1,8})/([0-9]{4})([+-])([0-9]{4})$", text)
    if not match:
        problems.add(label, f"expected /CODE/HHMM+HHMM, got {text!r}", line)
        return None
    hhmm, offset = match[2], match[4]
    if int(hhmm[:2]) > 23 or int(hhmm[2:]) > 59 or int(offset[:2]) > 13 or int(offset[2:]) > 59:
        problems.add(label, f"invalid time or UTC offset in {text!r}", line)
        return None
    return TimeIndication(match[1], hhmm, match[3] + offset)


def render_time_indication(value: TimeIndication) -> str:
    return f"/{value.code}/{value.time}{value.utc_offset}"


def parse_date_time_indication(text: str, label: str, line: int | None, problems: Problems) -> datetime | None:
    """Read :13D: ``6!n4!n1!x4!n`` (date, time, UTC offset) into an aware datetime."""
    match = re.match(r"^([0-9]{6})([0-9]{4})([+-])([0-9]{4})$", text)
    if not match:
        problems.add(label, f"expected YYMMDDHHMM+HHMM, got {text!r}", line)
        return None
    day = parse_date6(match[1], label, line, problems)
    hh, mi, oh, om = int(match[2][:2]), int(match[2][2:]), int(match[4][:2]), int(match[4][2:])
    if day is None:
        return None
    if hh > 23 or mi > 59 or oh > 13 or om > 59:
        problems.add(label, f"invalid time or UTC offset in {text!r}", line)
        return None
    offset = timedelta(hours=oh, minutes=om) * (-1 if match[3] == "-" else 1)
    return datetime(day.year, day.month, day.day, hh, mi, tzinfo=timezone(offset))


def render_date_time_indication(value: datetime) -> str:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise TypeError("date-time indication must be a timezone-aware datetime")
    offset = value.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{render_date6(value.date())}{value:%H%M}{sign}{minutes // 60:02d}{minutes % 60:02d}"


def parse_account_identification(
    option: str, text: str, label: str, line: int | None, problems: Problems
) -> AccountIdentification | None:
    """Read :25: ``35x`` or :25P: ``35x`` + BIC on a second line."""
    lines = text.split("\n")
    account = lines[0]
    if not account or len(account) > 35:
        problems.add(label, "account identification must be 1 to 35 characters", line)
        return None
    if option == "P":
        if len(lines) != 2:
            problems.add(label, "option P needs the account and the BIC on a second line", line)
            return None
        bic = parse_bic(lines[1], label, None if line is None else line + 1, problems)
        return None if bic is None else AccountIdentification(account, bic)
    if len(lines) != 1:
        problems.add(label, "account identification must be a single line", line)
        return None
    return AccountIdentification(account)


def render_account_identification(value: AccountIdentification) -> tuple[str, str]:
    if value.bic is not None:
        return "P", f"{value.account}\n{value.bic}"
    return "", value.account


def parse_statement_number(text: str, label: str, line: int | None, problems: Problems) -> StatementNumber | None:
    """Read :28C: ``5n[/5n]``."""
    match = re.match(r"^([0-9]{1,5})(?:/([0-9]{1,5}))?$", text)
    if not match:
        problems.add(label, f"expected statement number[/sequence number] (5n[/5n]), got {text!r}", line)
        return None
    return StatementNumber(int(match[1]), int(match[2]) if match[2] is not None else None)


def render_statement_number(value: StatementNumber) -> str:
    if not 0 <= value.statement_number <= 99999 or not 0 <= (value.sequence_number or 0) <= 99999:
        raise ValueError("statement and sequence numbers have at most 5 digits")
    seq = f"/{value.sequence_number}" if value.sequence_number is not None else ""
    return f"{value.statement_number}{seq}"


def parse_balance(option: str, text: str, label: str, line: int | None, problems: Problems) -> Balance | None:
    """Read a balance ``1!a6!n3!a15d``: D/C mark, date, currency, amount (zero allowed)."""
    match = re.match(r"^([A-Z])([0-9]{6})([A-Z]{3})(.*)$", text)
    if not match:
        problems.add(label, f"expected D/C mark, YYMMDD, currency and amount (1!a6!n3!a15d), got {text!r}", line)
        return None
    if match[1] not in ("C", "D"):
        problems.add(label, f"debit/credit mark must be C or D, got {match[1]!r}", line)
        return None
    day = parse_date6(match[2], label, line, problems)
    currency = parse_currency(match[3], label, line, problems)
    if day is None or currency is None:
        return None
    amount = parse_amount(match[4], currency, label, line, problems, allow_zero=True)
    if amount is None:
        return None
    return Balance(match[1], day, currency, amount, intermediate=option == "M")


def render_balance(value: Balance) -> str:
    return f"{value.mark}{render_date6(value.date)}{value.currency}{render_amount(value.amount, value.currency)}"


_STATEMENT_LINE_RE = re.compile(
    r"^(?P<value>[0-9]{6})(?P<entry>[0-9]{4})?(?P<mark>RC|RD|C|D)(?P<funds>[A-Z])?"
    r"(?P<amount>[0-9]+,[0-9]*)(?P<type>[NSF][A-Z0-9]{3})(?P<rest>.*)$"
)


def _entry_date_near(value_date: date, mmdd: str) -> date | None:
    """Pick the year for an MMDD entry date: the candidate closest to the value date (handles year ends)."""
    month, day = int(mmdd[:2]), int(mmdd[2:])
    candidates = []
    for year in (value_date.year - 1, value_date.year, value_date.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        return None
    return min(candidates, key=lambda candidate: abs((candidate - value_date).days))


def parse_statement_line(
    text: str, currency: str | None, label: str, line: int | None, problems: Problems
) -> StatementLine | None:
    """Read :61: ``6!n[4!n]2a[1!a]15d1!a3!c16x[//16x]`` with optional ``[34x]`` on a second line."""
    lines = text.split("\n")
    if len(lines) > 2:
        problems.add(label, f"at most 2 lines allowed, got {len(lines)}", line)
        return None
    match = _STATEMENT_LINE_RE.match(lines[0])
    if not match:
        problems.add(
            label,
            f"expected value date, [entry date], C/D/RC/RD, [funds code], amount, type code, reference; "
            f"got {lines[0]!r}",
            line,
        )
        return None
    before = len(problems.errors)
    value_date = parse_date6(match["value"], label, line, problems)
    entry_date = None
    if match["entry"] and value_date is not None:
        entry_date = _entry_date_near(value_date, match["entry"])
        if entry_date is None:
            problems.add(label, f"entry date {match['entry']!r} is not a valid MMDD date", line)
    amount = parse_amount(match["amount"], currency, label, line, problems, allow_zero=True)
    customer_reference, has_bank_ref, bank_reference = match["rest"].partition("//")
    if not customer_reference or len(customer_reference) > 16:
        problems.add(label, "reference for the account owner must be 1 to 16 characters (NONREF if none)", line)
    if has_bank_ref and (not bank_reference or len(bank_reference) > 16):
        problems.add(label, "reference of the account servicing institution must be 1 to 16 characters", line)
    supplementary = lines[1] if len(lines) == 2 else None
    if supplementary is not None and (not supplementary or len(supplementary) > 34):
        problems.add(label, "supplementary details must be 1 to 34 characters", None if line is None else line + 1)
    if len(problems.errors) != before or value_date is None or amount is None:
        return None
    return StatementLine(
        value_date=value_date,
        entry_date=entry_date,
        mark=match["mark"],
        funds_code=match["funds"],
        amount=amount,
        transaction_type=match["type"],
        customer_reference=customer_reference,
        bank_reference=bank_reference if has_bank_ref else None,
        supplementary_details=supplementary,
    )


def render_statement_line(value: StatementLine, currency: str) -> str:
    entry = f"{value.entry_date:%m%d}" if value.entry_date is not None else ""
    text = (
        f"{render_date6(value.value_date)}{entry}{value.mark}{value.funds_code or ''}"
        f"{render_amount(value.amount, currency)}{value.transaction_type}{value.customer_reference}"
    )
    if value.bank_reference is not None:
        text += f"//{value.bank_reference}"
    if value.supplementary_details is not None:
        text += f"\n{value.supplementary_details}"
    return text


# --------------------------------------------------------------------------- parties and institutions

_F_LINE_RE = re.compile(r"^([1-8])/(.{1,33})$")
_F_IDENTIFIER_RE = re.compile(r"^[A-Z]{4}/[A-Z]{2}/.{1,27}$")


def _check_name_lines(lines: list[str], label: str, line: int | None, problems: Problems, first_offset: int) -> bool:
    ok = True
    if not lines:
        problems.add(label, "name and address line is missing", line)
        return False
    if len(lines) > 4:
        problems.add(label, f"at most 4 lines of name and address allowed, got {len(lines)}", line)
        ok = False
    for offset, content in enumerate(lines):
        where = None if line is None else line + first_offset + offset
        if not content:
            problems.add(label, "empty line not allowed", where)
            ok = False
        elif len(content) > 35:
            problems.add(label, f"name and address line is {len(content)} characters, at most 35 allowed", where)
            ok = False
    return ok


def parse_party(option: str, text: str, label: str, line: int | None, problems: Problems) -> Party | None:
    """Read :50a: (options A, F, K; in MT101 also C, L, G, H) or :59a: (no letter, A, F)."""
    lines = text.split("\n")
    account = None
    rest = lines
    if option in ("C", "L"):
        if len(lines) != 1:
            problems.add(label, f"option {option} is a single line", line)
            return None
        if option == "C":
            bic = parse_bic(lines[0], label, line, problems)
            return None if bic is None else Party("C", bic=bic)
        if not lines[0] or len(lines[0]) > 35:
            problems.add(label, "option L is a party identifier of 1 to 35 characters", line)
            return None
        return Party("L", identifier=lines[0])
    if option in ("G", "H") and not lines[0].startswith("/"):
        problems.add(label, f"option {option} starts with the ordering customer's /account", line)
        return None
    if option in ("A", "K", "", "G", "H") and lines[0].startswith("/"):
        account = parse_account_line(lines[0], label, line, problems)
        if account is None:
            return None
        rest = lines[1:]
    if option in ("A", "G"):
        if len(rest) != 1:
            problems.add(label, f"option {option} needs an /account line and exactly one BIC line", line)
            return None
        bic = parse_bic(rest[0], label, None if line is None else line + len(lines) - 1, problems)
        return None if bic is None else Party(option, account=account, bic=bic)
    if option == "F":
        return _parse_party_f(lines, label, line, problems)
    if not _check_name_lines(rest, label, line, problems, len(lines) - len(rest)):
        return None
    return Party(option, account=account, name_address=tuple(rest))


def _parse_party_f(lines: list[str], label: str, line: int | None, problems: Problems) -> Party | None:
    """Option F: party identifier (``/34x`` or ``CODE/CC/identifier``) then ``n/33x`` lines, name first."""
    first, rest = lines[0], lines[1:]
    account = identifier = None
    if first.startswith("/"):
        account = parse_account_line(first, label, line, problems)
        if account is None:
            return None
    elif _F_IDENTIFIER_RE.match(first) and len(first) <= 35:
        identifier = first
    else:
        problems.add(label, f"option F party identifier must be /account or CODE/CC/identifier, got {first!r}", line)
        return None
    if not rest or len(rest) > 4:
        problems.add(label, "option F needs 1 to 4 numbered lines after the party identifier", line)
        return None
    ok = True
    for offset, content in enumerate(rest, start=1):
        if not _F_LINE_RE.match(content):
            problems.add(label, f"option F line must be n/33x with n from 1 to 8, got {content!r}", _at(line, offset))
            ok = False
    if ok and not rest[0].startswith("1/"):
        problems.add(label, "option F must give the name (line number 1) first", _at(line, 1))
        ok = False
    return Party("F", account=account, identifier=identifier, name_address=tuple(rest)) if ok else None


def _at(line: int | None, offset: int) -> int | None:
    return None if line is None else line + offset


def render_party(value: Party) -> tuple[str, str]:
    """Return the option letter and the field text for a customer."""
    lines: list[str] = []
    if value.option in ("F", "L") and value.identifier is not None:
        lines.append(value.identifier)
    elif value.account is not None:
        lines.append(f"/{value.account}")
    if value.option in ("A", "C", "G"):
        lines.append(value.bic or "")
    elif value.option != "L":
        lines.extend(value.name_address)
    return value.option, "\n".join(lines)


def parse_institution(option: str, text: str, label: str, line: int | None, problems: Problems) -> Institution | None:
    """Read an institution field in option A (BIC), B (location), C (account) or D (name and address)."""
    lines = text.split("\n")
    account = dc_mark = None
    rest = lines
    if lines[0].startswith("/"):
        identifier = lines[0]
        found = re.match(r"^/([CD])/(.*)$", identifier)
        if found:
            dc_mark, identifier = found[1], "/" + found[2]
        account = parse_account_line(identifier, label, line, problems)
        if account is None:
            return None
        rest = lines[1:]
    elif option == "C":
        problems.add(label, "option C must be /account", line)
        return None
    offset = len(lines) - len(rest)
    if option == "A":
        if len(rest) != 1:
            problems.add(label, "option A needs an optional party identifier line and exactly one BIC line", line)
            return None
        bic = parse_bic(rest[0], label, _at(line, offset), problems)
        return None if bic is None else Institution("A", account=account, dc_mark=dc_mark, bic=bic)
    if option == "B":
        if len(rest) > 1 or (rest and (not rest[0] or len(rest[0]) > 35)):
            problems.add(label, "option B allows one location line of at most 35 characters", _at(line, offset))
            return None
        if account is None and not rest:
            problems.add(label, "option B needs a party identifier or a location", line)
            return None
        return Institution("B", account=account, dc_mark=dc_mark, location=rest[0] if rest else None)
    if option == "C":
        if rest:
            problems.add(label, "option C allows only the /account line", _at(line, offset))
            return None
        return Institution("C", account=account, dc_mark=dc_mark)
    if not _check_name_lines(rest, label, line, problems, offset):
        return None
    return Institution("D", account=account, dc_mark=dc_mark, name_address=tuple(rest))


def render_institution(value: Institution) -> tuple[str, str]:
    """Return the option letter and the field text for an institution."""
    lines: list[str] = []
    if value.account is not None:
        lines.append(f"/{value.dc_mark}/{value.account}" if value.dc_mark else f"/{value.account}")
    if value.option == "A":
        lines.append(value.bic or "")
    elif value.option == "B" and value.location is not None:
        lines.append(value.location)
    elif value.option == "D":
        lines.extend(value.name_address)
    return value.option, "\n".join(lines)
