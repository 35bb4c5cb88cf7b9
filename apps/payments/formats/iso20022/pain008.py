"""pain.008 CustomerDirectDebitInitiation, pain.008.001.08 (2019) and pain.008.001.02 (2009).

The creditor asks its bank to collect from debtors under signed mandates. SEPA Direct Debit needs
for every collection: mandate id and date of signature, the creditor scheme identifier (e.g.
DE98ZZZ09999999999), the sequence type (FRST first, RCUR recurrent, OOFF one-off, FNAL final) and
the scheme (local instrument CORE or B2B). Those SEPA rules live in :mod:`.sepa`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from .common import (
    V2009,
    V2019,
    Account,
    Agent,
    Party,
    add_account,
    add_agent,
    add_amount,
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
    format_value,
    load_document,
    message_root,
    new_document,
    opt,
    read_account,
    read_agent,
    read_amount,
    read_bool,
    read_date,
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

PAIN008_V08 = "pain.008.001.08"
PAIN008_V02 = "pain.008.001.02"
VERSIONS = (PAIN008_V08, PAIN008_V02)
#: Versions read (each against its own XSD) onto the same domain object; :data:`VERSIONS` are built.
READ_VERSIONS = PARSED_VERSIONS["pain.008"]


@dataclass(frozen=True)
class DirectDebitInstruction:
    """One DrctDbtTxInf: a collection from one debtor under one mandate."""

    end_to_end_id: str
    amount: Decimal
    currency: str
    mandate_id: str
    mandate_signature_date: date
    debtor: Party
    debtor_account: Account
    debtor_agent: Agent
    instruction_id: str | None = None
    amendment_indicator: bool | None = None
    ultimate_debtor: Party | None = None
    purpose: str | None = None
    remittance_info: tuple[str, ...] = ()
    creditor_reference: str | None = None


@dataclass(frozen=True)
class DirectDebitPaymentInfo:
    """One PmtInf block: creditor side, collection date, scheme and sequence type shared by its collections."""

    payment_info_id: str
    requested_collection_date: date
    creditor: Party
    creditor_account: Account
    creditor_agent: Agent
    creditor_scheme_id: str
    transactions: tuple[DirectDebitInstruction, ...]
    sequence_type: str = "RCUR"
    local_instrument: str | None = "CORE"
    service_level: str | None = "SEPA"
    category_purpose: str | None = None
    batch_booking: bool | None = None
    charge_bearer: str | None = "SLEV"

    @property
    def control_sum(self) -> Decimal:
        return control_sum([(tx.amount, tx.currency) for tx in self.transactions])


@dataclass(frozen=True)
class Pain008:
    """A pain.008 message (``version`` pain.008.001.08 or pain.008.001.02)."""

    message_id: str
    created: datetime
    initiating_party: Party
    payment_infos: tuple[DirectDebitPaymentInfo, ...]
    version: str = PAIN008_V08

    @property
    def message_type(self) -> str:
        return self.version

    @property
    def transactions(self) -> tuple[DirectDebitInstruction, ...]:
        return tuple(tx for info in self.payment_infos for tx in info.transactions)

    def to_xml(self) -> bytes:
        return build_pain008(self)


def build_pain008(message: Pain008) -> bytes:
    """Build an XSD-valid pain.008 in ``message.version``; raise MessageValidationError otherwise."""
    version = message.version
    check_version(version, VERSIONS, "pain.008")
    dialect = V2009 if version == PAIN008_V02 else V2019
    document = new_document(version)
    root = sub(document, "CstmrDrctDbtInitn")
    add_initiation_header(root, message, dialect)
    for info in message.payment_infos:
        element = add_payment_info_start(root, info, "DD")
        add_payment_type(
            element,
            service_level=info.service_level,
            local_instrument=info.local_instrument,
            sequence_type=info.sequence_type,
            category_purpose=info.category_purpose,
        )
        sub(element, "ReqdColltnDt", format_value(info.requested_collection_date))
        add_party(element, "Cdtr", info.creditor, dialect)
        add_account(element, "CdtrAcct", info.creditor_account)
        add_agent(element, "CdtrAgt", info.creditor_agent, dialect)
        opt(element, "ChrgBr", info.charge_bearer)
        add_party(element, "CdtrSchmeId", Party(private_id=info.creditor_scheme_id, private_id_scheme="SEPA"), dialect)
        for tx in info.transactions:
            tx_element = sub(element, "DrctDbtTxInf")
            payment_id = sub(tx_element, "PmtId")
            opt(payment_id, "InstrId", tx.instruction_id)
            sub(payment_id, "EndToEndId", tx.end_to_end_id)
            add_amount(tx_element, "InstdAmt", tx.amount, tx.currency, message_type=version)
            mandate = sub(sub(tx_element, "DrctDbtTx"), "MndtRltdInf")
            sub(mandate, "MndtId", tx.mandate_id)
            sub(mandate, "DtOfSgntr", format_value(tx.mandate_signature_date))
            opt(mandate, "AmdmntInd", tx.amendment_indicator)
            add_agent(tx_element, "DbtrAgt", tx.debtor_agent, dialect)
            add_party(tx_element, "Dbtr", tx.debtor, dialect)
            add_account(tx_element, "DbtrAcct", tx.debtor_account)
            if tx.ultimate_debtor:
                add_party(tx_element, "UltmtDbtr", tx.ultimate_debtor, dialect)
            if tx.purpose:
                sub(sub(tx_element, "Purp"), "Cd", tx.purpose)
            add_remittance(tx_element, tx.remittance_info, tx.creditor_reference)
    return finish_document(document, version)


def parse_pain008(raw: bytes | str) -> Pain008:
    """Parse and validate a pain.008 (001.02 - 001.11); raise MessageValidationError listing every problem."""
    document, version = load_document(raw, READ_VERSIONS)
    return run_reader(version, lambda doc: read_pain008(doc, version), document)


def read_pain008(document: etree._Element, version: str) -> Pain008:
    dialect = dialect_of(document)
    root = message_root(document)
    header = find(root, "GrpHdr")
    infos = []
    for element in find_all(root, "PmtInf"):
        transactions = []
        for tx in find_all(element, "DrctDbtTxInf"):
            amount, currency = read_amount(tx, "InstdAmt")
            unstructured, creditor_reference = read_remittance(tx)
            transactions.append(
                DirectDebitInstruction(
                    end_to_end_id=req_text(tx, "PmtId/EndToEndId"),
                    instruction_id=text(tx, "PmtId/InstrId"),
                    amount=amount,
                    currency=currency,
                    mandate_id=text(tx, "DrctDbtTx/MndtRltdInf/MndtId") or "",
                    mandate_signature_date=read_date(tx, "DrctDbtTx/MndtRltdInf/DtOfSgntr"),
                    amendment_indicator=read_bool(tx, "DrctDbtTx/MndtRltdInf/AmdmntInd"),
                    debtor_agent=read_agent(find(tx, "DbtrAgt"), dialect),
                    debtor=read_party(find(tx, "Dbtr"), dialect),
                    debtor_account=read_account(find(tx, "DbtrAcct")),
                    ultimate_debtor=read_party(find(tx, "UltmtDbtr"), dialect),
                    purpose=text(tx, "Purp/Cd") or text(tx, "Purp/Prtry"),
                    remittance_info=unstructured,
                    creditor_reference=creditor_reference,
                )
            )
        payment_type = read_payment_type(element)
        scheme_id = text(element, "CdtrSchmeId/Id/PrvtId/Othr/Id")
        if scheme_id is None and transactions:
            scheme_id = text(find(element, "DrctDbtTxInf"), "DrctDbtTx/CdtrSchmeId/Id/PrvtId/Othr/Id")
        infos.append(
            DirectDebitPaymentInfo(
                payment_info_id=req_text(element, "PmtInfId"),
                requested_collection_date=read_date(element, "ReqdColltnDt"),
                creditor=read_party(find(element, "Cdtr"), dialect),
                creditor_account=read_account(find(element, "CdtrAcct")),
                creditor_agent=read_agent(find(element, "CdtrAgt"), dialect),
                creditor_scheme_id=scheme_id or "",
                transactions=tuple(transactions),
                sequence_type=text(element, "PmtTpInf/SeqTp") or "",
                local_instrument=payment_type["local_instrument"],
                service_level=payment_type["service_level"],
                category_purpose=payment_type["category_purpose"],
                batch_booking=read_bool(element, "BtchBookg"),
                charge_bearer=text(element, "ChrgBr"),
            )
        )
    return Pain008(**read_initiation_header(header, dialect), payment_infos=tuple(infos), version=version)
