"""pacs.008 FIToFICustomerCreditTransfer: the interbank leg of a customer credit transfer.

Built in pacs.008.001.08; read in every version from 001.02 (2009) to 001.13, each validated
with its own official XSD, onto the same :class:`Pacs008` (``version`` says which one arrived).

Used for SEPA SCT / SCT Inst (service level SEPA, local instrument INST for instant) and for
SWIFT CBPR+ cross-border payments (where it replaces MT103; see :class:`Pacs008Transaction`
for the fields a MT103 mapping needs). One domain object, one builder, one parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from lxml import etree

from ..errors import MessageValidationError
from .common import (
    V2019,
    Account,
    Agent,
    Dialect,
    Party,
    add_account,
    add_agent,
    add_amount,
    add_party,
    add_payment_type,
    add_remittance,
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
    read_date,
    read_datetime,
    read_instructions,
    read_party,
    read_payment_type,
    read_remittance,
    req_text,
    run_reader,
    sub,
    text,
    version_of,
)
from .schemas import PARSED_VERSIONS

if TYPE_CHECKING:
    from .pacs009 import Pacs009, Pacs009Transaction

MESSAGE_TYPE = "pacs.008.001.08"
#: Versions read onto :class:`Pacs008` (001.02 - 001.13); only :data:`MESSAGE_TYPE` is built.
READ_VERSIONS = PARSED_VERSIONS["pacs.008"]


@dataclass(frozen=True)
class Charge:
    """ChrgsInf: a charge taken by an agent along the chain (MT103 field 71F/71G)."""

    amount: Decimal
    currency: str
    agent: Agent


@dataclass(frozen=True)
class Pacs008Transaction:
    """One CdtTrfTxInf (CreditTransferTransaction39).

    ``amount``/``currency`` is IntrBkSttlmAmt (MT103 32A); ``instructed_amount`` is InstdAmt (33B).
    ``remittance_info`` holds the RmtInf/Ustrd lines (70), ``creditor_reference`` a structured
    Strd/CdtrRefInf/Ref (e.g. an RF reference). Agents: ``instructing_agent``/``instructed_agent``
    (sender/receiver), ``intermediary_agent`` (56A), ``debtor_agent`` (52A), ``creditor_agent`` (57A).
    """

    end_to_end_id: str
    amount: Decimal
    currency: str
    debtor: Party
    debtor_agent: Agent
    creditor: Party
    creditor_agent: Agent
    charge_bearer: str = "SHAR"
    instruction_id: str | None = None
    transaction_id: str | None = None
    uetr: str | None = None
    service_level: str | None = None
    local_instrument: str | None = None
    category_purpose: str | None = None
    settlement_date: date | None = None
    acceptance_datetime: datetime | None = None
    instructed_amount: Decimal | None = None
    instructed_currency: str | None = None
    exchange_rate: Decimal | None = None
    charges: tuple[Charge, ...] = ()
    instructing_agent: Agent | None = None
    instructed_agent: Agent | None = None
    intermediary_agent: Agent | None = None
    ultimate_debtor: Party | None = None
    debtor_account: Account | None = None
    creditor_account: Account | None = None
    ultimate_creditor: Party | None = None
    instructions_for_creditor_agent: tuple[str, ...] = ()
    instructions_for_next_agent: tuple[str, ...] = ()
    purpose: str | None = None
    remittance_info: tuple[str, ...] = ()
    creditor_reference: str | None = None


@dataclass(frozen=True)
class Pacs008:
    """A pacs.008 message: group header settings plus one or more transactions.

    NbOfTxs and CtrlSum are derived from ``transactions`` when building and checked when parsing,
    so they are not stored. ``total_interbank_settlement_amount`` (TtlIntrBkSttlmAmt) is optional
    in ISO and emitted only when set; the parser checks it against the transactions. ``version`` is
    the version it was read from (built: always pacs.008.001.08).
    """

    message_id: str
    created: datetime
    transactions: tuple[Pacs008Transaction, ...]
    settlement_method: str = "CLRG"
    clearing_system: str | None = None
    settlement_date: date | None = None
    service_level: str | None = None
    local_instrument: str | None = None
    category_purpose: str | None = None
    instructing_agent: Agent | None = None
    instructed_agent: Agent | None = None
    total_interbank_settlement_amount: Decimal | None = None
    total_interbank_settlement_currency: str | None = None
    # SttlmInf/InstgRmbrsmntAgt: with settlement method COVE, our correspondent, which the cover (pacs.009 COV) funds
    instructing_reimbursement_agent: Agent | None = None
    version: str = MESSAGE_TYPE

    @property
    def message_type(self) -> str:
        return self.version

    @property
    def number_of_transactions(self) -> int:
        return len(self.transactions)

    @property
    def control_sum(self) -> Decimal:
        return control_sum([(tx.amount, tx.currency) for tx in self.transactions])

    def to_xml(self) -> bytes:
        """Return the XSD-valid XML (UTF-8 bytes) of this message."""
        return build_pacs008(self)


# --------------------------------------------------------------------------- shared with pacs.009
def add_group_header93(root: etree._Element, message: Pacs008 | Pacs009) -> None:
    """Add the GroupHeader93 of a pacs.008 or pacs.009 (``message.message_type`` picks the amount rules)."""
    message_type = message.message_type
    transactions = message.transactions
    header = sub(root, "GrpHdr")
    sub(header, "MsgId", message.message_id)
    sub(header, "CreDtTm", format_value(message.created))
    sub(header, "NbOfTxs", str(len(transactions)))
    sub(header, "CtrlSum", format_value(control_sum([(tx.amount, tx.currency) for tx in transactions])))
    if message.total_interbank_settlement_amount is not None:
        add_amount(
            header,
            "TtlIntrBkSttlmAmt",
            message.total_interbank_settlement_amount,
            message.total_interbank_settlement_currency or "",
            message_type=message_type,
        )
    opt(header, "IntrBkSttlmDt", message.settlement_date)
    settlement = sub(header, "SttlmInf")
    sub(settlement, "SttlmMtd", message.settlement_method)
    if message.clearing_system:
        sub(sub(settlement, "ClrSys"), "Cd", message.clearing_system)
    if message.instructing_reimbursement_agent:
        add_agent(settlement, "InstgRmbrsmntAgt", message.instructing_reimbursement_agent, V2019)
    add_payment_type(
        header,
        service_level=message.service_level,
        local_instrument=message.local_instrument,
        category_purpose=message.category_purpose,
    )
    if message.instructing_agent:
        add_agent(header, "InstgAgt", message.instructing_agent, V2019)
    if message.instructed_agent:
        add_agent(header, "InstdAgt", message.instructed_agent, V2019)


def read_group_header93(header: etree._Element, dialect: Dialect = V2019) -> dict[str, object]:
    """Read a pacs.008/pacs.009 GrpHdr of any version (GroupHeader33 in 2009 ... GroupHeader131)."""
    total, total_currency = read_amount(header, "TtlIntrBkSttlmAmt")
    return {
        "message_id": req_text(header, "MsgId"),
        "created": read_datetime(header, "CreDtTm"),
        "settlement_method": req_text(header, "SttlmInf/SttlmMtd"),
        "clearing_system": first_code(header, "SttlmInf/ClrSys"),
        "instructing_reimbursement_agent": read_agent(find(header, "SttlmInf/InstgRmbrsmntAgt"), dialect),
        "settlement_date": read_date(header, "IntrBkSttlmDt"),
        **read_payment_type(header),
        "instructing_agent": read_agent(find(header, "InstgAgt"), dialect),
        "instructed_agent": read_agent(find(header, "InstdAgt"), dialect),
        "total_interbank_settlement_amount": total,
        "total_interbank_settlement_currency": total_currency,
    }


def add_instructions(parent: etree._Element, tag: str, instructions: tuple[str, ...]) -> None:
    for instruction in instructions:
        sub(sub(parent, tag), "InstrInf", instruction)


def add_payment_id(
    parent: etree._Element, instruction_id: str | None, end_to_end_id: str, transaction_id: str | None, uetr: str | None
) -> None:
    payment_id = sub(parent, "PmtId")
    opt(payment_id, "InstrId", instruction_id)
    sub(payment_id, "EndToEndId", end_to_end_id)
    opt(payment_id, "TxId", transaction_id)
    opt(payment_id, "UETR", uetr)


def add_transaction_start(
    element: etree._Element, tx: Pacs008Transaction | Pacs009Transaction, *, message_type: str
) -> None:
    """Add PmtId, PmtTpInf, IntrBkSttlmAmt and IntrBkSttlmDt, which open a pacs.008 and a pacs.009 transaction."""
    add_payment_id(element, tx.instruction_id, tx.end_to_end_id, tx.transaction_id, tx.uetr)
    add_payment_type(
        element,
        service_level=tx.service_level,
        local_instrument=tx.local_instrument,
        category_purpose=tx.category_purpose,
    )
    add_amount(element, "IntrBkSttlmAmt", tx.amount, tx.currency, message_type=message_type)
    opt(element, "IntrBkSttlmDt", tx.settlement_date)


def read_transaction_start(element: etree._Element) -> dict[str, object]:
    """Return the fields written by :func:`add_transaction_start`, keyed by field name."""
    amount, currency = read_amount(element, "IntrBkSttlmAmt")
    return {
        "end_to_end_id": req_text(element, "PmtId/EndToEndId"),
        "instruction_id": text(element, "PmtId/InstrId"),
        "transaction_id": text(element, "PmtId/TxId"),
        "uetr": text(element, "PmtId/UETR"),
        **read_payment_type(element),
        "amount": amount,
        "currency": currency,
        "settlement_date": read_date(element, "IntrBkSttlmDt"),
    }


def add_chain_agents(element: etree._Element, tx: Pacs008Transaction | Pacs009Transaction) -> None:
    """Add the agents along the chain that are set: InstgAgt, InstdAgt, IntrmyAgt1."""
    for tag, agent in (
        ("InstgAgt", tx.instructing_agent),
        ("InstdAgt", tx.instructed_agent),
        ("IntrmyAgt1", tx.intermediary_agent),
    ):
        if agent:
            add_agent(element, tag, agent, V2019)


def read_chain_agents(element: etree._Element, dialect: Dialect = V2019) -> dict[str, Agent | None]:
    """Return the agents written by :func:`add_chain_agents`, keyed by field name."""
    return {
        "instructing_agent": read_agent(find(element, "InstgAgt"), dialect),
        "instructed_agent": read_agent(find(element, "InstdAgt"), dialect),
        "intermediary_agent": read_agent(find(element, "IntrmyAgt1"), dialect),
    }


# --------------------------------------------------------------------------- build
def build_pacs008(message: Pacs008) -> bytes:
    """Build pacs.008.001.08 XML, validate it against the official XSD and our semantic checks, return bytes.

    Raises MessageValidationError (never emits invalid XML).
    """
    if message.version != MESSAGE_TYPE:
        raise MessageValidationError.single(
            message.version, "version", f"pacs.008 is built in {MESSAGE_TYPE} only (other versions are read)"
        )
    document = new_document(MESSAGE_TYPE)
    root = sub(document, "FIToFICstmrCdtTrf")
    add_group_header93(root, message)
    for tx in message.transactions:
        _add_transaction(root, tx)
    return finish_document(document, MESSAGE_TYPE)


def _add_transaction(root: etree._Element, tx: Pacs008Transaction) -> None:
    element = sub(root, "CdtTrfTxInf")
    add_transaction_start(element, tx, message_type=MESSAGE_TYPE)
    opt(element, "AccptncDtTm", tx.acceptance_datetime)
    if tx.instructed_amount is not None:
        add_amount(element, "InstdAmt", tx.instructed_amount, tx.instructed_currency or "", message_type=MESSAGE_TYPE)
    opt(element, "XchgRate", tx.exchange_rate)
    sub(element, "ChrgBr", tx.charge_bearer)
    for charge in tx.charges:
        charges = sub(element, "ChrgsInf")
        add_amount(charges, "Amt", charge.amount, charge.currency, message_type=MESSAGE_TYPE)
        add_agent(charges, "Agt", charge.agent, V2019)
    add_chain_agents(element, tx)
    if tx.ultimate_debtor:
        add_party(element, "UltmtDbtr", tx.ultimate_debtor, V2019)
    add_party(element, "Dbtr", tx.debtor, V2019)
    if tx.debtor_account:
        add_account(element, "DbtrAcct", tx.debtor_account)
    add_agent(element, "DbtrAgt", tx.debtor_agent, V2019)
    add_agent(element, "CdtrAgt", tx.creditor_agent, V2019)
    add_party(element, "Cdtr", tx.creditor, V2019)
    if tx.creditor_account:
        add_account(element, "CdtrAcct", tx.creditor_account)
    if tx.ultimate_creditor:
        add_party(element, "UltmtCdtr", tx.ultimate_creditor, V2019)
    add_instructions(element, "InstrForCdtrAgt", tx.instructions_for_creditor_agent)
    add_instructions(element, "InstrForNxtAgt", tx.instructions_for_next_agent)
    if tx.purpose:
        sub(sub(element, "Purp"), "Cd", tx.purpose)
    add_remittance(element, tx.remittance_info, tx.creditor_reference)


# --------------------------------------------------------------------------- parse
def parse_pacs008(raw: bytes | str) -> Pacs008:
    """Parse and validate a pacs.008 (001.02 - 001.13, each against its own XSD) from another bank.

    Raises MessageValidationError listing every problem.
    """
    document, version = load_document(raw, READ_VERSIONS)
    return run_reader(version, read_pacs008, document)


def read_pacs008(document: etree._Element) -> Pacs008:
    """Map an XSD-valid pacs.008 Document of any version to the domain object."""
    dialect = dialect_of(document)
    root = message_root(document)
    header = read_group_header93(find(root, "GrpHdr"), dialect)
    transactions = tuple(_read_transaction(tx, dialect) for tx in find_all(root, "CdtTrfTxInf"))
    return Pacs008(transactions=transactions, version=version_of(document), **header)  # type: ignore[arg-type]


def _read_transaction(element: etree._Element, dialect: Dialect) -> Pacs008Transaction:
    instructed, instructed_currency = read_amount(element, "InstdAmt")
    unstructured, creditor_reference = read_remittance(element)
    rate = text(element, "XchgRate")
    charges = []
    for node in find_all(element, "ChrgsInf"):
        charge_amount, charge_currency = read_amount(node, "Amt")
        # 001.02 names the charging agent Pty, later versions Agt.
        agent_node = find(node, "Agt") if find(node, "Agt") is not None else find(node, "Pty")
        charges.append(Charge(charge_amount, charge_currency, read_agent(agent_node, dialect)))
    # 001.13 moved AccptncDtTm into AddtlDtTm.
    acceptance_path = "AccptncDtTm" if find(element, "AccptncDtTm") is not None else "AddtlDtTm/AccptncDtTm"
    return Pacs008Transaction(
        **read_transaction_start(element),
        acceptance_datetime=read_datetime(element, acceptance_path),
        instructed_amount=instructed,
        instructed_currency=instructed_currency,
        exchange_rate=Decimal(rate.strip()) if rate else None,
        charge_bearer=req_text(element, "ChrgBr"),
        charges=tuple(charges),
        **read_chain_agents(element, dialect),
        ultimate_debtor=read_party(find(element, "UltmtDbtr"), dialect),
        debtor=read_party(find(element, "Dbtr"), dialect),
        debtor_account=read_account(find(element, "DbtrAcct")),
        debtor_agent=read_agent(find(element, "DbtrAgt"), dialect),
        creditor_agent=read_agent(find(element, "CdtrAgt"), dialect),
        creditor=read_party(find(element, "Cdtr"), dialect),
        creditor_account=read_account(find(element, "CdtrAcct")),
        ultimate_creditor=read_party(find(element, "UltmtCdtr"), dialect),
        instructions_for_creditor_agent=read_instructions(element, "InstrForCdtrAgt"),
        instructions_for_next_agent=read_instructions(element, "InstrForNxtAgt"),
        purpose=first_code(element, "Purp"),
        remittance_info=unstructured,
        creditor_reference=creditor_reference,
    )
