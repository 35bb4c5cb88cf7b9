"""camt.056.001.08 FIToFIPaymentCancellationRequest (a recall) and camt.029.001.09 ResolutionOfInvestigation.

Those are the versions built; camt.056.001.01 - .11 and camt.029.001.03 - .13 are read (each against its
own official XSD) onto the same :class:`Camt056` / :class:`Camt029` (``version`` says which arrived).

A bank that sent a credit transfer asks the receiving bank to send the money back (camt.056: the original
MsgId, EndToEndId, UETR and amount, a cancellation reason such as DUPL duplicate, TECH technical problem, FRAD
fraud, CUST customer request). The receiving bank answers with camt.029: ``CNCL`` (cancelled as requested, the
funds follow in a pacs.004) or ``RJCR`` (rejected, with a reason such as NOOR no original transaction received,
ARDT already returned, CUST the customer refuses, AC04 account closed, NOAS no answer from the customer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from lxml import etree

from ..errors import MessageValidationError
from .common import (
    V2019,
    Agent,
    add_agent,
    add_amount,
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
    read_amount,
    read_datetime,
    req_text,
    run_reader,
    sub,
    text,
    version_of,
)
from .schemas import PARSED_VERSIONS

CAMT056 = "camt.056.001.08"
CAMT029 = "camt.029.001.09"
CAMT056_READ_VERSIONS = PARSED_VERSIONS["camt.056"]
CAMT029_READ_VERSIONS = PARSED_VERSIONS["camt.029"]
CANCELLED, REJECTED = "CNCL", "RJCR"


@dataclass(frozen=True)
class RecalledTransaction:
    """One TxInf of a camt.056: what is recalled and why."""

    cancellation_id: str | None
    original_message_id: str | None
    original_message_name_id: str = "pacs.008.001.08"
    original_end_to_end_id: str | None = None
    original_transaction_id: str | None = None
    original_uetr: str | None = None
    original_amount: Decimal | None = None
    original_currency: str | None = None
    reason_code: str | None = None
    additional_info: tuple[str, ...] = ()


@dataclass(frozen=True)
class Camt056:
    assignment_id: str
    created: datetime
    assigner: Agent
    assignee: Agent
    transactions: tuple[RecalledTransaction, ...]
    case_id: str | None = None
    version: str = CAMT056

    @property
    def message_type(self) -> str:
        return self.version

    def to_xml(self) -> bytes:
        return build_camt056(self)


@dataclass(frozen=True)
class CancellationStatus:
    """One TxInfAndSts of a camt.029: the answer for one recalled transaction."""

    status: str  # ACCR (accepted) or RJCR (rejected) for the transaction
    original_message_id: str | None = None
    original_message_name_id: str = "pacs.008.001.08"
    original_end_to_end_id: str | None = None
    original_transaction_id: str | None = None
    original_uetr: str | None = None
    reason_code: str | None = None
    cancellation_status_id: str | None = None


@dataclass(frozen=True)
class Camt029:
    assignment_id: str
    created: datetime
    assigner: Agent
    assignee: Agent
    confirmation: str  # CNCL or RJCR for the case
    transactions: tuple[CancellationStatus, ...]
    case_id: str | None = None
    version: str = CAMT029

    @property
    def message_type(self) -> str:
        return self.version

    def to_xml(self) -> bytes:
        return build_camt029(self)


def _assignment(root: etree._Element, assignment_id: str, assigner: Agent, assignee: Agent, created) -> None:
    element = sub(root, "Assgnmt")
    sub(element, "Id", assignment_id)
    add_agent(sub(element, "Assgnr"), "Agt", assigner, V2019)
    add_agent(sub(element, "Assgne"), "Agt", assignee, V2019)
    sub(element, "CreDtTm", format_value(created))


def _case(parent: etree._Element, tag: str, case_id: str | None, creator: Agent) -> None:
    if case_id:
        case = sub(parent, tag)
        sub(case, "Id", case_id)
        add_agent(sub(case, "Cretr"), "Agt", creator, V2019)


def build_camt056(message: Camt056) -> bytes:
    """Build an XSD-valid camt.056.001.08; raise MessageValidationError otherwise."""
    if message.version != CAMT056:
        raise MessageValidationError.single(
            message.version, "version", f"{CAMT056} is the version built (other versions are read)"
        )
    document = new_document(CAMT056)
    root = sub(document, "FIToFIPmtCxlReq")
    _assignment(root, message.assignment_id, message.assigner, message.assignee, message.created)
    _case(root, "Case", message.case_id, message.assigner)
    underlying = sub(root, "Undrlyg")
    for tx in message.transactions:
        element = sub(underlying, "TxInf")
        opt(element, "CxlId", tx.cancellation_id)
        if tx.original_message_id:
            group = sub(element, "OrgnlGrpInf")
            sub(group, "OrgnlMsgId", tx.original_message_id)
            sub(group, "OrgnlMsgNmId", tx.original_message_name_id)
        opt(element, "OrgnlEndToEndId", tx.original_end_to_end_id)
        opt(element, "OrgnlTxId", tx.original_transaction_id)
        opt(element, "OrgnlUETR", tx.original_uetr)
        if tx.original_amount is not None:
            add_amount(
                element, "OrgnlIntrBkSttlmAmt", tx.original_amount, tx.original_currency or "", message_type=CAMT056
            )
        if tx.reason_code or tx.additional_info:
            reason = sub(element, "CxlRsnInf")
            if tx.reason_code:
                sub(sub(reason, "Rsn"), "Cd", tx.reason_code)
            for line in tx.additional_info:
                sub(reason, "AddtlInf", line)
    return finish_document(document, CAMT056)


def read_camt056(document: etree._Element) -> Camt056:
    """Map an XSD-valid camt.056 Document of any version to the domain object."""
    dialect = dialect_of(document)
    root = message_root(document)
    assignment = find(root, "Assgnmt")
    transactions = []
    for element in find_all(root, "Undrlyg/TxInf"):
        amount, currency = read_amount(element, "OrgnlIntrBkSttlmAmt")
        reason = find(element, "CxlRsnInf")
        transactions.append(
            RecalledTransaction(
                cancellation_id=text(element, "CxlId"),
                original_message_id=text(element, "OrgnlGrpInf/OrgnlMsgId"),
                original_message_name_id=text(element, "OrgnlGrpInf/OrgnlMsgNmId") or "pacs.008.001.08",
                original_end_to_end_id=text(element, "OrgnlEndToEndId"),
                original_transaction_id=text(element, "OrgnlTxId"),
                original_uetr=text(element, "OrgnlUETR"),
                original_amount=amount,
                original_currency=currency,
                reason_code=text(reason, "Rsn/Cd") or text(reason, "Rsn/Prtry"),
                additional_info=tuple(text(info) or "" for info in find_all(reason, "AddtlInf")),
            )
        )
    return Camt056(
        assignment_id=req_text(assignment, "Id"),
        created=read_datetime(assignment, "CreDtTm"),
        assigner=read_agent(find(assignment, "Assgnr/Agt"), dialect) or Agent(),
        assignee=read_agent(find(assignment, "Assgne/Agt"), dialect) or Agent(),
        transactions=tuple(transactions),
        case_id=text(root, "Case/Id"),
        version=version_of(document),
    )


def build_camt029(message: Camt029) -> bytes:
    """Build an XSD-valid camt.029.001.09; raise MessageValidationError otherwise."""
    if message.version != CAMT029:
        raise MessageValidationError.single(
            message.version, "version", f"{CAMT029} is the version built (other versions are read)"
        )
    document = new_document(CAMT029)
    root = sub(document, "RsltnOfInvstgtn")
    _assignment(root, message.assignment_id, message.assigner, message.assignee, message.created)
    _case(root, "RslvdCase", message.case_id, message.assignee)
    sub(sub(root, "Sts"), "Conf", message.confirmation)
    details = sub(root, "CxlDtls")
    for tx in message.transactions:
        element = sub(details, "TxInfAndSts")
        opt(element, "CxlStsId", tx.cancellation_status_id)
        if tx.original_message_id:
            group = sub(element, "OrgnlGrpInf")
            sub(group, "OrgnlMsgId", tx.original_message_id)
            sub(group, "OrgnlMsgNmId", tx.original_message_name_id)
        opt(element, "OrgnlEndToEndId", tx.original_end_to_end_id)
        opt(element, "OrgnlTxId", tx.original_transaction_id)
        opt(element, "OrgnlUETR", tx.original_uetr)
        sub(element, "TxCxlSts", tx.status)
        if tx.reason_code:
            sub(sub(sub(element, "CxlStsRsnInf"), "Rsn"), "Cd", tx.reason_code)
    return finish_document(document, CAMT029)


def read_camt029(document: etree._Element) -> Camt029:
    """Map an XSD-valid camt.029 Document of any version to the domain object."""
    dialect = dialect_of(document)
    root = message_root(document)
    assignment = find(root, "Assgnmt")
    transactions = tuple(
        CancellationStatus(
            status=text(element, "TxCxlSts") or "",
            original_message_id=text(element, "OrgnlGrpInf/OrgnlMsgId"),
            original_message_name_id=text(element, "OrgnlGrpInf/OrgnlMsgNmId") or "pacs.008.001.08",
            original_end_to_end_id=text(element, "OrgnlEndToEndId"),
            original_transaction_id=text(element, "OrgnlTxId"),
            original_uetr=text(element, "OrgnlUETR"),
            reason_code=text(element, "CxlStsRsnInf/Rsn/Cd"),
            cancellation_status_id=text(element, "CxlStsId"),
        )
        for element in find_all(root, "CxlDtls/TxInfAndSts")
    )
    return Camt029(
        assignment_id=req_text(assignment, "Id"),
        created=read_datetime(assignment, "CreDtTm"),
        assigner=read_agent(find(assignment, "Assgnr/Agt"), dialect) or Agent(),
        assignee=read_agent(find(assignment, "Assgne/Agt"), dialect) or Agent(),
        confirmation=text(root, "Sts/Conf") or "",
        transactions=transactions,
        case_id=text(root, "RslvdCase/Id"),
        version=version_of(document),
    )


def parse_camt056(raw: bytes | str) -> Camt056:
    """Parse and validate a camt.056 (001.01 - 001.11); raise MessageValidationError listing every problem."""
    document, version = load_document(raw, CAMT056_READ_VERSIONS)
    return run_reader(version, read_camt056, document)


def parse_camt029(raw: bytes | str) -> Camt029:
    """Parse and validate a camt.029 (001.03 - 001.13); raise MessageValidationError listing every problem."""
    document, version = load_document(raw, CAMT029_READ_VERSIONS)
    return run_reader(version, read_camt029, document)
