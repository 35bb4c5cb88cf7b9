"""pacs.004 PaymentReturn: sending back the funds of a settled credit transfer or direct debit.

Built in pacs.004.001.09; read in every version from 001.02 (2009) to 001.13 (001.12 is not shipped),
each validated with its own official XSD, onto :class:`Pacs004`.

Each returned transaction names the original (message id, end-to-end id, UETR, amount) and a return
reason code from the ISO external code list (AC01 account closed, AM05 duplicate, MS02, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from ..errors import MessageValidationError
from .common import (
    V2019,
    Agent,
    StatusReason,
    add_agent,
    add_amount,
    add_reasons,
    control_sum,
    dialect_of,
    find,
    find_all,
    finish_document,
    first_code,
    format_value,
    load_document,
    message_root,
    new_document,
    opt,
    read_agent,
    read_amount,
    read_date,
    read_datetime,
    read_reasons,
    req_text,
    run_reader,
    sub,
    text,
    version_of,
)
from .schemas import PARSED_VERSIONS

MESSAGE_TYPE = "pacs.004.001.09"
#: Versions read onto :class:`Pacs004`; only :data:`MESSAGE_TYPE` is built.
READ_VERSIONS = PARSED_VERSIONS["pacs.004"]


@dataclass(frozen=True)
class ReturnedTransaction:
    """One TxInf: the returned amount and what it returns."""

    returned_amount: Decimal
    returned_currency: str
    return_id: str | None = None
    original_message_id: str | None = None
    original_message_name_id: str = "pacs.008.001.08"
    original_instruction_id: str | None = None
    original_end_to_end_id: str | None = None
    original_transaction_id: str | None = None
    original_uetr: str | None = None
    original_amount: Decimal | None = None
    original_currency: str | None = None
    original_settlement_date: date | None = None
    settlement_date: date | None = None
    charge_bearer: str | None = None
    reasons: tuple[StatusReason, ...] = ()


@dataclass(frozen=True)
class Pacs004:
    """pacs.004 PaymentReturn; ``version`` is the version it was read from (built: pacs.004.001.09)."""

    message_id: str
    created: datetime
    transactions: tuple[ReturnedTransaction, ...]
    settlement_method: str = "CLRG"
    clearing_system: str | None = None
    settlement_date: date | None = None
    instructing_agent: Agent | None = None
    instructed_agent: Agent | None = None
    version: str = MESSAGE_TYPE

    @property
    def message_type(self) -> str:
        return self.version

    def to_xml(self) -> bytes:
        return build_pacs004(self)


def build_pacs004(message: Pacs004) -> bytes:
    """Build an XSD-valid pacs.004.001.09; raise MessageValidationError otherwise."""
    if message.version != MESSAGE_TYPE:
        raise MessageValidationError.single(
            message.version, "version", f"pacs.004 is built in {MESSAGE_TYPE} only (other versions are read)"
        )
    document = new_document(MESSAGE_TYPE)
    root = sub(document, "PmtRtr")
    header = sub(root, "GrpHdr")
    sub(header, "MsgId", message.message_id)
    sub(header, "CreDtTm", format_value(message.created))
    sub(header, "NbOfTxs", str(len(message.transactions)))
    opt(header, "CtrlSum", control_sum([(tx.returned_amount, tx.returned_currency) for tx in message.transactions]))
    opt(header, "IntrBkSttlmDt", message.settlement_date)
    settlement = sub(header, "SttlmInf")
    sub(settlement, "SttlmMtd", message.settlement_method)
    if message.clearing_system:
        sub(sub(settlement, "ClrSys"), "Cd", message.clearing_system)
    if message.instructing_agent:
        add_agent(header, "InstgAgt", message.instructing_agent, V2019)
    if message.instructed_agent:
        add_agent(header, "InstdAgt", message.instructed_agent, V2019)
    for tx in message.transactions:
        element = sub(root, "TxInf")
        opt(element, "RtrId", tx.return_id)
        if tx.original_message_id:
            group = sub(element, "OrgnlGrpInf")
            sub(group, "OrgnlMsgId", tx.original_message_id)
            sub(group, "OrgnlMsgNmId", tx.original_message_name_id)
        opt(element, "OrgnlInstrId", tx.original_instruction_id)
        opt(element, "OrgnlEndToEndId", tx.original_end_to_end_id)
        opt(element, "OrgnlTxId", tx.original_transaction_id)
        opt(element, "OrgnlUETR", tx.original_uetr)
        if tx.original_amount is not None:
            add_amount(
                element,
                "OrgnlIntrBkSttlmAmt",
                tx.original_amount,
                tx.original_currency or "",
                message_type=MESSAGE_TYPE,
            )
        opt(element, "OrgnlIntrBkSttlmDt", tx.original_settlement_date)
        add_amount(element, "RtrdIntrBkSttlmAmt", tx.returned_amount, tx.returned_currency, message_type=MESSAGE_TYPE)
        opt(element, "IntrBkSttlmDt", tx.settlement_date)
        opt(element, "ChrgBr", tx.charge_bearer)
        add_reasons(element, "RtrRsnInf", tx.reasons)
    return finish_document(document, MESSAGE_TYPE)


def parse_pacs004(raw: bytes | str) -> Pacs004:
    """Parse and validate a pacs.004 (001.02 - 001.13); raise MessageValidationError listing every problem."""
    document, version = load_document(raw, READ_VERSIONS)
    return run_reader(version, read_pacs004, document)


def read_pacs004(document: etree._Element) -> Pacs004:
    """Map an XSD-valid pacs.004 Document of any version to the domain object.

    The original message may be named once for the whole return (PmtRtr/OrgnlGrpInf) instead of
    per transaction; each transaction then takes it from there.
    """
    dialect = dialect_of(document)
    root = message_root(document)
    header = find(root, "GrpHdr")
    group = find(root, "OrgnlGrpInf")
    transactions = []
    for element in find_all(root, "TxInf"):
        original_group = find(element, "OrgnlGrpInf")
        if original_group is None:
            original_group = group
        returned, returned_currency = read_amount(element, "RtrdIntrBkSttlmAmt")
        original, original_currency = read_amount(element, "OrgnlIntrBkSttlmAmt")
        transactions.append(
            ReturnedTransaction(
                returned_amount=returned,
                returned_currency=returned_currency,
                return_id=text(element, "RtrId"),
                original_message_id=text(original_group, "OrgnlMsgId"),
                original_message_name_id=text(original_group, "OrgnlMsgNmId") or "pacs.008.001.08",
                original_instruction_id=text(element, "OrgnlInstrId"),
                original_end_to_end_id=text(element, "OrgnlEndToEndId"),
                original_transaction_id=text(element, "OrgnlTxId"),
                original_uetr=text(element, "OrgnlUETR"),
                original_amount=original,
                original_currency=original_currency,
                original_settlement_date=read_date(element, "OrgnlIntrBkSttlmDt"),
                settlement_date=read_date(element, "IntrBkSttlmDt"),
                charge_bearer=text(element, "ChrgBr"),
                reasons=read_reasons(element, "RtrRsnInf"),
            )
        )
    return Pacs004(
        message_id=req_text(header, "MsgId"),
        created=read_datetime(header, "CreDtTm"),
        transactions=tuple(transactions),
        settlement_method=req_text(header, "SttlmInf/SttlmMtd"),
        clearing_system=first_code(header, "SttlmInf/ClrSys"),
        settlement_date=read_date(header, "IntrBkSttlmDt"),
        instructing_agent=read_agent(find(header, "InstgAgt"), dialect),
        instructed_agent=read_agent(find(header, "InstdAgt"), dialect),
        version=version_of(document),
    )
