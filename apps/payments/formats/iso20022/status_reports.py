"""Payment status reports: pacs.002.001.10 (interbank) and pain.002.001.10 / .001.03 (bank to customer).

Those are the versions built; pacs.002.001.03 - .14 and pain.002.001.03 - .14 are read (each against its
own official XSD) onto the same :class:`Pacs002` / :class:`Pain002`.

Both report on an original message (OrgnlGrpInfAndSts) and on its transactions; pain.002 groups the
transactions under their original payment information block. A rejection (RJCT) must carry a
reason code - the parser reports one that does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from lxml import etree

from ..errors import MessageValidationError
from .common import (
    V2009,
    V2019,
    Agent,
    Dialect,
    Party,
    StatusReason,
    add_agent,
    add_party,
    add_reasons,
    check_version,
    dialect_of,
    find,
    find_all,
    finish_document,
    format_value,
    load_document,
    message_root,
    new_document,
    opt,
    read_agent,
    read_datetime,
    read_party,
    read_reasons,
    req_text,
    run_reader,
    sub,
    text,
    version_of,
)
from .schemas import PARSED_VERSIONS

PACS002 = "pacs.002.001.10"
PAIN002_V10 = "pain.002.001.10"
PAIN002_V03 = "pain.002.001.03"
PACS002_READ_VERSIONS = PARSED_VERSIONS["pacs.002"]
PAIN002_READ_VERSIONS = PARSED_VERSIONS["pain.002"]


@dataclass(frozen=True)
class OriginalGroupStatus:
    """OrgnlGrpInfAndSts: which message is reported on and the status of the whole group."""

    original_message_id: str
    original_message_name_id: str
    original_created: datetime | None = None
    original_number_of_transactions: int | None = None
    original_control_sum: Decimal | None = None
    group_status: str | None = None
    reasons: tuple[StatusReason, ...] = ()


@dataclass(frozen=True)
class TransactionStatus:
    """TxInfAndSts: status of one original transaction, identified by its original references."""

    status: str | None = None
    original_end_to_end_id: str | None = None
    original_instruction_id: str | None = None
    original_transaction_id: str | None = None
    original_uetr: str | None = None
    status_id: str | None = None
    reasons: tuple[StatusReason, ...] = ()


@dataclass(frozen=True)
class Pacs002:
    """pacs.002.001.10 FIToFIPaymentStatusReport."""

    message_id: str
    created: datetime
    original_groups: tuple[OriginalGroupStatus, ...] = ()
    transactions: tuple[TransactionStatus, ...] = ()
    instructing_agent: Agent | None = None
    instructed_agent: Agent | None = None
    version: str = PACS002

    @property
    def message_type(self) -> str:
        return self.version

    def to_xml(self) -> bytes:
        return build_pacs002(self)


@dataclass(frozen=True)
class PaymentInformationStatus:
    """OrgnlPmtInfAndSts of a pain.002: status of one original PmtInf block and its transactions."""

    original_payment_info_id: str
    status: str | None = None
    reasons: tuple[StatusReason, ...] = ()
    transactions: tuple[TransactionStatus, ...] = ()


@dataclass(frozen=True)
class Pain002:
    """pain.002 CustomerPaymentStatusReport; ``version`` is pain.002.001.10 or pain.002.001.03."""

    message_id: str
    created: datetime
    original_group: OriginalGroupStatus
    payment_informations: tuple[PaymentInformationStatus, ...] = ()
    initiating_party: Party | None = None
    debtor_agent: Agent | None = None
    version: str = PAIN002_V10

    @property
    def message_type(self) -> str:
        return self.version

    def to_xml(self) -> bytes:
        return build_pain002(self)


# --------------------------------------------------------------------------- shared pieces
def _add_original_group(parent: etree._Element, group: OriginalGroupStatus) -> None:
    element = sub(parent, "OrgnlGrpInfAndSts")
    sub(element, "OrgnlMsgId", group.original_message_id)
    sub(element, "OrgnlMsgNmId", group.original_message_name_id)
    opt(element, "OrgnlCreDtTm", group.original_created)
    opt(element, "OrgnlNbOfTxs", group.original_number_of_transactions)
    opt(element, "OrgnlCtrlSum", group.original_control_sum)
    opt(element, "GrpSts", group.group_status)
    add_reasons(element, "StsRsnInf", group.reasons)


def _read_original_group(element: etree._Element) -> OriginalGroupStatus:
    count = text(element, "OrgnlNbOfTxs")
    control = text(element, "OrgnlCtrlSum")
    return OriginalGroupStatus(
        original_message_id=req_text(element, "OrgnlMsgId"),
        original_message_name_id=req_text(element, "OrgnlMsgNmId"),
        original_created=read_datetime(element, "OrgnlCreDtTm"),
        original_number_of_transactions=int(count) if count else None,
        original_control_sum=Decimal(control.strip()) if control else None,
        group_status=text(element, "GrpSts"),
        reasons=read_reasons(element, "StsRsnInf"),
    )


def _add_transaction_status(parent: etree._Element, tx: TransactionStatus, *, interbank: bool, with_uetr: bool) -> None:
    element = sub(parent, "TxInfAndSts")
    opt(element, "StsId", tx.status_id)
    opt(element, "OrgnlInstrId", tx.original_instruction_id)
    opt(element, "OrgnlEndToEndId", tx.original_end_to_end_id)
    if interbank:
        opt(element, "OrgnlTxId", tx.original_transaction_id)
    if with_uetr:
        opt(element, "OrgnlUETR", tx.original_uetr)
    opt(element, "TxSts", tx.status)
    add_reasons(element, "StsRsnInf", tx.reasons)


def _read_transaction_status(element: etree._Element) -> TransactionStatus:
    return TransactionStatus(
        status=text(element, "TxSts"),
        original_end_to_end_id=text(element, "OrgnlEndToEndId"),
        original_instruction_id=text(element, "OrgnlInstrId"),
        original_transaction_id=text(element, "OrgnlTxId"),
        original_uetr=text(element, "OrgnlUETR"),
        status_id=text(element, "StsId"),
        reasons=read_reasons(element, "StsRsnInf"),
    )


# --------------------------------------------------------------------------- pacs.002
def build_pacs002(message: Pacs002) -> bytes:
    """Build an XSD-valid pacs.002.001.10; raise MessageValidationError otherwise."""
    if message.version != PACS002:
        raise MessageValidationError.single(
            message.version, "version", f"pacs.002 is built in {PACS002} only (other versions are read)"
        )
    document = new_document(PACS002)
    root = sub(document, "FIToFIPmtStsRpt")
    header = sub(root, "GrpHdr")
    sub(header, "MsgId", message.message_id)
    sub(header, "CreDtTm", format_value(message.created))
    if message.instructing_agent:
        add_agent(header, "InstgAgt", message.instructing_agent, V2019)
    if message.instructed_agent:
        add_agent(header, "InstdAgt", message.instructed_agent, V2019)
    for group in message.original_groups:
        _add_original_group(root, group)
    for tx in message.transactions:
        _add_transaction_status(root, tx, interbank=True, with_uetr=True)
    return finish_document(document, PACS002)


def parse_pacs002(raw: bytes | str) -> Pacs002:
    """Parse and validate a pacs.002 (001.03 - 001.14); raise MessageValidationError listing every problem."""
    document, version = load_document(raw, PACS002_READ_VERSIONS)
    return run_reader(version, read_pacs002, document)


def read_pacs002(document: etree._Element) -> Pacs002:
    """Map an XSD-valid pacs.002 Document of any version to the domain object."""
    dialect = dialect_of(document)
    root = message_root(document)
    header = find(root, "GrpHdr")
    return Pacs002(
        message_id=req_text(header, "MsgId"),
        created=read_datetime(header, "CreDtTm"),
        original_groups=tuple(_read_original_group(node) for node in find_all(root, "OrgnlGrpInfAndSts")),
        transactions=tuple(_read_transaction_status(node) for node in find_all(root, "TxInfAndSts")),
        instructing_agent=read_agent(find(header, "InstgAgt"), dialect),
        instructed_agent=read_agent(find(header, "InstdAgt"), dialect),
        version=version_of(document),
    )


# --------------------------------------------------------------------------- pain.002
def _dialect(version: str) -> Dialect:
    return V2009 if version == PAIN002_V03 else V2019


def build_pain002(message: Pain002) -> bytes:
    """Build an XSD-valid pain.002 in ``message.version``; raise MessageValidationError otherwise."""
    version = message.version
    check_version(version, (PAIN002_V10, PAIN002_V03), "pain.002")
    dialect = _dialect(version)
    document = new_document(version)
    root = sub(document, "CstmrPmtStsRpt")
    header = sub(root, "GrpHdr")
    sub(header, "MsgId", message.message_id)
    sub(header, "CreDtTm", format_value(message.created))
    if message.initiating_party:
        add_party(header, "InitgPty", message.initiating_party, dialect)
    if message.debtor_agent:
        add_agent(header, "DbtrAgt", message.debtor_agent, dialect)
    _add_original_group(root, message.original_group)
    for info in message.payment_informations:
        element = sub(root, "OrgnlPmtInfAndSts")
        sub(element, "OrgnlPmtInfId", info.original_payment_info_id)
        opt(element, "PmtInfSts", info.status)
        add_reasons(element, "StsRsnInf", info.reasons)
        for tx in info.transactions:
            _add_transaction_status(element, tx, interbank=False, with_uetr=version == PAIN002_V10)
    return finish_document(document, version)


def parse_pain002(raw: bytes | str) -> Pain002:
    """Parse and validate a pain.002 (001.03 - 001.14); raise MessageValidationError listing every problem."""
    document, version = load_document(raw, PAIN002_READ_VERSIONS)
    return run_reader(version, lambda doc: read_pain002(doc, version), document)


def read_pain002(document: etree._Element, version: str) -> Pain002:
    """Map an XSD-valid pain.002 Document of any version to the domain object."""
    dialect = dialect_of(document)
    root = message_root(document)
    header = find(root, "GrpHdr")
    infos = tuple(
        PaymentInformationStatus(
            original_payment_info_id=req_text(node, "OrgnlPmtInfId"),
            status=text(node, "PmtInfSts"),
            reasons=read_reasons(node, "StsRsnInf"),
            transactions=tuple(_read_transaction_status(tx) for tx in find_all(node, "TxInfAndSts")),
        )
        for node in find_all(root, "OrgnlPmtInfAndSts")
    )
    return Pain002(
        message_id=req_text(header, "MsgId"),
        created=read_datetime(header, "CreDtTm"),
        original_group=_read_original_group(find(root, "OrgnlGrpInfAndSts")),
        payment_informations=infos,
        initiating_party=read_party(find(header, "InitgPty"), dialect),
        debtor_agent=read_agent(find(header, "DbtrAgt"), dialect),
        version=version,
    )
