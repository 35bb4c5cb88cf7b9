"""camt.052 / camt.053 / camt.054 of every version (001.01 to 001.12) onto one :class:`~..statement.Statement`.

Each file is validated with the official XSD of its own version (shipped in ``xsd/``, byte-identical to
the ISO download) and read by local element names, so one reader serves all twelve versions: the
differences that matter are absorbed here (V01-V06 write ``<Sts>BOOK</Sts>``, V07+ ``<Sts><Cd>BOOK</Cd>``;
V01 balance types are ``Tp/Cd``, later ``Tp/CdOrPrtry/Cd``; V08+ wrap related parties in ``Pty``; UETR
exists from V07; V01 proprietary accounts are ``PrtryAcct``).

Streaming: the file is read with ``lxml.etree.iterparse`` with the schema plugged into the parser, and
each ``Ntry`` is turned into a :class:`StatementEntry` and cleared as soon as it ends, so memory does not
grow with the XML tree (a 10 MB camt.053 in bench/bench_formats.py). ``keep_entries=False`` (the
validator) does not even keep the entries, only running sums. A streaming schema error carries the
first problem only; a file below :data:`FULL_REPORT_LIMIT` bytes is then validated again as a tree so
every error is reported with its line, as everywhere else in this package.

Checks beyond the XSD, per element while streaming: IBAN check digits and BIC structure (schwifty),
currency precision (ISO 4217 exponent, the ISO 20022 CurrencyAmount rule) and, for camt.053, that the
opening booked balance plus the booked entries equals the closing booked balance.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from pathlib import Path
from typing import IO

from lxml import etree

from ..amounts import currency_exponent, is_known_currency
from ..errors import FieldError, MessageValidationError
from ..statement import (
    CREDIT,
    NOTIFICATION,
    REPORT,
    STATEMENT,
    Remittance,
    Statement,
    StatementBalance,
    StatementEntry,
)
from .checks import bic_problem, iban_problem
from .schemas import ISO_NAMESPACE_PREFIX, XSD_DIR, element_path

FAMILIES = ("camt.052", "camt.053", "camt.054")
VERSIONS = tuple(f"{number:02d}" for number in range(1, 13))
CASH_REPORT_MESSAGE_TYPES: tuple[str, ...] = tuple(f"{family}.001.{v}" for family in FAMILIES for v in VERSIONS)

#: family -> (message root element, per-account element, additional-information element, statement kind)
_LAYOUT = {
    "camt.052": ("BkToCstmrAcctRpt", "Rpt", "AddtlRptInf", REPORT),
    "camt.053": ("BkToCstmrStmt", "Stmt", "AddtlStmtInf", STATEMENT),
    "camt.054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn", "AddtlNtfctnInf", NOTIFICATION),
}

#: Below this size a file whose streaming validation failed is validated again as a tree for every error.
FULL_REPORT_LIMIT = 8 * 1024 * 1024

_ROOT_RE = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)[\s/>]")
_NAMESPACE_RE = re.compile(rb"xmlns(?::([A-Za-z_][\w.-]*))?\s*=\s*[\"']([^\"']*)[\"']")
_FORBIDDEN_MARKUP = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_FRACTION = re.compile(r"(\.\d{6})\d+")
_SNIFF = 8192
_IBAN_TAGS = frozenset({"IBAN"})
_BIC_TAGS = frozenset({"BICFI", "BIC", "AnyBIC", "BICOrBEI"})


@cache
def cash_report_schema(message_type: str) -> etree.XMLSchema:
    """Compile (once per process) the official XSD of one camt.052/053/054 version."""
    if message_type not in CASH_REPORT_MESSAGE_TYPES:
        raise KeyError(message_type)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(XSD_DIR / f"{message_type}.xsd"), parser))


def sniff_cash_report(head: bytes) -> str | None:
    """Return the camt message type when ``head`` (the file's first bytes) opens a camt.05x Document."""
    head = head[:_SNIFF]
    position = 0
    while True:  # skip the XML declaration, processing instructions and comments before the root
        start = head.find(b"<", position)
        if start == -1 or start + 1 >= len(head):
            return None
        if head.startswith(b"<?", start):
            close, width = head.find(b"?>", start), 2
        elif head.startswith(b"<!--", start):
            close, width = head.find(b"-->", start), 3
        elif head.startswith(b"<!", start):
            return None  # a DOCTYPE: not ours to read (parse_xml_bytes refuses it)
        else:
            break
        if close == -1:
            return None
        position = close + width
    match = _ROOT_RE.match(head, start)
    if match is None or match[2] != b"Document":
        return None
    prefix = match[1] or b""
    end = head.find(b">", start)
    tag_text = head[start : end if end != -1 else len(head)]
    for ns_prefix, uri in _NAMESPACE_RE.findall(tag_text):
        if (ns_prefix or b"") == prefix and uri.startswith(ISO_NAMESPACE_PREFIX.encode()):
            message_type = uri[len(ISO_NAMESPACE_PREFIX) :].decode("ascii", "replace")
            return message_type if message_type in CASH_REPORT_MESSAGE_TYPES else None
    return None


_ENVELOPE_HINT = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:camt\.05[234]\.001\.[0-9]{2}")


def enveloped_cash_report(raw: bytes) -> bytes | None:
    """The camt Document inside an envelope (CBPR+ ``Envelope`` / ``BizMsgEnvlp`` with an AppHdr), or None.

    The envelope is read as a tree (hardened parser), so this is for messages, not 10 MB files; the
    Document is then read like any other, with its own version's XSD.
    """
    if len(raw) > FULL_REPORT_LIMIT or not _ENVELOPE_HINT.search(raw[:_SNIFF]):
        return None
    from .schemas import parse_xml_bytes  # local: schemas is light, but only envelopes need a tree

    try:
        root = parse_xml_bytes(raw, "camt").getroot()
    except MessageValidationError:
        return None
    if etree.QName(root).localname == "Document":
        return None
    for element in root.iter("{*}Document"):
        namespace = etree.QName(element).namespace or ""
        if namespace[len(ISO_NAMESPACE_PREFIX) :] in CASH_REPORT_MESSAGE_TYPES:
            return etree.tostring(element, encoding="UTF-8", xml_declaration=True)
    return None


# --------------------------------------------------------------------------- result


@dataclass
class CashReportResult:
    """What reading one camt file gave: its message type, the statements and every problem found."""

    message_type: str
    statements: list[Statement] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    entry_count: int = 0

    @property
    def valid(self) -> bool:
        return not self.errors


def validate_cash_report(source: bytes | str | Path | IO[bytes]) -> CashReportResult:
    """Stream-validate a camt.05x without keeping its entries (bounded memory whatever the file's size)."""
    return read_cash_report(source, keep_entries=False)


def parse_cash_report(source: bytes | str | Path | IO[bytes]) -> list[Statement]:
    """Parse and validate a camt.052/053/054 of any version; raise MessageValidationError with every problem."""
    result = read_cash_report(source)
    if result.errors:
        raise MessageValidationError(result.message_type, result.errors)
    return result.statements


def read_cash_report(source: bytes | str | Path | IO[bytes], *, keep_entries: bool = True) -> CashReportResult:
    """Read a camt.052/053/054 (bytes, text, a path or a binary file object); never raises for bad input."""
    raw: bytes | None = None
    if isinstance(source, str):
        raw = source.encode("utf-8")
    elif isinstance(source, bytes | bytearray | memoryview):
        raw = bytes(source)
    if raw is not None:
        stream: IO[bytes] = io.BytesIO(raw)
        head = raw[:_SNIFF]
    elif isinstance(source, Path):
        stream = source.open("rb")
        head = stream.read(_SNIFF)
        stream.seek(0)
    else:
        stream = source
        head = stream.read(_SNIFF)
        stream.seek(0)
    try:
        if raw is not None and sniff_cash_report(head.lstrip(b"\xef\xbb\xbf \t\r\n")) is None:
            inner = enveloped_cash_report(raw)
            if inner is not None:
                return _read(io.BytesIO(inner), inner[:_SNIFF], inner, keep_entries)
        return _read(stream, head, raw, keep_entries)
    finally:
        if isinstance(source, Path):
            stream.close()


def _read(stream: IO[bytes], head: bytes, raw: bytes | None, keep_entries: bool) -> CashReportResult:
    label = "camt"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        return CashReportResult(label, errors=[FieldError("document", "empty input")])
    prolog_end = _root_offset(head)
    if _FORBIDDEN_MARKUP.search(head[: prolog_end if prolog_end is not None else len(head)]):
        return CashReportResult(label, errors=[FieldError("document", "DOCTYPE/ENTITY declarations are not allowed")])
    message_type = sniff_cash_report(stripped if stripped.startswith(b"<") else head)
    if message_type is None:
        return CashReportResult(
            label, errors=[FieldError("Document", "not a camt.052/053/054 Document of version 001.01 to 001.12")]
        )
    reader = _StreamReader(message_type, keep_entries)
    try:
        reader.run(stream)
    except etree.XMLSyntaxError as exc:
        result = reader.result
        if raw is not None and len(raw) <= FULL_REPORT_LIMIT:
            result.errors = _tree_errors(raw, message_type) or [_syntax_error(exc, reader.last_line)]
        else:
            result.errors.insert(0, _syntax_error(exc, reader.last_line))
        result.statements = []
        return result
    result = reader.result
    result.errors.sort(key=lambda error: (error.line is None, error.line or 0))
    if result.errors:
        result.statements = []  # a statement with a broken rule is not handed on, only its errors
    return result


def _root_offset(head: bytes) -> int | None:
    for match in re.finditer(rb"<([A-Za-z_])", head):
        return match.start()
    return None


def _syntax_error(exc: etree.XMLSyntaxError, last_line: int | None) -> FieldError:
    message = re.sub(r"\{[^}]*\}", "", str(exc.msg if hasattr(exc, "msg") and exc.msg else exc))
    line = exc.lineno if getattr(exc, "lineno", 0) else last_line
    if "Element" in message or "element" in message:
        return FieldError("document", "XSD: " + message, line)
    return FieldError("document", f"not well-formed XML: {message}", line)


def _tree_errors(raw: bytes, message_type: str) -> list[FieldError]:
    """Every schema (or well-formedness) error of a document small enough to hold as a tree."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        tree = etree.fromstring(raw, parser).getroottree()
    except etree.XMLSyntaxError as exc:
        return [FieldError("document", f"not well-formed XML: {exc}", getattr(exc, "lineno", None))]
    schema = cash_report_schema(message_type)
    if schema.validate(tree):
        return []
    errors = []
    for entry in schema.error_log:
        where = "document"
        try:
            located = tree.xpath(entry.path) if entry.path else []
        except etree.XPathError:
            located = []
        if located and isinstance(located[0], etree._Element):
            where = element_path(located[0])
        errors.append(FieldError(where, "XSD: " + re.sub(r"\{[^}]*\}", "", entry.message), entry.line))
    return errors


# --------------------------------------------------------------------------- streaming reader


class _StreamReader:
    """Turns iterparse events into statements; every element is cleared once read."""

    def __init__(self, message_type: str, keep_entries: bool) -> None:
        self.message_type = message_type
        self.family = message_type[:8]
        self.namespace = ISO_NAMESPACE_PREFIX + message_type
        self.root_tag, self.report_tag, self.info_tag, self.kind = _LAYOUT[self.family]
        self.keep_entries = keep_entries
        self.result = CashReportResult(message_type)
        self.last_line: int | None = None
        self.message_id: str | None = None
        self.created: datetime | None = None
        self._report: _ReportBuilder | None = None

    def q(self, path: str) -> str:
        return _qualify(self.namespace, path)

    def run(self, stream: IO[bytes]) -> None:
        ns = self.namespace
        report_tag = f"{{{ns}}}{self.report_tag}"
        header_tag = f"{{{ns}}}GrpHdr"
        entry_tag, balance_tag, account_tag = f"{{{ns}}}Ntry", f"{{{ns}}}Bal", f"{{{ns}}}Acct"
        report_children = (entry_tag, balance_tag, account_tag)
        # Only the elements read here come back to Python; the rest stream through libxml2 (and its XSD check).
        events = etree.iterparse(
            stream,
            events=("end",),
            tag=(entry_tag, balance_tag, account_tag, header_tag, report_tag),
            schema=cash_report_schema(self.message_type),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            remove_comments=True,
            huge_tree=False,
        )
        for _event, element in events:
            self.last_line = element.sourceline or self.last_line
            tag = element.tag
            parent = element.getparent()
            parent_tag = parent.tag if parent is not None else None
            if tag in report_children and parent_tag == report_tag:
                if self._report is None:
                    self._report = _ReportBuilder(self)
                if tag == entry_tag:
                    self._report.add_entry(element)
                    _release(element)
                elif tag == balance_tag:
                    self._report.add_balance(element)
                    _release(element)
                else:
                    self._report.set_account(element)
            elif tag == header_tag:
                self.message_id = _text(element, self.q("MsgId"))
                self.created = _datetime(_text(element, self.q("CreDtTm")))
                self.check_identifiers(element)
                element.clear()
            elif tag == report_tag:
                statement = (self._report or _ReportBuilder(self)).finish(element)
                self.result.statements.append(statement)
                self._report = None
                element.clear()
                while element.getprevious() is not None:
                    del parent[0]

    # ------------------------------------------------------------------ checks
    def error(self, element: etree._Element, reason: str) -> None:
        self.result.errors.append(FieldError(_path_of(element), reason, element.sourceline))

    def check_identifiers(self, element: etree._Element) -> None:
        """IBAN check digits, BIC structure and currency precision of ``element`` and its descendants."""
        for node in _IDENTIFIERS(element):
            local = node.tag.rpartition("}")[2]
            value = (node.text or "").strip()
            if not value:
                continue
            problem = None
            if local in _IBAN_TAGS:
                problem = _iban_problem(value)
            elif local in _BIC_TAGS:
                problem = _bic_problem(value)
            if problem:
                self.error(node, problem)
            currency = node.get("Ccy")
            if currency is not None:
                problem = _amount_problem(value, currency)
                if problem:
                    self.error(node, problem)


_IDENTIFIERS = etree.XPath(
    "descendant-or-self::*[@Ccy or "
    + " or ".join(f"local-name()='{tag}'" for tag in sorted(_IBAN_TAGS | _BIC_TAGS))
    + "]"
)


@lru_cache(maxsize=4096)
def _iban_problem(value: str) -> str | None:
    # A statement repeats the same few accounts thousands of times: check each once.
    return iban_problem(value)


@lru_cache(maxsize=4096)
def _bic_problem(value: str) -> str | None:
    return bic_problem(value)


def _release(element: etree._Element) -> None:
    """Free an element already read, and the already-read siblings before it (they are empty shells)."""
    tag = element.tag
    element.clear()
    parent = element.getparent()
    previous = element.getprevious()
    while previous is not None and previous.tag == tag and parent is not None:
        parent.remove(previous)
        previous = element.getprevious()


class _ReportBuilder:
    """Collects one Stmt / Rpt / Ntfctn while it streams by."""

    def __init__(self, reader: _StreamReader) -> None:
        self.reader = reader
        self.q = reader.q
        self.account: str = ""
        self.currency: str | None = None
        self.servicer_bic: str | None = None
        self.owner_name: str | None = None
        self.balances: list[StatementBalance] = []
        self.entries: list[StatementEntry] = []
        self.booked_movement = Decimal(0)
        self.entry_count = 0

    def set_account(self, element: etree._Element) -> None:
        q = self.q
        self.account = (
            _text(element, q("Id/IBAN"))
            or _text(element, q("Id/Othr/Id"))
            or _text(element, q("Id/PrtryAcct/Id"))
            or _text(element, q("Id/BBAN"))
            or _text(element, q("Id/UPIC"))
            or ""
        )
        self.currency = _text(element, q("Ccy"))
        self.owner_name = _text(element, q("Ownr/Nm"))
        self.servicer_bic = _text(element, q("Svcr/FinInstnId/BICFI")) or _text(element, q("Svcr/FinInstnId/BIC"))
        self.reader.check_identifiers(element)

    def add_balance(self, element: etree._Element) -> None:
        q = self.q
        self.reader.check_identifiers(element)
        amount_node = element.find(q("Amt"))
        amount = _decimal(amount_node)
        if amount is None or amount_node is None:
            return
        type_code = (
            _text(element, q("Tp/CdOrPrtry/Cd"))
            or _text(element, q("Tp/CdOrPrtry/Prtry"))
            or _text(element, q("Tp/Cd"))
            or _text(element, q("Tp/Prtry"))
            or ""
        )
        self.balances.append(
            StatementBalance(
                type_code=type_code,
                amount=amount,
                currency=amount_node.get("Ccy", ""),
                credit_debit=_text(element, q("CdtDbtInd")) or CREDIT,
                date=_date_choice(element, q("Dt")),
            )
        )

    def add_entry(self, element: etree._Element) -> None:
        reader = self.reader
        reader.check_identifiers(element)
        self.entry_count += 1
        reader.result.entry_count += 1
        ix = _Index(element)
        amount_node = ix.node("Amt")
        amount = _decimal(amount_node)
        if amount is None or amount_node is None:
            return
        credit_debit = ix.text("CdtDbtInd") or CREDIT
        status = ix.text("Sts") or ix.text("Sts/Cd") or ix.text("Sts/Prtry") or ""  # V07+: Sts/Cd
        reversal = (ix.text("RvslInd") or "") in ("true", "1")
        if status == "BOOK":
            self.booked_movement += -amount if credit_debit != CREDIT else amount
        if not reader.keep_entries:
            return
        domain = ix.text("BkTxCd/Domn/Cd")
        code = (
            "/".join(
                part for part in (domain, ix.text("BkTxCd/Domn/Fmly/Cd"), ix.text("BkTxCd/Domn/Fmly/SubFmlyCd")) if part
            )
            if domain
            else ix.text("BkTxCd/Prtry/Cd")
        )
        base = StatementEntry(
            amount=amount,
            currency=amount_node.get("Ccy", ""),
            credit_debit=credit_debit,
            status=status,
            booking_date=ix.date("BookgDt"),
            value_date=ix.date("ValDt"),
            reversal=reversal,
            account_servicer_reference=ix.text("AcctSvcrRef"),
            entry_reference=ix.text("NtryRef"),
            bank_transaction_code=code,
            additional_info=ix.text("AddtlNtryInf"),
            line=element.sourceline,
        )
        q = self.q
        details = element.findall(q("NtryDtls/TxDtls")) or element.findall(q("TxDtls"))  # V01: no NtryDtls
        if not details:
            self.entries.append(base)
            return
        indexed = [_Index(detail) for detail in details]
        amounts = [_detail_amount(detail) for detail in indexed]
        if len(details) > 1 and all(value is not None for value in amounts):
            # A batch booking with an amount per transaction: one entry per underlying payment, so each
            # can be matched on its own references.
            for detail, detail_amount in zip(indexed, amounts, strict=True):
                assert detail_amount is not None
                self.entries.append(
                    _with_detail(replace(base, amount=detail_amount[0], currency=detail_amount[1]), detail)
                )
            return
        self.entries.append(_with_detail(base, indexed[0]))

    def finish(self, element: etree._Element) -> Statement:
        reader, q = self.reader, self.q
        period = element.find(q("FrToDt"))
        statement = Statement(
            source_format=reader.message_type,
            kind=reader.kind,
            statement_id=_text(element, q("Id")) or "",
            account=self.account,
            currency=self.currency,
            message_id=reader.message_id,
            created=_datetime(_text(element, q("CreDtTm"))) or reader.created,
            sequence_number=_text(element, q("ElctrncSeqNb")) or _text(element, q("LglSeqNb")),
            account_servicer_bic=self.servicer_bic,
            account_owner_name=self.owner_name,
            period_start=_datetime(_text(period, q("FrDtTm"))) if period is not None else None,
            period_end=_datetime(_text(period, q("ToDtTm"))) if period is not None else None,
            balances=tuple(self.balances),
            entries=tuple(self.entries),
            information=tuple(
                node.text.strip() for node in element.findall(q(reader.info_tag)) if node.text and node.text.strip()
            ),
        )
        if reader.family == "camt.053":
            self._check_balance(statement, element)
        return statement

    def _check_balance(self, statement: Statement, element: etree._Element) -> None:
        opening = statement.balance("OPBD", "PRCD")
        closing = statement.balance("CLBD")
        if opening is None or closing is None:
            return
        expected = opening.signed_amount + self.booked_movement
        if expected != closing.signed_amount:
            self.reader.result.errors.append(
                FieldError(
                    f"{self.reader.report_tag}/Bal",
                    f"closing balance {closing.signed_amount} differs from opening balance plus booked entries "
                    f"({expected})",
                    element.sourceline,
                )
            )


# --------------------------------------------------------------------------- element helpers


@cache
def _qualify(namespace: str, path: str) -> str:
    return "/".join(f"{{{namespace}}}{part}" for part in path.split("/"))


def _path_of(element: etree._Element) -> str:
    names = []
    node: etree._Element | None = element
    while node is not None:
        local = node.tag.rpartition("}")[2]
        if local == "Document":
            break
        names.append(local)
        node = node.getparent()
    names.reverse()
    return "/".join(names[1:] if len(names) > 1 else names)


def _text(element: etree._Element | None, path: str) -> str | None:
    if element is None:
        return None
    node = element.find(path)
    if node is None or node.text is None:
        return None
    value = node.text.strip()
    return value or None


def _decimal(node: etree._Element | None) -> Decimal | None:
    if node is None or node.text is None:
        return None
    try:
        return Decimal(node.text.strip())
    except InvalidOperation:
        return None


def _datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(_FRACTION.sub(r"\1", value.replace("Z", "+00:00")))
    except ValueError:
        return None


def _date_choice(element: etree._Element, path: str) -> date | None:
    node = element.find(path)
    if node is None:
        return None
    for child in node:
        local = child.tag.rpartition("}")[2] if isinstance(child.tag, str) else ""
        value = (child.text or "").strip()
        if local == "Dt":
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                return None
        if local == "DtTm":
            moment = _datetime(value)
            return moment.date() if moment else None
    return None


class _Index:
    """The first element at each relative local-name path below one element (``Refs/EndToEndId``).

    One walk of the subtree instead of a namespaced ``find`` per field read: reading a 10 MB statement asks
    for a dozen fields of every entry.
    """

    __slots__ = ("element", "nodes")

    def __init__(self, element: etree._Element) -> None:
        self.element = element
        self.nodes: dict[str, etree._Element] = {}
        stack: list[tuple[etree._Element, str]] = [(element, "")]
        while stack:
            node, prefix = stack.pop()
            for child in node:
                tag = child.tag
                if not isinstance(tag, str):
                    continue
                path = prefix + tag.rpartition("}")[2]
                if path not in self.nodes:
                    self.nodes[path] = child
                if len(child):
                    stack.append((child, path + "/"))

    def node(self, path: str) -> etree._Element | None:
        return self.nodes.get(path)

    def text(self, path: str) -> str | None:
        node = self.nodes.get(path)
        if node is None or node.text is None:
            return None
        return node.text.strip() or None

    def all(self, path: str) -> list[etree._Element]:
        """Every element at ``path`` (the index keeps the first; siblings of the same name are few)."""
        first = self.nodes.get(path)
        if first is None:
            return []
        parent = first.getparent()
        return [child for child in parent if child.tag == first.tag] if parent is not None else [first]

    def date(self, path: str) -> date | None:
        value = self.text(f"{path}/Dt")
        if value:
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                return None
        moment = _datetime(self.text(f"{path}/DtTm"))
        return moment.date() if moment else None


def _detail_amount(detail: _Index) -> tuple[Decimal, str] | None:
    for path in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt"):
        node = detail.node(path)
        value = _decimal(node)
        if value is not None and node is not None:
            return value, node.get("Ccy", "")
    return None


def _with_detail(entry: StatementEntry, detail: _Index) -> StatementEntry:
    counterparty = "Dbtr" if entry.credit_debit == CREDIT else "Cdtr"
    agent = "DbtrAgt" if entry.credit_debit == CREDIT else "CdtrAgt"
    references = tuple(
        (node.text or "").strip()
        for info in detail.all("RmtInf/Strd/CdtrRefInf")
        for node in info
        if isinstance(node.tag, str) and node.tag.rpartition("}")[2] in ("Ref", "CdtrRef") and (node.text or "").strip()
    )
    unstructured = tuple((node.text or "").strip() for node in detail.all("RmtInf/Ustrd") if (node.text or "").strip())
    return replace(
        entry,
        end_to_end_id=_provided(detail.text("Refs/EndToEndId")),
        uetr=detail.text("Refs/UETR"),
        account_servicer_reference=entry.account_servicer_reference or detail.text("Refs/AcctSvcrRef"),
        instruction_id=detail.text("Refs/InstrId"),
        transaction_id=detail.text("Refs/TxId"),
        message_id=detail.text("Refs/MsgId"),
        mandate_id=detail.text("Refs/MndtId"),
        counterparty_name=detail.text(f"RltdPties/{counterparty}/Pty/Nm")
        or detail.text(f"RltdPties/{counterparty}/Nm"),
        counterparty_account=detail.text(f"RltdPties/{counterparty}Acct/Id/IBAN")
        or detail.text(f"RltdPties/{counterparty}Acct/Id/Othr/Id"),
        counterparty_bic=detail.text(f"RltdAgts/{agent}/FinInstnId/BICFI")
        or detail.text(f"RltdAgts/{agent}/FinInstnId/BIC"),
        remittance=Remittance(unstructured=unstructured, references=references),
        additional_info=entry.additional_info or detail.text("AddtlTxInf"),
    )


def _provided(value: str | None) -> str | None:
    """ISO's placeholder for "the payer gave none" is not a reference."""
    return None if value is None or value == "NOTPROVIDED" else value


def _amount_problem(value: str, currency: str) -> str | None:
    if not is_known_currency(currency):
        return f"unknown ISO 4217 currency {currency!r}"
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None  # the XSD reports the lexical error
    exponent = currency_exponent(currency)
    if exponent is None or not amount.is_finite():
        return None
    if amount != amount.quantize(Decimal(1).scaleb(-exponent)):
        return f"{currency} allows at most {exponent} decimal places, got {value}"
    return None


def iter_entries(statements: list[Statement]) -> Iterator[tuple[Statement, StatementEntry]]:
    """Every (statement, entry) pair of a parsed file, in file order."""
    for statement in statements:
        for entry in statement.entries:
            yield statement, entry
