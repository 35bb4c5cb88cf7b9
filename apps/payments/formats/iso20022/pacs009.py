"""pacs.009 FinancialInstitutionCreditTransfer: bank-to-bank transfers and cover payments.

Built in pacs.009.001.08; read in every version from 001.02 (2009; its message root is
FinInstnCdtTrf up to 001.03) to 001.11, each validated with its own official XSD, onto :class:`Pacs009`.

A plain pacs.009 moves the bank's own funds (MT202); with ``underlying`` set it is a cover
payment (pacs.009 COV, MT202 COV) carrying the customer transfer it funds in UndrlygCstmrCdtTrf.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

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
    add_remittance,
    dialect_of,
    find,
    find_all,
    finish_document,
    first_code,
    load_document,
    message_root,
    new_document,
    read_account,
    read_agent,
    read_amount,
    read_instructions,
    read_party,
    read_remittance,
    run_reader,
    sub,
    version_of,
)
from .pacs008 import (
    add_chain_agents,
    add_group_header93,
    add_instructions,
    add_transaction_start,
    read_chain_agents,
    read_group_header93,
    read_transaction_start,
)
from .schemas import PARSED_VERSIONS

MESSAGE_TYPE = "pacs.009.001.08"
#: Versions read onto :class:`Pacs009` (001.02 - 001.11); only :data:`MESSAGE_TYPE` is built.
READ_VERSIONS = PARSED_VERSIONS["pacs.009"]


@dataclass(frozen=True)
class UnderlyingCustomerCreditTransfer:
    """UndrlygCstmrCdtTrf of a cover payment: the customer transfer (pacs.008/MT103) being covered."""

    debtor: Party
    debtor_agent: Agent
    creditor_agent: Agent
    creditor: Party
    debtor_account: Account | None = None
    creditor_account: Account | None = None
    intermediary_agent: Agent | None = None
    remittance_info: tuple[str, ...] = ()
    instructed_amount: Decimal | None = None
    instructed_currency: str | None = None


@dataclass(frozen=True)
class Pacs009Transaction:
    """One CdtTrfTxInf of a pacs.009: debtor and creditor are financial institutions."""

    end_to_end_id: str
    amount: Decimal
    currency: str
    debtor: Agent
    creditor: Agent
    instruction_id: str | None = None
    transaction_id: str | None = None
    uetr: str | None = None
    service_level: str | None = None
    local_instrument: str | None = None
    category_purpose: str | None = None
    settlement_date: date | None = None
    instructing_agent: Agent | None = None
    instructed_agent: Agent | None = None
    intermediary_agent: Agent | None = None
    debtor_account: Account | None = None
    debtor_agent: Agent | None = None
    creditor_agent: Agent | None = None
    creditor_account: Account | None = None
    instructions_for_next_agent: tuple[str, ...] = ()
    purpose: str | None = None
    remittance_info: tuple[str, ...] = ()
    underlying: UnderlyingCustomerCreditTransfer | None = None


@dataclass(frozen=True)
class Pacs009:
    """A pacs.009 message (GroupHeader93 like pacs.008); ``version`` is the version it was read from."""

    message_id: str
    created: datetime
    transactions: tuple[Pacs009Transaction, ...]
    settlement_method: str = "INDA"
    clearing_system: str | None = None
    settlement_date: date | None = None
    service_level: str | None = None
    local_instrument: str | None = None
    category_purpose: str | None = None
    instructing_agent: Agent | None = None
    instructed_agent: Agent | None = None
    total_interbank_settlement_amount: Decimal | None = None
    total_interbank_settlement_currency: str | None = None
    instructing_reimbursement_agent: Agent | None = None  # SttlmInf/InstgRmbrsmntAgt
    version: str = MESSAGE_TYPE

    @property
    def message_type(self) -> str:
        return self.version

    @property
    def is_cover(self) -> bool:
        return any(tx.underlying is not None for tx in self.transactions)

    def to_xml(self) -> bytes:
        return build_pacs009(self)


def build_pacs009(message: Pacs009) -> bytes:
    """Build XSD-valid pacs.009.001.08 XML; raise MessageValidationError if the data cannot make a valid message."""
    if message.version != MESSAGE_TYPE:
        raise MessageValidationError.single(
            message.version, "version", f"pacs.009 is built in {MESSAGE_TYPE} only (other versions are read)"
        )
    document = new_document(MESSAGE_TYPE)
    root = sub(document, "FICdtTrf")
    add_group_header93(root, message)
    for tx in message.transactions:
        element = sub(root, "CdtTrfTxInf")
        add_transaction_start(element, tx, message_type=MESSAGE_TYPE)
        add_chain_agents(element, tx)
        add_agent(element, "Dbtr", tx.debtor, V2019)
        if tx.debtor_account:
            add_account(element, "DbtrAcct", tx.debtor_account)
        if tx.debtor_agent:
            add_agent(element, "DbtrAgt", tx.debtor_agent, V2019)
        if tx.creditor_agent:
            add_agent(element, "CdtrAgt", tx.creditor_agent, V2019)
        add_agent(element, "Cdtr", tx.creditor, V2019)
        if tx.creditor_account:
            add_account(element, "CdtrAcct", tx.creditor_account)
        add_instructions(element, "InstrForNxtAgt", tx.instructions_for_next_agent)
        if tx.purpose:
            sub(sub(element, "Purp"), "Cd", tx.purpose)
        add_remittance(element, tx.remittance_info, None)
        if tx.underlying:
            _add_underlying(element, tx.underlying)
    return finish_document(document, MESSAGE_TYPE)


def _add_underlying(parent: etree._Element, underlying: UnderlyingCustomerCreditTransfer) -> None:
    element = sub(parent, "UndrlygCstmrCdtTrf")
    add_party(element, "Dbtr", underlying.debtor, V2019)
    if underlying.debtor_account:
        add_account(element, "DbtrAcct", underlying.debtor_account)
    add_agent(element, "DbtrAgt", underlying.debtor_agent, V2019)
    if underlying.intermediary_agent:
        add_agent(element, "IntrmyAgt1", underlying.intermediary_agent, V2019)
    add_agent(element, "CdtrAgt", underlying.creditor_agent, V2019)
    add_party(element, "Cdtr", underlying.creditor, V2019)
    if underlying.creditor_account:
        add_account(element, "CdtrAcct", underlying.creditor_account)
    add_remittance(element, underlying.remittance_info, None)
    if underlying.instructed_amount is not None:
        add_amount(
            element,
            "InstdAmt",
            underlying.instructed_amount,
            underlying.instructed_currency or "",
            message_type=MESSAGE_TYPE,
        )


def parse_pacs009(raw: bytes | str) -> Pacs009:
    """Parse and validate a pacs.009 (001.02 - 001.11); raise MessageValidationError listing every problem."""
    document, version = load_document(raw, READ_VERSIONS)
    return run_reader(version, read_pacs009, document)


def read_pacs009(document: etree._Element) -> Pacs009:
    """Map an XSD-valid pacs.009 Document of any version (root FICdtTrf, or FinInstnCdtTrf before 001.04)."""
    dialect = dialect_of(document)
    root = message_root(document)
    header = read_group_header93(find(root, "GrpHdr"), dialect)
    transactions = tuple(_read_transaction(tx, dialect) for tx in find_all(root, "CdtTrfTxInf"))
    return Pacs009(transactions=transactions, version=version_of(document), **header)  # type: ignore[arg-type]


def _read_transaction(element: etree._Element, dialect: Dialect) -> Pacs009Transaction:
    underlying_node = find(element, "UndrlygCstmrCdtTrf")
    underlying = None
    if underlying_node is not None:
        instructed, instructed_currency = read_amount(underlying_node, "InstdAmt")
        underlying = UnderlyingCustomerCreditTransfer(
            debtor=read_party(find(underlying_node, "Dbtr"), dialect),
            debtor_account=read_account(find(underlying_node, "DbtrAcct")),
            debtor_agent=read_agent(find(underlying_node, "DbtrAgt"), dialect),
            intermediary_agent=read_agent(find(underlying_node, "IntrmyAgt1"), dialect),
            creditor_agent=read_agent(find(underlying_node, "CdtrAgt"), dialect),
            creditor=read_party(find(underlying_node, "Cdtr"), dialect),
            creditor_account=read_account(find(underlying_node, "CdtrAcct")),
            remittance_info=read_remittance(underlying_node)[0],
            instructed_amount=instructed,
            instructed_currency=instructed_currency,
        )
    return Pacs009Transaction(
        **read_transaction_start(element),
        **read_chain_agents(element, dialect),
        debtor=read_agent(find(element, "Dbtr"), dialect),
        debtor_account=read_account(find(element, "DbtrAcct")),
        debtor_agent=read_agent(find(element, "DbtrAgt"), dialect),
        creditor_agent=read_agent(find(element, "CdtrAgt"), dialect),
        creditor=read_agent(find(element, "Cdtr"), dialect),
        creditor_account=read_account(find(element, "CdtrAcct")),
        instructions_for_next_agent=read_instructions(element, "InstrForNxtAgt"),
        purpose=first_code(element, "Purp"),
        remittance_info=read_remittance(element)[0],
        underlying=underlying,
    )
