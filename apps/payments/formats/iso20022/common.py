"""Building blocks shared by every ISO 20022 message family: parties, agents, accounts, amounts, dates.

Two dialects exist in the versions we support: the 2019 messages (pacs.*.08/09/10, pain.001.001.09,
pain.008.001.08, camt.*.08) use ``BICFI`` / ``AnyBIC``; the 2009 messages still used by older banks
(pain.001.001.03, pain.008.001.02, pain.002.001.03) use ``BIC`` / ``BICOrBEI``. Everything else these
helpers touch has the same element names and order in both.

Writers take the parent element and derive the namespace from it, so one helper serves all messages.
Readers run only on XSD-valid documents, so mandatory elements are known to be present.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from lxml import etree

from ..amounts import check_amount, currency_exponent
from ..errors import WARNING, FieldError, MessageValidationError
from .schemas import (
    SIX_RESTRICTIONS,
    describe_versions,
    message_type_of_namespace,
    namespace_for,
    parse_xml_bytes,
    schema_errors,
    uses_2009_names,
)

if TYPE_CHECKING:
    from .pain001 import CreditTransferPaymentInfo, Pain001
    from .pain008 import DirectDebitPaymentInfo, Pain008

NOT_PROVIDED = "NOTPROVIDED"


# --------------------------------------------------------------------------- domain building blocks
@dataclass(frozen=True)
class Party:
    """A debtor, creditor, ultimate party or initiating party (PartyIdentification135 / 32).

    ``organisation_bic`` is Id/OrgId/AnyBIC (BICOrBEI in 2009 messages); ``organisation_id`` is
    Id/OrgId/Othr/Id and ``private_id`` Id/PrvtId/Othr/Id (e.g. a SEPA creditor identifier).
    """

    name: str | None = None
    street_name: str | None = None
    building_number: str | None = None
    post_code: str | None = None
    town_name: str | None = None
    country: str | None = None
    address_lines: tuple[str, ...] = ()
    organisation_bic: str | None = None
    organisation_id: str | None = None
    private_id: str | None = None
    private_id_scheme: str | None = None

    @property
    def has_address(self) -> bool:
        return any((self.street_name, self.building_number, self.post_code, self.town_name, self.country)) or bool(
            self.address_lines
        )


@dataclass(frozen=True)
class Agent:
    """A financial institution (BranchAndFinancialInstitutionIdentification6 / 4).

    An empty Agent() is written as FinInstnId/Othr/Id=NOTPROVIDED (the EPC convention for
    IBAN-only SEPA payments) and read back as Agent().
    """

    bic: str | None = None
    clearing_system: str | None = None
    member_id: str | None = None
    name: str | None = None
    lei: str | None = None
    other_id: str | None = None


@dataclass(frozen=True)
class Account:
    """A cash account: IBAN or another identifier (Othr/Id), with optional currency and name."""

    iban: str | None = None
    other_id: str | None = None
    currency: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class StatusReason:
    """One StsRsnInf / RtrRsnInf: an ISO external reason code (or proprietary) and free text."""

    code: str | None = None
    proprietary: str | None = None
    additional_info: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dialect:
    """Element names that differ between the 2009 and 2019 message versions."""

    bic: str
    org_bic: str
    has_lei: bool


V2019 = Dialect(bic="BICFI", org_bic="AnyBIC", has_lei=True)
V2009 = Dialect(bic="BIC", org_bic="BICOrBEI", has_lei=False)


def dialect_of(element: etree._Element) -> Dialect:
    """The element names of the version ``element`` is written in (read from that version's own XSD).

    The 2009 versions (pacs.008/009.001.02, pacs.002.001.03, pacs.004.001.02, pain.001.001.03,
    pain.002.001.03, pain.008.001.02) say BIC/BICOrBEI, every later one BICFI/AnyBIC. LEI is read
    wherever it is present, so the reader needs no finer distinction.
    """
    message_type = message_type_of_namespace(etree.QName(element).namespace)
    return V2009 if message_type and uses_2009_names(message_type) else V2019


def version_of(element: etree._Element) -> str:
    """The message definition id (e.g. pacs.008.001.02) of the namespace ``element`` is in."""
    return message_type_of_namespace(etree.QName(element).namespace) or ""


def message_root(document: etree._Element) -> etree._Element | None:
    """The Document's only child (FIToFICstmrCdtTrf, CstmrCdtTrfInitn, ...), whatever its name in this version."""
    for child in document:
        if isinstance(child.tag, str):
            return child
    return None


# --------------------------------------------------------------------------- writing
def new_document(message_type: str) -> etree._Element:
    """Return an empty <Document> in the message's namespace (default namespace, no prefix)."""
    ns = namespace_for(message_type)
    return etree.Element(f"{{{ns}}}Document", nsmap={None: ns})


def sub(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    """Append child ``tag`` in the parent's namespace with optional text and attributes."""
    ns = etree.QName(parent).namespace
    try:
        element = etree.SubElement(parent, f"{{{ns}}}{tag}" if ns else tag, attrib)
        if text is not None:
            element.text = text
    except (ValueError, TypeError) as exc:  # control characters, NUL bytes, non-text values
        message_type = message_type_of_namespace(ns) or "ISO 20022"
        raise MessageValidationError.single(message_type, tag, f"cannot be written as XML: {exc}") from None
    return element


def opt(parent: etree._Element, tag: str, value: Any) -> etree._Element | None:
    """Append child ``tag`` only when ``value`` is not None (dates, bools and numbers are formatted)."""
    if value is None:
        return None
    return sub(parent, tag, format_value(value))


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def format_datetime(value: datetime) -> str:
    """Format an xs:dateTime; microseconds only when present, offset only when the value is aware."""
    return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")


def format_amount(amount: Decimal, currency: str, *, message_type: str, field: str) -> str:
    """Return the amount with exactly the currency's minor-unit digits (EUR 2, JPY 0, KWD 3).

    Refuses floats and amounts more precise than the currency: money is never rounded silently.
    """
    check_amount(amount, currency, message_type=message_type, field=field, allow_zero=True)
    exponent = currency_exponent(currency)
    if exponent is None:
        return format(amount, "f")
    return format(amount.quantize(Decimal(1).scaleb(-exponent)), "f")


def quantize_amount(amount: Decimal, currency: str) -> Decimal:
    """Return ``amount`` with the currency's minor-unit digits when that is exact, else unchanged."""
    exponent = currency_exponent(currency)
    if exponent is None or not isinstance(amount, Decimal) or not amount.is_finite():
        return amount
    try:
        quantized = amount.quantize(Decimal(1).scaleb(-exponent))
    except ArithmeticError:
        return amount
    return quantized if quantized == amount else amount


def control_sum(pairs: list[tuple[Decimal, str]]) -> Decimal:
    """CtrlSum as ISO defines it: the plain sum of the transaction amounts, in their written precision."""
    # Non-Decimal amounts are skipped here; the amount writer refuses them with a FieldError.
    return sum(
        (quantize_amount(amount, currency) for amount, currency in pairs if isinstance(amount, Decimal)), Decimal(0)
    )


def add_amount(
    parent: etree._Element, tag: str, amount: Decimal, currency: str, *, message_type: str
) -> etree._Element:
    text = format_amount(amount, currency, message_type=message_type, field=tag)
    return sub(parent, tag, text, Ccy=currency)


def add_party(parent: etree._Element, tag: str, party: Party, dialect: Dialect) -> etree._Element:
    element = sub(parent, tag)
    opt(element, "Nm", party.name)
    if party.has_address:
        address = sub(element, "PstlAdr")
        opt(address, "StrtNm", party.street_name)
        opt(address, "BldgNb", party.building_number)
        opt(address, "PstCd", party.post_code)
        opt(address, "TwnNm", party.town_name)
        opt(address, "Ctry", party.country)
        for line in party.address_lines:
            sub(address, "AdrLine", line)
    if party.organisation_bic or party.organisation_id:
        org = sub(sub(element, "Id"), "OrgId")
        opt(org, dialect.org_bic, party.organisation_bic)
        if party.organisation_id:
            sub(sub(org, "Othr"), "Id", party.organisation_id)
    elif party.private_id:
        other = sub(sub(sub(element, "Id"), "PrvtId"), "Othr")
        sub(other, "Id", party.private_id)
        if party.private_id_scheme:
            sub(sub(other, "SchmeNm"), "Prtry", party.private_id_scheme)
    return element


def add_agent(parent: etree._Element, tag: str, agent: Agent, dialect: Dialect) -> etree._Element:
    element = sub(parent, tag)
    fin = sub(element, "FinInstnId")
    opt(fin, dialect.bic, agent.bic)
    if agent.member_id:
        member = sub(fin, "ClrSysMmbId")
        if agent.clearing_system:
            sub(sub(member, "ClrSysId"), "Cd", agent.clearing_system)
        sub(member, "MmbId", agent.member_id)
    if dialect.has_lei:
        opt(fin, "LEI", agent.lei)
    opt(fin, "Nm", agent.name)
    other_id = agent.other_id
    if not any((agent.bic, agent.member_id, agent.name, agent.lei, other_id)):
        other_id = NOT_PROVIDED
    if other_id:
        sub(sub(fin, "Othr"), "Id", other_id)
    return element


def add_account(parent: etree._Element, tag: str, account: Account) -> etree._Element:
    element = sub(parent, tag)
    ident = sub(element, "Id")
    if account.iban:
        sub(ident, "IBAN", account.iban)
    else:
        sub(sub(ident, "Othr"), "Id", account.other_id or "")
    opt(element, "Ccy", account.currency)
    opt(element, "Nm", account.name)
    return element


def add_reasons(parent: etree._Element, tag: str, reasons: tuple[StatusReason, ...]) -> None:
    for reason in reasons:
        element = sub(parent, tag)
        if reason.code or reason.proprietary:
            rsn = sub(element, "Rsn")
            if reason.code:
                sub(rsn, "Cd", reason.code)
            else:
                sub(rsn, "Prtry", reason.proprietary)
        for info in reason.additional_info:
            sub(element, "AddtlInf", info)


def add_remittance(parent: etree._Element, unstructured: tuple[str, ...], creditor_reference: str | None) -> None:
    """Write RmtInf with Ustrd lines and/or a structured creditor reference (Strd/CdtrRefInf/Ref)."""
    if not unstructured and not creditor_reference:
        return
    rmt = sub(parent, "RmtInf")
    for line in unstructured:
        sub(rmt, "Ustrd", line)
    if creditor_reference:
        ref_info = sub(sub(rmt, "Strd"), "CdtrRefInf")
        sub(sub(sub(ref_info, "Tp"), "CdOrPrtry"), "Cd", "SCOR")
        sub(ref_info, "Ref", creditor_reference)


def serialise(document: etree._Element) -> bytes:
    """Serialise a Document as UTF-8 with an XML declaration, pretty-printed (stable golden bytes)."""
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def finish_document(document: etree._Element, message_type: str) -> bytes:
    """Serialise, re-parse and fully validate what we are about to emit; raise if it is not valid.

    Validating the serialised bytes (not the in-memory tree) proves that exactly what leaves the
    process is schema-valid, and gives line numbers in any error.
    """
    raw = serialise(document)
    tree = parse_xml_bytes(raw, message_type)
    errors = validate_document_tree(tree.getroot(), message_type)
    if errors:
        raise MessageValidationError(message_type, errors)
    return raw


def validate_document_tree(document: etree._Element, message_type: str) -> list[FieldError]:
    """XSD errors, then the generic semantic checks (amount precision, IBAN, BIC, counts/sums),
    then the SEPA rulebook checks when the message declares service level SEPA."""
    from .checks import semantic_errors  # local import: checks imports this module
    from .sepa import declares_sepa, sepa_errors

    errors = schema_errors(document, message_type)
    errors.extend(semantic_errors(document, message_type))
    errors.extend(market_variant_errors(document, message_type))
    if declares_sepa(document):
        errors.extend(sepa_errors(document, message_type))
    return errors


def _versions_label(versions: tuple[str, ...]) -> str:
    """pacs.008.001.08; pain.001.001.09/pain.001.001.03; a family's run of versions as pacs.008.001.02-13."""
    return "/".join(versions) if len(versions) <= 2 else describe_versions(versions)


_XSI_SCHEMA_LOCATION = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"


def market_variant_errors(document: etree._Element, message_type: str) -> list[FieldError]:
    """A market variant's restrictions (SIX pain.001.001.09.ch.03), when the Document names its schema.

    Swiss software names the variant in ``xsi:schemaLocation``; the Document is ISO (the variant restricts
    it), so breaking the variant is a market rule: a warning, as the EPC SEPA rules are.
    """
    variant = SIX_RESTRICTIONS.get(message_type)
    location = document.get(_XSI_SCHEMA_LOCATION) or ""
    if variant is None or variant not in location:
        return []
    return [
        dataclasses.replace(error, reason=f"SIX {variant}: {error.reason}", severity=WARNING)
        for error in schema_errors(document, variant)
    ]


def load_document(raw: bytes | str, expected: tuple[str, ...]) -> tuple[etree._Element, str]:
    """Parse partner XML, check it is one of ``expected``, validate it; return (Document, message type).

    Raises MessageValidationError with every XSD and semantic error at once.
    """
    label = _versions_label(expected)
    tree = parse_xml_bytes(raw, label)
    root = tree.getroot()
    message_type = message_type_of_namespace(etree.QName(root).namespace)
    if etree.QName(root).localname != "Document" or message_type not in expected:
        raise MessageValidationError.single(
            label,
            "Document",
            f"expected a {label} Document, got {{{etree.QName(root).namespace}}}{etree.QName(root).localname}",
            root.sourceline,
        )
    errors = validate_document_tree(root, message_type)
    if errors:
        raise MessageValidationError(message_type, errors)
    return root, message_type


# --------------------------------------------------------------------------- reading
_PATH_SPLIT = re.compile(r"/")


def _qualify(element: etree._Element, path: str) -> str:
    ns = etree.QName(element).namespace
    return "/".join(f"{{{ns}}}{part}" for part in _PATH_SPLIT.split(path))


def find(element: etree._Element | None, path: str) -> etree._Element | None:
    """Return the first element at ``path`` (local names, slash-separated) below ``element``."""
    if element is None:
        return None
    return element.find(_qualify(element, path))


def find_all(element: etree._Element | None, path: str) -> list[etree._Element]:
    if element is None:
        return []
    return element.findall(_qualify(element, path))


def text(element: etree._Element | None, path: str | None = None) -> str | None:
    """Return the text at ``path`` (XSD whitespace rules: tokens are collapsed by the schema types)."""
    node = element if path is None else find(element, path)
    if node is None:
        return None
    return node.text if node.text is not None else ""


def req_text(element: etree._Element, path: str) -> str:
    value = text(element, path)
    return value if value is not None else ""


def read_bool(element: etree._Element | None, path: str) -> bool | None:
    value = text(element, path)
    return None if value is None else value.strip() in ("true", "1")


def read_decimal(element: etree._Element | None) -> Decimal | None:
    """Return the element's text as a Decimal, or None when it is missing or not a number."""
    if element is None or element.text is None:
        return None
    try:
        return Decimal(element.text.strip())
    except InvalidOperation:
        return None


def read_amount(element: etree._Element | None, path: str) -> tuple[Decimal, str] | tuple[None, None]:
    node = find(element, path)
    if node is None:
        return None, None
    return Decimal((node.text or "0").strip()), node.get("Ccy", "")


_XS_DATETIME_FRACTION = re.compile(r"(\.\d{6})\d+")


def read_datetime(element: etree._Element | None, path: str) -> datetime | None:
    """Parse an xs:dateTime; fractions beyond microseconds are truncated (Python's resolution)."""
    value = text(element, path)
    if value is None:
        return None
    value = _XS_DATETIME_FRACTION.sub(r"\1", value.strip())
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise _DateProblem(path, value, find(element, path)) from None


def read_date(element: etree._Element | None, path: str) -> date | None:
    """Parse an xs:date; a time-zone suffix (allowed by XSD, meaningless for a booking date) is dropped."""
    value = text(element, path)
    if value is None:
        return None
    stripped = re.sub(r"(Z|[+-]\d\d:\d\d)$", "", value.strip())
    try:
        return date.fromisoformat(stripped)
    except ValueError:
        raise _DateProblem(path, value, find(element, path)) from None


def read_date_choice(element: etree._Element | None, path: str) -> date | datetime | None:
    """Read a DateAndDateTime2Choice (Dt or DtTm), or a plain xs:date (versions before the choice)."""
    node = find(element, path)
    if node is None:
        return None
    if find(node, "Dt") is not None:
        return read_date(node, "Dt")
    if find(node, "DtTm") is not None:
        return read_datetime(node, "DtTm")
    return read_date(element, path)


def add_date_choice(parent: etree._Element, tag: str, value: date | datetime) -> None:
    sub(sub(parent, tag), "DtTm" if isinstance(value, datetime) else "Dt", format_value(value))


class _DateProblem(Exception):
    """A date the XSD accepts but Python cannot represent (year 0, 24:00:00, ...)."""

    def __init__(self, path: str, value: str, node: etree._Element | None):
        super().__init__(path)
        self.field = path
        self.value = value
        self.line = node.sourceline if node is not None else None


def run_reader(message_type: str, reader: Any, document: etree._Element) -> Any:
    """Run a family reader on a validated Document, turning unrepresentable values into FieldErrors."""
    try:
        return reader(document)
    except _DateProblem as problem:
        raise MessageValidationError.single(
            message_type, problem.field, f"date/time {problem.value!r} cannot be represented", problem.line
        ) from None


def read_party(element: etree._Element | None, dialect: Dialect) -> Party | None:
    if element is None:
        return None
    address = find(element, "PstlAdr")
    return Party(
        name=text(element, "Nm"),
        street_name=text(address, "StrtNm"),
        building_number=text(address, "BldgNb"),
        post_code=text(address, "PstCd"),
        town_name=text(address, "TwnNm"),
        country=text(address, "Ctry"),
        address_lines=tuple(text(line) or "" for line in find_all(address, "AdrLine")),
        organisation_bic=text(element, f"Id/OrgId/{dialect.org_bic}"),
        organisation_id=text(element, "Id/OrgId/Othr/Id"),
        private_id=text(element, "Id/PrvtId/Othr/Id"),
        private_id_scheme=text(element, "Id/PrvtId/Othr/SchmeNm/Prtry"),
    )


def read_agent(element: etree._Element | None, dialect: Dialect) -> Agent | None:
    if element is None:
        return None
    fin = find(element, "FinInstnId")
    other_id = text(fin, "Othr/Id")
    return Agent(
        bic=text(fin, dialect.bic),
        clearing_system=text(fin, "ClrSysMmbId/ClrSysId/Cd"),
        member_id=text(fin, "ClrSysMmbId/MmbId"),
        name=text(fin, "Nm"),
        lei=text(fin, "LEI") if dialect.has_lei else None,
        other_id=None if other_id == NOT_PROVIDED else other_id,
    )


def read_account(element: etree._Element | None) -> Account | None:
    if element is None:
        return None
    return Account(
        iban=text(element, "Id/IBAN"),
        other_id=text(element, "Id/Othr/Id"),
        currency=text(element, "Ccy"),
        name=text(element, "Nm"),
    )


def read_reasons(element: etree._Element | None, tag: str) -> tuple[StatusReason, ...]:
    return tuple(
        StatusReason(
            code=text(node, "Rsn/Cd"),
            proprietary=text(node, "Rsn/Prtry"),
            additional_info=tuple(text(info) or "" for info in find_all(node, "AddtlInf")),
        )
        for node in find_all(element, tag)
    )


def read_remittance(element: etree._Element | None) -> tuple[tuple[str, ...], str | None]:
    rmt = find(element, "RmtInf")
    return tuple(text(line) or "" for line in find_all(rmt, "Ustrd")), text(rmt, "Strd/CdtrRefInf/Ref")


def first_code(element: etree._Element | None, path: str) -> str | None:
    """Read a Cd-or-Prtry choice, preferring the ISO code."""
    node = find(element, path)
    if node is None:
        return None
    return text(node, "Cd") or text(node, "Prtry")


def add_payment_type(
    parent: etree._Element,
    *,
    service_level: str | None = None,
    local_instrument: str | None = None,
    category_purpose: str | None = None,
    sequence_type: str | None = None,
    instruction_priority: str | None = None,
) -> None:
    """Write PmtTpInf (any version) when at least one of its parts is set; XSD order is preserved."""
    if not any((service_level, local_instrument, category_purpose, sequence_type, instruction_priority)):
        return
    info = sub(parent, "PmtTpInf")
    opt(info, "InstrPrty", instruction_priority)
    if service_level:
        sub(sub(info, "SvcLvl"), "Cd", service_level)
    if local_instrument:
        sub(sub(info, "LclInstrm"), "Cd", local_instrument)
    opt(info, "SeqTp", sequence_type)
    if category_purpose:
        sub(sub(info, "CtgyPurp"), "Cd", category_purpose)


def read_payment_type(element: etree._Element | None) -> dict[str, str | None]:
    info = find(element, "PmtTpInf")
    return {
        "service_level": first_code(info, "SvcLvl"),
        "local_instrument": first_code(info, "LclInstrm"),
        "category_purpose": first_code(info, "CtgyPurp"),
    }


def read_instructions(element: etree._Element | None, tag: str) -> tuple[str, ...]:
    return tuple(text(node, "InstrInf") or text(node, "Cd") or "" for node in find_all(element, tag))


# --------------------------------------------------------------------------- customer initiations (pain.001, pain.008)
def add_initiation_header(root: etree._Element, message: Pain001 | Pain008, dialect: Dialect) -> None:
    """Add the GrpHdr of a pain.001 or pain.008: ids, counts and control sum of all transactions, InitgPty."""
    header = sub(root, "GrpHdr")
    sub(header, "MsgId", message.message_id)
    sub(header, "CreDtTm", format_value(message.created))
    sub(header, "NbOfTxs", str(len(message.transactions)))
    sub(header, "CtrlSum", format_value(control_sum([(tx.amount, tx.currency) for tx in message.transactions])))
    add_party(header, "InitgPty", message.initiating_party, dialect)


def read_initiation_header(header: etree._Element | None, dialect: Dialect) -> dict[str, Any]:
    """Return the fields written by :func:`add_initiation_header`, keyed by field name."""
    return {
        "message_id": req_text(header, "MsgId"),
        "created": read_datetime(header, "CreDtTm"),
        "initiating_party": read_party(find(header, "InitgPty"), dialect),
    }


def add_payment_info_start(
    root: etree._Element, info: CreditTransferPaymentInfo | DirectDebitPaymentInfo, method: str
) -> etree._Element:
    """Add a PmtInf of a pain.001 (method TRF) or pain.008 (DD) with its id, counts and control sum."""
    element = sub(root, "PmtInf")
    sub(element, "PmtInfId", info.payment_info_id)
    sub(element, "PmtMtd", method)
    opt(element, "BtchBookg", info.batch_booking)
    sub(element, "NbOfTxs", str(len(info.transactions)))
    sub(element, "CtrlSum", format_value(info.control_sum))
    return element


def check_version(version: str, allowed: tuple[str, ...], family: str) -> None:
    """Refuse to build a message version we do not ship an XSD for."""
    if version not in allowed:
        raise MessageValidationError.single(family, "version", f"unsupported {family} version {version!r}")
