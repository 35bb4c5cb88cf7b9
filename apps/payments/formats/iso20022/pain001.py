"""pain.001 CustomerCreditTransferInitiation, in pain.001.001.09 (2019) and pain.001.001.03 (2009).

A customer (or our own back office acting for it) asks its bank to execute credit transfers.
Transactions are grouped in payment-information blocks sharing debtor, debtor account and
execution date. The 2009 version is kept for banks that have not moved to the 2019 rulebooks; the
domain object is the same, only ``version`` differs (the writer picks BIC vs BICFI, and a plain
ReqdExctnDt vs the Dt/DtTm choice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from ..errors import MessageValidationError
from .common import (
    V2009,
    V2019,
    Account,
    Agent,
    Party,
    add_account,
    add_agent,
    add_amount,
    add_date_choice,
    add_initiation_header,
    add_party,
    add_payment_info_start,
    add_payment_type,
    add_remittance,
    check_version,
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
    read_account,
    read_agent,
    read_amount,
    read_bool,
    read_date_choice,
    read_initiation_header,
    read_party,
    read_payment_type,
    read_remittance,
    req_text,
    run_reader,
    sub,
    text,
)
from .schemas import PARSED_VERSIONS

PAIN001_V09 = "pain.001.001.09"
PAIN001_V03 = "pain.001.001.03"
VERSIONS = (PAIN001_V09, PAIN001_V03)
#: Versions read (each against its own XSD) onto the same domain object; :data:`VERSIONS` are built.
READ_VERSIONS = PARSED_VERSIONS["pain.001"]


@dataclass(frozen=True)
class CreditTransferInstruction:
    """One CdtTrfTxInf of a pain.001: what to pay to whom."""

    end_to_end_id: str
    amount: Decimal
    currency: str
    creditor: Party | None = None
    creditor_account: Account | None = None
    creditor_agent: Agent | None = None
    instruction_id: str | None = None
    uetr: str | None = None
    service_level: str | None = None
    local_instrument: str | None = None
    category_purpose: str | None = None
    charge_bearer: str | None = None
    ultimate_debtor: Party | None = None
    ultimate_creditor: Party | None = None
    purpose: str | None = None
    remittance_info: tuple[str, ...] = ()
    creditor_reference: str | None = None


@dataclass(frozen=True)
class CreditTransferPaymentInfo:
    """One PmtInf block: debtor side shared by its transactions."""

    payment_info_id: str
    requested_execution_date: date | datetime
    debtor: Party
    debtor_account: Account
    debtor_agent: Agent
    transactions: tuple[CreditTransferInstruction, ...]
    batch_booking: bool | None = None
    service_level: str | None = None
    local_instrument: str | None = None
    category_purpose: str | None = None
    instruction_priority: str | None = None
    charge_bearer: str | None = None
    ultimate_debtor: Party | None = None

    @property
    def control_sum(self) -> Decimal:
        return control_sum([(tx.amount, tx.currency) for tx in self.transactions])


@dataclass(frozen=True)
class Pain001:
    """A pain.001 message (``version`` pain.001.001.09 or pain.001.001.03)."""

    message_id: str
    created: datetime
    initiating_party: Party
    payment_infos: tuple[CreditTransferPaymentInfo, ...]
    version: str = PAIN001_V09

    @property
    def message_type(self) -> str:
        return self.version

    @property
    def transactions(self) -> tuple[CreditTransferInstruction, ...]:
        return tuple(tx for info in self.payment_infos for tx in info.transactions)

    @property
    def control_sum(self) -> Decimal:
        return control_sum([(tx.amount, tx.currency) for tx in self.transactions])

    def to_xml(self) -> bytes:
        return build_pain001(self)


def build_pain001(message: Pain001) -> bytes:
    """Build an XSD-valid pain.001 in ``message.version``; raise MessageValidationError otherwise."""
    version = message.version
    check_version(version, VERSIONS, "pain.001")
    dialect = V2009 if version == PAIN001_V03 else V2019
    document = new_document(version)
    root = sub(document, "CstmrCdtTrfInitn")
    add_initiation_header(root, message, dialect)
    for info in message.payment_infos:
        element = add_payment_info_start(root, info, "TRF")
        add_payment_type(
            element,
            service_level=info.service_level,
            local_instrument=info.local_instrument,
            category_purpose=info.category_purpose,
            instruction_priority=info.instruction_priority,
        )
        if version == PAIN001_V03:
            if isinstance(info.requested_execution_date, datetime):
                raise MessageValidationError.single(
                    version, "PmtInf/ReqdExctnDt", "pain.001.001.03 takes a date, not a date-time"
                )
            sub(element, "ReqdExctnDt", format_value(info.requested_execution_date))
        else:
            add_date_choice(element, "ReqdExctnDt", info.requested_execution_date)
        add_party(element, "Dbtr", info.debtor, dialect)
        add_account(element, "DbtrAcct", info.debtor_account)
        add_agent(element, "DbtrAgt", info.debtor_agent, dialect)
        if info.ultimate_debtor:
            add_party(element, "UltmtDbtr", info.ultimate_debtor, dialect)
        opt(element, "ChrgBr", info.charge_bearer)
        for tx in info.transactions:
            tx_element = sub(element, "CdtTrfTxInf")
            payment_id = sub(tx_element, "PmtId")
            opt(payment_id, "InstrId", tx.instruction_id)
            sub(payment_id, "EndToEndId", tx.end_to_end_id)
            if version == PAIN001_V09:
                opt(payment_id, "UETR", tx.uetr)
            add_payment_type(
                tx_element,
                service_level=tx.service_level,
                local_instrument=tx.local_instrument,
                category_purpose=tx.category_purpose,
            )
            add_amount(sub(tx_element, "Amt"), "InstdAmt", tx.amount, tx.currency, message_type=version)
            opt(tx_element, "ChrgBr", tx.charge_bearer)
            if tx.ultimate_debtor:
                add_party(tx_element, "UltmtDbtr", tx.ultimate_debtor, dialect)
            if tx.creditor_agent:
                add_agent(tx_element, "CdtrAgt", tx.creditor_agent, dialect)
            if tx.creditor:
                add_party(tx_element, "Cdtr", tx.creditor, dialect)
            if tx.creditor_account:
                add_account(tx_element, "CdtrAcct", tx.creditor_account)
            if tx.ultimate_creditor:
                add_party(tx_element, "UltmtCdtr", tx.ultimate_creditor, dialect)
            if tx.purpose:
                sub(sub(tx_element, "Purp"), "Cd", tx.purpose)
            add_remittance(tx_element, tx.remittance_info, tx.creditor_reference)
    return finish_document(document, version)


def parse_pain001(raw: bytes | str) -> Pain001:
    """Parse and validate a pain.001 (001.03 - 001.12); raise MessageValidationError listing every problem."""
    document, version = load_document(raw, READ_VERSIONS)
    return run_reader(version, lambda doc: read_pain001(doc, version), document)


def read_pain001(document: etree._Element, version: str) -> Pain001:
    dialect = dialect_of(document)
    root = message_root(document)
    header = find(root, "GrpHdr")
    infos = []
    for element in find_all(root, "PmtInf"):
        transactions = []
        for tx in find_all(element, "CdtTrfTxInf"):
            amount, currency = read_amount(tx, "Amt/InstdAmt")
            if amount is None:
                node = find(tx, "Amt")
                raise MessageValidationError.single(
                    version,
                    "CdtTrfTxInf/Amt/EqvtAmt",
                    "equivalent amounts (EqvtAmt) are not supported",
                    node.sourceline if node is not None else None,
                )
            unstructured, creditor_reference = read_remittance(tx)
            transactions.append(
                CreditTransferInstruction(
                    end_to_end_id=req_text(tx, "PmtId/EndToEndId"),
                    instruction_id=text(tx, "PmtId/InstrId"),
                    uetr=text(tx, "PmtId/UETR"),
                    **read_payment_type(tx),
                    amount=amount,
                    currency=currency,
                    charge_bearer=text(tx, "ChrgBr"),
                    ultimate_debtor=read_party(find(tx, "UltmtDbtr"), dialect),
                    creditor_agent=read_agent(find(tx, "CdtrAgt"), dialect),
                    creditor=read_party(find(tx, "Cdtr"), dialect),
                    creditor_account=read_account(find(tx, "CdtrAcct")),
                    ultimate_creditor=read_party(find(tx, "UltmtCdtr"), dialect),
                    purpose=first_code(tx, "Purp"),
                    remittance_info=unstructured,
                    creditor_reference=creditor_reference,
                )
            )
        # A plain date up to 001.07, a Dt/DtTm choice from 001.08.
        execution = read_date_choice(element, "ReqdExctnDt")
        infos.append(
            CreditTransferPaymentInfo(
                payment_info_id=req_text(element, "PmtInfId"),
                requested_execution_date=execution,
                debtor=read_party(find(element, "Dbtr"), dialect),
                debtor_account=read_account(find(element, "DbtrAcct")),
                debtor_agent=read_agent(find(element, "DbtrAgt"), dialect),
                transactions=tuple(transactions),
                batch_booking=read_bool(element, "BtchBookg"),
                **read_payment_type(element),
                instruction_priority=text(element, "PmtTpInf/InstrPrty"),
                charge_bearer=text(element, "ChrgBr"),
                ultimate_debtor=read_party(find(element, "UltmtDbtr"), dialect),
            )
        )
    return Pain001(**read_initiation_header(header, dialect), payment_infos=tuple(infos), version=version)
