"""ISO 20022 XML messages and SEPA rules: build, parse and validate, with no database.

Uniform entry points used by the ``validate_message`` command and format auto-detection:

* :data:`FORMAT_NAME`  - ``"ISO 20022"``
* :func:`looks_like`   - cheap sniff: is this XML in an ``urn:iso:std:iso:20022:tech:xsd:`` namespace?
* :func:`validate_raw` - ``(message id, every error)``; never raises for bad input
* :func:`parse`        - the domain object, or :class:`MessageValidationError`

Per-family modules hold the dataclasses, ``build_*`` and ``parse_*`` functions; :mod:`.protocol`
has :class:`SEPAProtocol` (``create_sct`` -> pain.001.001.09, ``create_sct_interbank`` /
``create_sct_inst`` -> pacs.008.001.08, ``create_sdd`` -> pain.008.001.08).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from lxml import etree

from ..errors import FieldError, MessageValidationError
from .camt import (
    CAMT052,
    CAMT053,
    CAMT054,
    AccountReport,
    Balance,
    BankTransactionCode,
    CashManagementReport,
    Entry,
    EntryDetail,
    build_camt,
    build_camt052,
    build_camt053,
    build_camt054,
    parse_camt,
    parse_camt052,
    parse_camt053,
    parse_camt054,
    read_camt,
)
from .cash_reports import (
    CASH_REPORT_MESSAGE_TYPES,
    enveloped_cash_report,
    parse_cash_report,
    read_cash_report,
    sniff_cash_report,
)
from .common import Account, Agent, Party, StatusReason, run_reader, validate_document_tree
from .head import (
    AppHdr,
    BusinessMessage,
    build_app_hdr,
    build_business_message,
    envelope_errors,
    envelope_message_type,
    is_envelope,
    parse_app_hdr,
    parse_business_message,
    read_app_hdr,
    read_business_message,
)
from .investigations import (
    Camt029,
    Camt056,
    CancellationStatus,
    RecalledTransaction,
    build_camt029,
    build_camt056,
    parse_camt029,
    parse_camt056,
    read_camt029,
    read_camt056,
)
from .pacs004 import Pacs004, ReturnedTransaction, build_pacs004, parse_pacs004, read_pacs004
from .pacs008 import Charge, Pacs008, Pacs008Transaction, build_pacs008, parse_pacs008, read_pacs008
from .pacs009 import (
    Pacs009,
    Pacs009Transaction,
    UnderlyingCustomerCreditTransfer,
    build_pacs009,
    parse_pacs009,
    read_pacs009,
)
from .pain001 import (
    CreditTransferInstruction,
    CreditTransferPaymentInfo,
    Pain001,
    build_pain001,
    parse_pain001,
    read_pain001,
)
from .pain008 import (
    DirectDebitInstruction,
    DirectDebitPaymentInfo,
    Pain008,
    build_pain008,
    parse_pain008,
    read_pain008,
)
from .protocol import SEPAProtocol
from .schemas import (
    ALL_MESSAGE_TYPES,
    ISO_NAMESPACE_PREFIX,
    PARSED_VERSIONS,
    SIX_NAMESPACE_PREFIX,
    SUPPORTED_MESSAGE_TYPES,
    describe_versions,
    load_schema,
    message_type_of_namespace,
    parse_xml_bytes,
)
from .sepa import creditor_identifier_problem, is_epc_latin, sct_inst_errors, sepa_errors, to_epc_latin
from .status_reports import (
    OriginalGroupStatus,
    Pacs002,
    Pain002,
    PaymentInformationStatus,
    TransactionStatus,
    build_pacs002,
    build_pain002,
    parse_pacs002,
    parse_pain002,
    read_pacs002,
    read_pain002,
)

FORMAT_NAME = "ISO 20022"

#: message type -> reader of an XSD-valid Document
_READERS: dict[str, Callable[[etree._Element], Any]] = {
    "pacs.008.001.08": read_pacs008,
    "pacs.009.001.08": read_pacs009,
    "pacs.002.001.10": read_pacs002,
    "pacs.004.001.09": read_pacs004,
    "pain.001.001.09": lambda doc: read_pain001(doc, "pain.001.001.09"),
    "pain.001.001.03": lambda doc: read_pain001(doc, "pain.001.001.03"),
    "pain.002.001.10": lambda doc: read_pain002(doc, "pain.002.001.10"),
    "pain.002.001.03": lambda doc: read_pain002(doc, "pain.002.001.03"),
    "pain.008.001.08": lambda doc: read_pain008(doc, "pain.008.001.08"),
    "pain.008.001.02": lambda doc: read_pain008(doc, "pain.008.001.02"),
    "camt.052.001.08": lambda doc: read_camt(doc, CAMT052),
    "camt.053.001.08": lambda doc: read_camt(doc, CAMT053),
    "camt.054.001.08": lambda doc: read_camt(doc, CAMT054),
    "camt.056.001.08": read_camt056,
    "camt.029.001.09": read_camt029,
    "head.001.001.02": read_app_hdr,
}

_FAMILY_READERS: dict[str, Callable[[etree._Element, str], Any]] = {
    "pacs.008": lambda doc, _version: read_pacs008(doc),
    "pacs.009": lambda doc, _version: read_pacs009(doc),
    "pacs.002": lambda doc, _version: read_pacs002(doc),
    "pacs.004": lambda doc, _version: read_pacs004(doc),
    "pain.001": read_pain001,
    "pain.002": read_pain002,
    "pain.008": read_pain008,
    "head.001": lambda element, _version: read_app_hdr(element),
    "camt.056": lambda doc, _version: read_camt056(doc),
    "camt.029": lambda doc, _version: read_camt029(doc),
}
# Every version of a payment family is read onto the family's one domain object.
for _family, _versions in PARSED_VERSIONS.items():
    for _version in _versions:
        _READERS.setdefault(_version, lambda doc, _f=_family, _v=_version: _FAMILY_READERS[_f](doc, _v))

_SNIFF_WINDOW = 4096


def document_reader(message_type: str) -> Callable[[etree._Element], Any]:
    """The reader of an XSD-valid Document (or AppHdr) of ``message_type``."""
    return _READERS[message_type]


def looks_like(raw: bytes) -> bool:
    """Cheap sniff: XML (starts with ``<`` after a BOM/whitespace) mentioning an ISO 20022 namespace early on."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "replace")
    if not isinstance(raw, bytes | bytearray):
        return False
    head = bytes(raw[:_SNIFF_WINDOW]).lstrip(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"<") and (ISO_NAMESPACE_PREFIX.encode() in head or SIX_NAMESPACE_PREFIX.encode() in head)


def _classify(root: etree._Element) -> tuple[str, list[FieldError]]:
    """Return (message type, errors that prevent reading it) for a parsed root element."""
    qname = etree.QName(root)
    if is_envelope(root):
        return envelope_message_type(root) or "head.001.001.02", envelope_errors(root)
    message_type = message_type_of_namespace(qname.namespace)
    if message_type is None:
        return FORMAT_NAME, [
            FieldError(qname.localname, f"not an ISO 20022 message (namespace {qname.namespace!r})", root.sourceline)
        ]
    if message_type not in ALL_MESSAGE_TYPES:
        reason = f"unsupported message {message_type}; supported: {_supported()}"
        return message_type, [FieldError(qname.localname, reason, root.sourceline)]
    expected_root = "AppHdr" if message_type.startswith("head.") else "Document"
    if qname.localname != expected_root:
        return message_type, [FieldError(qname.localname, f"root element must be {expected_root}", root.sourceline)]
    return message_type, validate_document_tree(root, message_type)


_CDATA_START = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?<")


def embedded_message(root: etree._Element) -> tuple[bytes, int] | None:
    """An ISO 20022 message carried as text (CDATA or escaped XML) in a partner's wrapper element.

    Returns (its bytes, the number of lines before it in the file) or None. Only a wrapper that holds no
    ISO 20022 element itself qualifies, and only text that is itself XML naming an ISO 20022 namespace.
    """
    if message_type_of_namespace(etree.QName(root).namespace) is not None or is_envelope(root):
        return None
    for element in root.iter(etree.Element):
        value = element.text
        if value and ISO_NAMESPACE_PREFIX in value and _CDATA_START.match(value):
            leading = value[: len(value) - len(value.lstrip())]
            payload = value.lstrip()
            if payload.startswith("<?xml"):  # its own declaration may name an encoding it no longer has
                payload = payload[payload.index("?>") + 2 :]
            return payload.encode("utf-8"), (element.sourceline or 1) - 1 + leading.count("\n")
    return None


def _shifted(errors: list[FieldError], lines: int) -> list[FieldError]:
    return [dataclasses.replace(e, line=e.line + lines) if e.line is not None else e for e in errors]


def _supported() -> str:
    """The supported messages, runs of versions collapsed (pacs.008.001.02-13, ...)."""
    return describe_versions(sorted(set(ALL_MESSAGE_TYPES) | set(CASH_REPORT_MESSAGE_TYPES)))


def _read(root: etree._Element, message_type: str) -> Any:
    if is_envelope(root):
        return read_business_message(root)
    return run_reader(message_type, _READERS[message_type], root)


def validate_raw(raw: bytes) -> tuple[str, list[FieldError]]:
    """Validate any supported ISO 20022 message: XSD, semantic and (when SvcLvl is SEPA) SEPA rules.

    Returns the message id (e.g. ``"pacs.008.001.08"``; for an AppHdr + Document envelope, the
    Document's) and every error found, ``[]`` when valid. Never raises for bad input.
    """
    cash_report = _other_cash_report_version(raw)
    if cash_report:
        result = read_cash_report(raw)
        return result.message_type, result.errors
    try:
        root = parse_xml_bytes(raw, FORMAT_NAME).getroot()
    except MessageValidationError as exc:
        return FORMAT_NAME, exc.errors
    embedded = embedded_message(root)
    if embedded is not None:
        message_type, errors = validate_raw(embedded[0])
        return message_type, _shifted(errors, embedded[1])
    try:
        message_type, errors = _classify(root)
        if errors:
            return message_type, errors
        try:
            _read(root, message_type)
        except MessageValidationError as exc:
            return message_type, exc.errors
        return message_type, []
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises"; report instead
        return FORMAT_NAME, [FieldError("document", f"could not be validated: {type(exc).__name__}: {exc}")]


def _other_cash_report_version(raw: bytes | str) -> str | None:
    """camt.052/053/054 versions other than 001.08 (which keeps its builder's model): the statement reader."""
    if isinstance(raw, str):
        head = raw[:8192].encode("utf-8", "replace")
    elif isinstance(raw, bytes | bytearray | memoryview):
        head = bytes(raw[:8192])
    else:
        return None
    message_type = sniff_cash_report(head.lstrip(b"\xef\xbb\xbf \t\r\n"))
    if message_type is None and isinstance(raw, bytes | bytearray):
        inner = enveloped_cash_report(bytes(raw))  # CBPR+: AppHdr + camt Document in an envelope
        return sniff_cash_report(inner) if inner is not None else None
    return message_type if message_type and not message_type.endswith(".001.08") else None


def parse(raw: bytes | str) -> Any:
    """Parse any supported ISO 20022 message into its domain object; raise MessageValidationError otherwise.

    camt.052/053/054 of versions other than 001.08 come back as a list of
    :class:`~apps.payments.formats.statement.Statement` (see :mod:`.cash_reports`).
    """
    if _other_cash_report_version(raw):
        return parse_cash_report(raw)
    root = parse_xml_bytes(raw, FORMAT_NAME).getroot()
    embedded = embedded_message(root)
    if embedded is not None:
        try:
            return parse(embedded[0])
        except MessageValidationError as exc:
            raise MessageValidationError(exc.message_type, _shifted(exc.errors, embedded[1])) from None
    message_type, errors = _classify(root)
    if errors:
        raise MessageValidationError(message_type, errors)
    return _read(root, message_type)


__all__ = [
    "ALL_MESSAGE_TYPES",
    "CASH_REPORT_MESSAGE_TYPES",
    "PARSED_VERSIONS",
    "SUPPORTED_MESSAGE_TYPES",
    "Camt029",
    "Camt056",
    "CancellationStatus",
    "RecalledTransaction",
    "build_camt029",
    "build_camt056",
    "parse_camt029",
    "parse_camt056",
    "FORMAT_NAME",
    "Account",
    "AccountReport",
    "Agent",
    "AppHdr",
    "Balance",
    "BankTransactionCode",
    "BusinessMessage",
    "CashManagementReport",
    "Charge",
    "CreditTransferInstruction",
    "CreditTransferPaymentInfo",
    "DirectDebitInstruction",
    "DirectDebitPaymentInfo",
    "Entry",
    "EntryDetail",
    "OriginalGroupStatus",
    "Pacs002",
    "Pacs004",
    "Pacs008",
    "Pacs008Transaction",
    "Pacs009",
    "Pacs009Transaction",
    "Pain001",
    "Pain002",
    "Pain008",
    "Party",
    "PaymentInformationStatus",
    "ReturnedTransaction",
    "SEPAProtocol",
    "StatusReason",
    "TransactionStatus",
    "UnderlyingCustomerCreditTransfer",
    "build_app_hdr",
    "build_business_message",
    "build_camt",
    "build_camt052",
    "build_camt053",
    "build_camt054",
    "build_pacs002",
    "build_pacs004",
    "build_pacs008",
    "build_pacs009",
    "build_pain001",
    "build_pain002",
    "build_pain008",
    "creditor_identifier_problem",
    "is_epc_latin",
    "load_schema",
    "looks_like",
    "parse",
    "parse_app_hdr",
    "parse_business_message",
    "document_reader",
    "embedded_message",
    "is_envelope",
    "read_business_message",
    "parse_camt",
    "parse_camt052",
    "parse_camt053",
    "parse_camt054",
    "parse_cash_report",
    "read_cash_report",
    "parse_pacs002",
    "parse_pacs004",
    "parse_pacs008",
    "parse_pacs009",
    "parse_pain001",
    "parse_pain002",
    "parse_pain008",
    "sct_inst_errors",
    "sepa_errors",
    "to_epc_latin",
    "validate_raw",
]
