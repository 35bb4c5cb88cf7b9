"""MT940 / MT942 / MT950 statement files as banks really export them, onto one :class:`~..statement.Statement`.

A statement file holds one or many messages, either as FIN messages (``{1:..}{2:..}{4:`` ... ``-}{5:..}``)
or as bare block-4 text (``:20:`` ... ``:62F:`` ... ``-``), with CRLF, LF or CR line ends, a byte order
mark, SOH/ETX/Ctrl-Z framing, blank lines, header lines such as ``ABNANL2A`` / ``940`` between messages,
and no final line break. :func:`split_statement_file` cuts such a file into messages;
:func:`read_statement_file` checks and maps each of them.

What is checked: field presence and order per message type, every field's format (balances, :61:
statement lines, :28C:, :34F:, :13D:, :90D:/:90C:), one currency per message, opening balance plus
entries equals the closing balance (MT940/MT950) and the :90D:/:90C: counts and sums of an MT942. A FIN
message is also read by :func:`~.messages.parse_message` (MT940/MT950) or its envelope checked
(MT942), so the FIN rules (X character set, blocks 1-5) apply to it. Bare exports never travelled over
FIN, so their text may carry the bank's national characters (umlauts in German exports); they are not
refused for it.

:86: is read into structured remittance where a bank structures it: the German ZKA/DK "GVC" layout
(``166?00SEPA-GUTSCHRIFT?20EREF+...?21SVWZ+...?32Name``) and the SWIFT/Dutch ``/EREF/.../REMI/...``
codes; otherwise its lines are the unstructured remittance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from ..errors import FieldError
from ..statement import (
    CLOSING_AVAILABLE,
    CLOSING_BOOKED,
    CREDIT,
    DEBIT,
    FORWARD_AVAILABLE,
    OPENING_BOOKED,
    REPORT,
    STATEMENT,
    Remittance,
    Statement,
    StatementBalance,
    StatementEntry,
)
from .blocks import read_envelope, split_message
from .fields import (
    Balance,
    Problems,
    StatementLine,
    parse_amount,
    parse_balance,
    parse_currency,
    parse_statement_line,
    parse_statement_number,
)
from .messages import parse_message

STATEMENT_TYPES = ("MT940", "MT942", "MT950")

_TAG_RE = re.compile(r"^:([0-9]{2}[A-Z]?|NS):(.*)$")
_NO_REFERENCE_RE = re.compile(r"^[0-9]{6}([0-9]{4})?R?[CD][A-Z]?[0-9]+,[0-9]*[NSF][A-Z0-9]{3}$")
_JUNK = dict.fromkeys(map(ord, "\x00\x01\x02\x03\x04\x1a\ufeff"), None)
_BLOCK2_RE = re.compile(r"\{2:[IO]([0-9]{3})")
_GVC_RE = re.compile(r"^([0-9]{3})(\?)")
_SWIFT_CODES_RE = re.compile(r"/(EREF|REMI|NAME|IBAN|BIC|CNTP|ORDP|BENM|MARF|CSID|UETR|PREF|RTRN|ISDT|TRCD|ADDR)/")
_SEPA_KEYS_RE = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC)\+")

#: per message type: (tag, options, mandatory, repeatable) in the standard's order. "61" and "86" loop.
_LAYOUTS: dict[str, list[tuple[str, str, bool]]] = {
    "MT940": [
        ("20", "", True),
        ("21", "", False),
        ("25", " P", True),
        ("28", "C", True),
        ("60", "FM", True),
        ("61", "", False),
        ("62", "FM", True),
        ("64", "", False),
        ("65", "", False),
        ("86", "", False),
    ],
    "MT950": [
        ("20", "", True),
        ("25", " P", True),
        ("28", "C", True),
        ("60", "FM", True),
        ("61", "", False),
        ("62", "FM", True),
        ("64", "", False),
        ("65", "", False),
    ],
    "MT942": [
        ("20", "", True),
        ("21", "", False),
        ("25", " P", True),
        ("28", "C", True),
        ("34", "F", True),
        ("13", "D", True),
        ("61", "", False),
        ("90", "DC", False),
        ("86", "", False),
    ],
}
_REPEATABLE = {"61", "65", "34", "90"}


@dataclass
class RawStatementMessage:
    """One message cut from a statement file: its text, first line in the file and whether it has FIN blocks."""

    text: str
    first_line: int
    enveloped: bool
    fields: list[tuple[str, str, int]] = field(default_factory=list)  # (tag, value, line in the file)
    message_type: str = "MT940"
    header_breaks: int = 0  # line breaks removed between the header blocks


@dataclass
class StatementFileResult:
    """Every message of one file mapped onto the statement model, and every problem found."""

    message_type: str
    statements: list[Statement] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    message_count: int = 0

    @property
    def valid(self) -> bool:
        return not self.errors


def decode_statement_bytes(raw: bytes | str) -> str:
    """Text of a statement file: UTF-8 if it is, else ISO 8859-1 (what German and Dutch exports use)."""
    if isinstance(raw, str):
        text = raw
    else:
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            text = bytes(raw).decode("latin-1")
    return text.translate(_JUNK)


def looks_like_statement_file(raw: bytes) -> bool:
    """A bare (block-less) MT940/942/950 export: its first field tag is :20: and a :25a: and :28C: (or the
    pre-1997 :28:) follow."""
    head = decode_statement_bytes(bytes(raw[:4096]))
    lines = [line.strip() for line in re.split(r"\r\n|\n|\r", head)]
    tags = [line[:5] for line in lines if _TAG_RE.match(line)]
    if not tags or not tags[0].startswith(":20:"):
        return False
    return ":25" in head and re.search(r"^:28C?:", head, re.MULTILINE) is not None


def split_statement_file(raw: bytes | str) -> list[RawStatementMessage]:
    """Cut a statement file into its messages (FIN-enveloped or bare), keeping each one's first line."""
    text = decode_statement_bytes(raw)
    if "{1:" in text or "{4:" in text:
        return _split_enveloped(text)
    return _split_bare(text)


def _split_enveloped(text: str) -> list[RawStatementMessage]:
    starts = [match.start() for match in re.finditer(r"\{1:", text)]
    if not starts:
        starts = [match.start() for match in re.finditer(r"\{[24]:", text)][:1]
    messages = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        chunk = text[start:end]
        # Drop what follows the last block (a $ separator, a trailer of the export tool, blank lines).
        close = chunk.rfind("}")
        if close != -1:
            chunk = chunk[: close + 1]
        first_line = text.count("\n", 0, start) + 1
        # Some exports (ING's MT940 specification, for one) put a line break between the header blocks; FIN
        # has none there. Joined up again, the message reads as FIN; ``header_breaks`` keeps the line numbers.
        body_at = chunk.find("{4:")
        header_breaks = 0
        if body_at > 0:
            header = re.sub(r"\}[ \t\r\n]+(?=\{|$)", "}", chunk[:body_at])
            header_breaks = chunk.count("\n", 0, body_at) - header.count("\n")
            chunk = header + chunk[body_at:]
        chunk = re.sub(r"(\n-\})[ \t\r\n]+\{", r"\1{", chunk)
        message = RawStatementMessage(chunk, first_line, True)
        message.header_breaks = header_breaks
        type_match = _BLOCK2_RE.search(chunk)
        message.message_type = f"MT{type_match[1]}" if type_match else "UNKNOWN"
        body_start = chunk.find("{4:")
        body_end = chunk.find("\n-}", body_start) if body_start != -1 else -1
        if body_start != -1:
            body = chunk[body_start + 3 : body_end if body_end != -1 else len(chunk)]
            offset = first_line + header_breaks + chunk.count("\n", 0, body_start)
            message.fields = _fields(body.split("\n"), offset)
        messages.append(message)
    return messages


def _split_bare(text: str) -> list[RawStatementMessage]:
    lines = re.split(r"\r\n|\n|\r", text)
    messages: list[RawStatementMessage] = []
    current: list[str] = []
    current_start = 0
    inside = False

    def close() -> None:
        if current:
            message = RawStatementMessage("\n".join(current), current_start, False)
            message.fields = _fields(current, current_start - 1)
            message.message_type = _bare_type(message.fields)
            messages.append(message)

    for number, line in enumerate(lines, start=1):
        stripped = line.rstrip()
        if stripped.startswith(":20:"):
            close()
            current, current_start, inside = [stripped], number, True
        elif not inside:
            continue  # header lines, blank lines and framing between messages
        elif stripped in ("-", "-}", "$"):
            close()
            current, inside = [], False
        else:
            current.append(stripped)
    close()
    return messages


def _fields(lines: list[str], offset: int) -> list[tuple[str, str, int]]:
    """Tag/value/line triples of block-4 text; ``offset`` is the file line before ``lines[0]``."""
    fields: list[tuple[str, str, int]] = []
    for index, raw_line in enumerate(lines):
        line = raw_line.rstrip("\r")
        match = _TAG_RE.match(line)
        if match:
            fields.append((match[1], match[2].rstrip(), offset + index + 1))
        elif fields and line.strip() and line.strip() != "-":
            tag, value, first = fields[-1]
            fields[-1] = (tag, f"{value}\n{line.rstrip()}", first)
    return fields


def _bare_type(fields: list[tuple[str, str, int]]) -> str:
    tags = {tag for tag, _, _ in fields}
    if "34F" in tags or "13D" in tags or not any(tag.startswith("60") for tag in tags):
        return "MT942"
    return "MT940"


# --------------------------------------------------------------------------- reading


def read_statement_file(raw: bytes | str) -> StatementFileResult:
    """Check and map every message of an MT940/MT942/MT950 file; never raises for bad input."""
    messages = split_statement_file(raw)
    types = sorted({message.message_type for message in messages})
    result = StatementFileResult("/".join(types) if types else "MT940", message_count=len(messages))
    if not messages:
        result.errors.append(FieldError("file", "no MT940/MT942/MT950 message found (no :20: field)", 1))
        return result
    for message in messages:
        problems = Problems(message.message_type)
        if message.message_type not in STATEMENT_TYPES:
            problems.add(
                "{2:}",
                f"message type {message.message_type} is not a statement (MT940/MT942/MT950)",
                message.first_line,
            )
        else:
            if message.enveloped:
                _check_fin(message, problems)
            # A FIN MT940/MT950 that the FIN reader refused is reported with its errors alone (the same
            # rules would otherwise be reported twice).
            fin_refused = message.enveloped and message.message_type != "MT942" and bool(problems)
            statement = None if fin_refused else _read_message(message, problems)
            if statement is not None and not problems:
                result.statements.append(statement)
        result.errors.extend(problems.errors)
    result.errors.sort(key=lambda error: (error.line is None, error.line or 0))
    if result.errors:
        result.statements = []
    return result


def _check_fin(message: RawStatementMessage, problems: Problems) -> None:
    """FIN rules for an enveloped message: the whole reader for MT940/MT950, the envelope for MT942."""
    shift = message.first_line - 1 + message.header_breaks
    if message.message_type in ("MT940", "MT950"):
        try:
            parse_message(message.text)
        except Exception as exc:  # noqa: BLE001 - MessageValidationError: keep its errors, at file lines
            for error in getattr(exc, "errors", [FieldError("message", str(exc))]):
                problems.errors.append(FieldError(error.field, error.reason, (error.line or 1) + shift))
        return
    local = Problems(message.message_type)
    split = split_message(message.text, local)
    read_envelope(split, local)
    for error in local.errors:
        problems.errors.append(FieldError(error.field, error.reason, (error.line or 1) + shift))


def _check_order(message: RawStatementMessage, problems: Problems) -> None:
    layout = _LAYOUTS[message.message_type]
    position = 0
    seen: set[str] = set()
    previous = ""
    for tag, _value, line in message.fields:
        if tag == "NS" and not message.enveloped:
            continue  # German "non-SWIFT" :NS: field of bank exports: bank-internal data, not read
        base, option = tag[:2], tag[2:] or " "
        if base == "28" and option == " " and not message.enveloped:
            option = "C"  # :28: is the pre-1997 name of :28C:, still written by bank exports
        index = next((i for i in range(len(layout)) if layout[i][0] == base), None)
        if index is None:
            problems.add(f":{tag}:", f"field is not allowed in {message.message_type}", line)
            continue
        allowed = layout[index][1]
        if allowed and option not in allowed and not (option == " " and " " in allowed):
            problems.add(f":{tag}:", f"option {tag[2:] or '(none)'} is not allowed in {message.message_type}", line)
        if base == "86" and previous in ("61", "86") and message.message_type in ("MT940", "MT942"):
            # An :86: right after a :61: is that entry's information (sits at the :61: position); only a
            # :86: after the closing balances (or after :90a:) is the message's final one.
            index = next(i for i in range(len(layout)) if layout[i][0] == "61")
            if previous == "86" and not message.enveloped:
                pass  # old bank exports split one entry's information over several :86: fields
            elif previous == "86":
                problems.add(f":{tag}:", "field is repeated", line)
            position = max(position, index)
        elif base == "61":
            if index < position:
                problems.add(f":{tag}:", "field is out of order", line)
            position = index
        elif index < position or (base in seen and base not in _REPEATABLE and base != "86"):
            problems.add(f":{tag}:", "field is out of order or repeated", line)
        else:
            position = index
        seen.add(base)
        previous = base
    for base, options, mandatory in layout:
        if mandatory and base not in seen:
            label = f":{base}{options.strip()[0] if len(options.strip()) == 1 else 'a' if options.strip() else ''}:"
            problems.add(label, "mandatory field is missing", message.first_line)


def _read_message(message: RawStatementMessage, problems: Problems) -> Statement | None:
    _check_order(message, problems)
    values: dict[str, list[tuple[str, str, int]]] = {}
    for tag, value, line in message.fields:
        values.setdefault(tag[:2], []).append((tag, value, line))

    def first(base: str) -> tuple[str, str, int] | None:
        items = values.get(base)
        return items[0] if items else None

    reference = first("20")
    if reference is not None and (not reference[1].strip() or len(reference[1].strip()) > 16):
        problems.add(":20:", "transaction reference must be 1 to 16 characters", reference[2])
    account_field = first("25")
    account = account_field[1].split("\n")[0].strip() if account_field else ""
    servicer_bic = None
    if account_field and account_field[0] == "25P":
        parts = account_field[1].split("\n")
        servicer_bic = parts[1].strip() if len(parts) > 1 else None
    if account_field is not None and not account:
        problems.add(":25:", "account identification must not be empty", account_field[2])
    number = first("28")
    sequence = None
    if number is not None:
        parsed_number = parse_statement_number(number[1].strip(), ":28C:", number[2], problems)
        if parsed_number is not None:
            sequence = str(parsed_number.statement_number) + (
                f"/{parsed_number.sequence_number}" if parsed_number.sequence_number is not None else ""
            )
    balances: list[StatementBalance] = []
    opening = _balance(first("60"), OPENING_BOOKED, problems)
    closing = _balance(first("62"), CLOSING_BOOKED, problems)
    currency = opening.currency if opening else None
    for item in values.get("64", []):
        balance = _balance(item, CLOSING_AVAILABLE, problems)
        if balance:
            balances.append(balance)
    forward = [_balance(item, FORWARD_AVAILABLE, problems) for item in values.get("65", [])]
    floor = first("34")
    if currency is None and floor is not None:
        currency = parse_currency(floor[1].strip()[:3], ":34F:", floor[2], problems)
        parse_amount(floor[1].strip()[3:].lstrip("DC"), currency, ":34F:", floor[2], problems, allow_zero=True)
    moment = _date_time(first("13"), problems)
    entries, lines_ok = _entries(message, currency, problems)
    for label, balance in (("62a", closing), ("64", balances[0] if balances else None)):
        if balance is not None and currency is not None and balance.currency != currency:
            problems.add(
                f":{label}:",
                f"currency {balance.currency} differs from the opening balance currency {currency}",
                first(label[:2])[2] if first(label[:2]) else None,
            )
    if opening is not None and closing is not None and lines_ok and opening.currency == closing.currency:
        expected = opening.signed_amount + sum((entry.signed_amount for entry in entries), start=opening.amount * 0)
        if expected != closing.signed_amount:
            closing_field = first("62")
            problems.add(
                ":62a:",
                f"closing balance {closing.signed_amount} does not equal opening balance plus entries ({expected})",
                closing_field[2] if closing_field else None,
            )
    if message.message_type == "MT942" and lines_ok:
        _check_942_totals(values.get("90", []), entries, currency, problems)
    if opening:
        balances.insert(0, opening)
    if closing:
        balances.insert(1 if opening else 0, closing)
    balances.extend(balance for balance in forward if balance is not None)
    information = ()
    if message.message_type == "MT940" and message.fields and message.fields[-1][0] == "86":
        # A :86: after :62a: (or after :64:/:65:) is information for the whole statement, not an entry's.
        tags = [tag[:2] for tag, _, _ in message.fields]
        if "62" in tags and tags.index("62") < len(tags) - 1:
            information = tuple(message.fields[-1][1].split("\n"))
    if problems:
        return None
    return Statement(
        source_format=message.message_type,
        kind=REPORT if message.message_type == "MT942" else STATEMENT,
        statement_id=reference[1].strip() if reference else "",
        account=account,
        currency=currency,
        message_id=reference[1].strip() if reference else None,
        created=moment,
        sequence_number=sequence,
        account_servicer_bic=servicer_bic,
        period_end=moment if moment is not None else (closing.date if closing else None),
        balances=tuple(balances),
        entries=tuple(entries),
        information=information,
    )


def _balance(item: tuple[str, str, int] | None, type_code: str, problems: Problems) -> StatementBalance | None:
    if item is None:
        return None
    tag, value, line = item
    parsed: Balance | None = parse_balance(tag[2:], value.strip(), f":{tag}:", line, problems)
    if parsed is None:
        return None
    return StatementBalance(
        type_code=type_code,
        amount=parsed.amount,
        currency=parsed.currency,
        credit_debit=DEBIT if parsed.mark == "D" else CREDIT,
        date=parsed.date,
        intermediate=parsed.intermediate,
    )


def _date_time(item: tuple[str, str, int] | None, problems: Problems) -> datetime | None:
    """:13D: ``6!n4!n1!x4!n``: YYMMDDhhmm and a UTC offset."""
    if item is None:
        return None
    tag, value, line = item
    match = re.match(r"^([0-9]{6})([0-9]{2})([0-9]{2})([+-])([0-9]{2})([0-9]{2})$", value.strip())
    if not match:
        problems.add(f":{tag}:", f"expected YYMMDDhhmm and UTC offset (6!n4!n1!x4!n), got {value.strip()!r}", line)
        return None
    try:
        offset = timedelta(hours=int(match[5]), minutes=int(match[6])) * (-1 if match[4] == "-" else 1)
        yy, mm, dd = int(match[1][:2]), int(match[1][2:4]), int(match[1][4:])
        year = 1900 + yy if yy >= 80 else 2000 + yy
        return datetime(year, mm, dd, int(match[2]), int(match[3]), tzinfo=timezone(offset))
    except ValueError:
        problems.add(f":{tag}:", f"{value.strip()!r} is not a valid date and time", line)
        return None


def _entries(
    message: RawStatementMessage, currency: str | None, problems: Problems
) -> tuple[list[StatementEntry], bool]:
    ok = True
    pending: list[tuple[StatementLine, int, tuple[str, ...]]] = []
    previous = ""
    for tag, value, line in message.fields:
        if tag == "61":
            first_line, _, rest = value.partition("\n")
            if not message.enveloped and _NO_REFERENCE_RE.match(first_line):
                # Savings-bank exports leave the mandatory reference out; FIN would not, a file export may.
                value = first_line + "NONREF" + ("\n" + rest if rest else "")
            parsed = parse_statement_line(value, currency, ":61:", line, problems)
            if parsed is None:
                ok = False
                previous = "x"
                continue
            pending.append((parsed, line, ()))
        elif tag == "86" and previous in ("61", "86") and pending:
            statement_line, first_line, information = pending[-1]
            pending[-1] = (statement_line, first_line, information + tuple(value.split("\n")))
        previous = tag[:2]
    entries = [_entry(statement_line, currency or "", info, line) for statement_line, line, info in pending]
    return entries, ok


def _entry(line: StatementLine, currency: str, information: tuple[str, ...], line_number: int) -> StatementEntry:
    credit = line.mark in ("C", "RD")
    remittance, references = parse_information(information)
    customer_reference = line.customer_reference if line.customer_reference != "NONREF" else None
    return StatementEntry(
        amount=line.amount,
        currency=currency,
        credit_debit=CREDIT if credit else DEBIT,
        booking_date=line.entry_date or line.value_date,
        value_date=line.value_date,
        reversal=line.mark.startswith("R"),
        end_to_end_id=references.get("EREF"),
        uetr=references.get("UETR"),
        account_servicer_reference=line.bank_reference,
        mandate_id=references.get("MREF"),
        customer_reference=customer_reference,
        bank_transaction_code=references.get("GVC") or line.transaction_type,
        counterparty_name=references.get("NAME"),
        counterparty_account=references.get("IBAN"),
        counterparty_bic=references.get("BIC"),
        remittance=remittance,
        additional_info=line.supplementary_details,
        line=line_number,
    )


def _check_942_totals(
    items: list[tuple[str, str, int]], entries: list[StatementEntry], currency: str | None, problems: Problems
) -> None:
    """:90D: / :90C: carry the number and the sum of the debit / credit entries (``5n3!a15d``)."""
    for tag, value, line in items:
        match = re.match(r"^([0-9]{1,5})([A-Z]{3})(.*)$", value.strip())
        if not match:
            problems.add(f":{tag}:", f"expected number, currency and amount (5n3!a15d), got {value.strip()!r}", line)
            continue
        amount = parse_amount(match[3], match[2], f":{tag}:", line, problems, allow_zero=True)
        side = DEBIT if tag == "90D" else CREDIT
        selected = [entry for entry in entries if entry.credit_debit == side]
        if int(match[1]) != len(selected):
            problems.add(f":{tag}:", f"says {int(match[1])} entries but the message has {len(selected)}", line)
        total = sum((entry.amount for entry in selected), start=amount * 0 if amount is not None else 0)
        if amount is not None and total != amount:
            problems.add(f":{tag}:", f"says a total of {amount} but the entries add up to {total}", line)
        if currency is not None and match[2] != currency:
            problems.add(f":{tag}:", f"currency {match[2]} differs from the report currency {currency}", line)


# --------------------------------------------------------------------------- :86: structures


def parse_information(lines: tuple[str, ...]) -> tuple[Remittance, dict[str, str]]:
    """Read :86: into remittance and the references it names (EREF, MREF, UETR, NAME, IBAN, BIC, GVC)."""
    if not lines:
        return Remittance(), {}
    joined = "".join(lines)
    gvc = _GVC_RE.match(joined)
    if gvc:
        return _parse_gvc(joined)
    if _SWIFT_CODES_RE.search(joined):
        return _parse_slash_codes("".join(lines))
    return Remittance(unstructured=tuple(line for line in lines if line.strip())), {}


def _parse_gvc(joined: str) -> tuple[Remittance, dict[str, str]]:
    """German GVC :86: ``ccc?00booking text?10primanota?20..?29 purpose?30 BLZ?31 account?32/33 name?60..63``."""
    code, separator = joined[:3], joined[3]
    subfields: list[tuple[str, str]] = []
    for part in joined[4:].split(separator):
        if len(part) >= 2 and part[:2].isdigit():
            subfields.append((part[:2], part[2:]))
        elif subfields:
            subfields[-1] = (subfields[-1][0], subfields[-1][1] + separator + part)
    references: dict[str, str] = {"GVC": code}
    purpose = "".join(value for key, value in subfields if "20" <= key <= "29" or "60" <= key <= "63")
    names = " ".join(value.strip() for key, value in subfields if key in ("32", "33") and value.strip())
    if names:
        references["NAME"] = names
    for key, value in subfields:
        if key == "30" and value.strip():
            references["BIC"] = value.strip()
        elif key == "31" and value.strip():
            references["IBAN"] = value.strip()
    unstructured: list[str] = []
    keyed = list(_SEPA_KEYS_RE.finditer(purpose))
    if keyed:
        if keyed[0].start() > 0:
            unstructured.append(purpose[: keyed[0].start()].strip())
        for index, match in enumerate(keyed):
            end = keyed[index + 1].start() if index + 1 < len(keyed) else len(purpose)
            value = purpose[match.end() : end].strip()
            key = match[1]
            if key == "SVWZ":
                unstructured.append(value)
            elif key in ("EREF", "MREF", "KREF") and value and value != "NOTPROVIDED":
                references[key] = value
            elif key in ("IBAN", "BIC") and value:
                references.setdefault(key, value)
    elif purpose.strip():
        unstructured.append(purpose.strip())
    booking_text = next((value for key, value in subfields if key == "00"), "")
    refs = tuple(references[key] for key in ("EREF", "KREF") if key in references)
    remittance = Remittance(
        unstructured=tuple(part for part in unstructured if part) or ((booking_text,) if booking_text else ()),
        references=refs,
        subfields=tuple(subfields),
    )
    return remittance, references


def _parse_slash_codes(joined: str) -> tuple[Remittance, dict[str, str]]:
    """``/EREF/ref/REMI/text/NAME/...`` (SWIFT structured :86:, as ING and Rabobank write it)."""
    matches = list(_SWIFT_CODES_RE.finditer(joined))
    references: dict[str, str] = {}
    subfields: list[tuple[str, str]] = []
    unstructured: list[str] = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(joined)
        value = joined[match.end() : end].strip().rstrip("/")
        subfields.append((match[1], value))
        if match[1] == "REMI":
            unstructured.append(value)
        elif match[1] in ("CNTP", "ORDP", "BENM"):
            parts = value.split("/")
            if parts and parts[0]:
                references.setdefault("IBAN", parts[0])
            if len(parts) > 1 and parts[1]:
                references.setdefault("BIC", parts[1])
            if len(parts) > 2 and parts[2]:
                references.setdefault("NAME", parts[2])
        elif value and value != "NOTPROVIDED":
            references.setdefault(match[1], value)
    refs = tuple(references[key] for key in ("EREF",) if key in references)
    return Remittance(unstructured=tuple(unstructured), references=refs, subfields=tuple(subfields)), references


def statement_date(statement: Statement) -> date | None:
    """The business day a statement closes."""
    cut_off = statement.cut_off
    if isinstance(cut_off, datetime):
        return cut_off.date()
    return cut_off
