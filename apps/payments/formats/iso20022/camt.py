"""Bank-to-customer cash management: camt.052.001.08 (intraday report), camt.053.001.08 (statement),
camt.054.001.08 (debit/credit notification).

The three share one structure (group header, then per account: balances and entries with their
transaction details), so one domain object :class:`CashManagementReport` serves all three and
``message_type`` selects the wrapper (Rpt / Stmt / Ntfctn). A notification carries no balances.
For statements the parser checks that the opening booked balance plus booked entries equals the
closing booked balance (see :mod:`.checks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from .common import (
    V2019,
    Account,
    Party,
    add_account,
    add_amount,
    add_date_choice,
    add_party,
    add_remittance,
    check_version,
    find,
    find_all,
    finish_document,
    format_value,
    load_document,
    new_document,
    opt,
    read_account,
    read_amount,
    read_bool,
    read_date_choice,
    read_datetime,
    read_party,
    read_remittance,
    req_text,
    run_reader,
    sub,
    text,
)

CAMT052 = "camt.052.001.08"
CAMT053 = "camt.053.001.08"
CAMT054 = "camt.054.001.08"
VERSIONS = (CAMT052, CAMT053, CAMT054)

#: message type -> (message root element, per-account element)
_LAYOUT = {
    CAMT052: ("BkToCstmrAcctRpt", "Rpt"),
    CAMT053: ("BkToCstmrStmt", "Stmt"),
    CAMT054: ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}


@dataclass(frozen=True)
class Balance:
    """Bal: a balance of type OPBD/CLBD/ITBD/CLAV/... (ISO external balance type code)."""

    type_code: str
    amount: Decimal
    currency: str
    credit_debit: str
    date: date | datetime


@dataclass(frozen=True)
class BankTransactionCode:
    """BkTxCd: ISO domain/family/sub-family (e.g. PMNT/RCDT/ESCT) and/or a proprietary code."""

    domain: str | None = None
    family: str | None = None
    sub_family: str | None = None
    proprietary: str | None = None
    proprietary_issuer: str | None = None


@dataclass(frozen=True)
class EntryDetail:
    """NtryDtls/TxDtls: the underlying payment of an entry (references, parties, remittance)."""

    end_to_end_id: str | None = None
    message_id: str | None = None
    instruction_id: str | None = None
    uetr: str | None = None
    mandate_id: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    credit_debit: str | None = None
    debtor: Party | None = None
    debtor_account: Account | None = None
    creditor: Party | None = None
    creditor_account: Account | None = None
    remittance_info: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    """Ntry: one booking (or pending/info item) on the account."""

    amount: Decimal
    currency: str
    credit_debit: str
    status: str
    bank_transaction_code: BankTransactionCode
    booking_date: date | datetime | None = None
    value_date: date | datetime | None = None
    entry_reference: str | None = None
    account_servicer_reference: str | None = None
    reversal: bool | None = None
    details: tuple[EntryDetail, ...] = ()
    additional_info: str | None = None


@dataclass(frozen=True)
class AccountReport:
    """Rpt / Stmt / Ntfctn: one account's balances and entries."""

    report_id: str
    account: Account
    balances: tuple[Balance, ...] = ()
    entries: tuple[Entry, ...] = ()
    created: datetime | None = None
    electronic_sequence_number: int | None = None
    account_owner: Party | None = None


@dataclass(frozen=True)
class CashManagementReport:
    """A camt.052/053/054.001.08 message; ``message_type`` picks which."""

    message_type: str
    message_id: str
    created: datetime
    reports: tuple[AccountReport, ...]

    def to_xml(self) -> bytes:
        return build_camt(self)


def build_camt(message: CashManagementReport) -> bytes:
    """Build an XSD-valid camt.052/053/054; raise MessageValidationError otherwise."""
    check_version(message.message_type, VERSIONS, "camt")
    root_tag, report_tag = _LAYOUT[message.message_type]
    document = new_document(message.message_type)
    root = sub(document, root_tag)
    header = sub(root, "GrpHdr")
    sub(header, "MsgId", message.message_id)
    sub(header, "CreDtTm", format_value(message.created))
    for report in message.reports:
        element = sub(root, report_tag)
        sub(element, "Id", report.report_id)
        opt(element, "ElctrncSeqNb", report.electronic_sequence_number)
        opt(element, "CreDtTm", report.created)
        account = add_account(element, "Acct", report.account)
        if report.account_owner:
            add_party(account, "Ownr", report.account_owner, V2019)
        for balance in report.balances:
            _add_balance(element, balance, message.message_type)
        for entry in report.entries:
            _add_entry(element, entry, message.message_type)
    return finish_document(document, message.message_type)


def build_camt052(message: CashManagementReport) -> bytes:
    return build_camt(message)


def build_camt053(message: CashManagementReport) -> bytes:
    return build_camt(message)


def build_camt054(message: CashManagementReport) -> bytes:
    return build_camt(message)


def _add_balance(parent: etree._Element, balance: Balance, message_type: str) -> None:
    element = sub(parent, "Bal")
    sub(sub(sub(element, "Tp"), "CdOrPrtry"), "Cd", balance.type_code)
    add_amount(element, "Amt", balance.amount, balance.currency, message_type=message_type)
    sub(element, "CdtDbtInd", balance.credit_debit)
    add_date_choice(element, "Dt", balance.date)


def _add_bank_transaction_code(parent: etree._Element, code: BankTransactionCode) -> None:
    element = sub(parent, "BkTxCd")
    if code.domain:
        domain = sub(element, "Domn")
        sub(domain, "Cd", code.domain)
        family = sub(domain, "Fmly")
        sub(family, "Cd", code.family or "")
        sub(family, "SubFmlyCd", code.sub_family or "")
    if code.proprietary:
        proprietary = sub(element, "Prtry")
        sub(proprietary, "Cd", code.proprietary)
        opt(proprietary, "Issr", code.proprietary_issuer)


def _add_entry(parent: etree._Element, entry: Entry, message_type: str) -> None:
    element = sub(parent, "Ntry")
    opt(element, "NtryRef", entry.entry_reference)
    add_amount(element, "Amt", entry.amount, entry.currency, message_type=message_type)
    sub(element, "CdtDbtInd", entry.credit_debit)
    opt(element, "RvslInd", entry.reversal)
    sub(sub(element, "Sts"), "Cd", entry.status)
    if entry.booking_date is not None:
        add_date_choice(element, "BookgDt", entry.booking_date)
    if entry.value_date is not None:
        add_date_choice(element, "ValDt", entry.value_date)
    opt(element, "AcctSvcrRef", entry.account_servicer_reference)
    _add_bank_transaction_code(element, entry.bank_transaction_code)
    if entry.details:
        details = sub(element, "NtryDtls")
        for detail in entry.details:
            _add_detail(details, detail, message_type)
    opt(element, "AddtlNtryInf", entry.additional_info)


def _add_detail(parent: etree._Element, detail: EntryDetail, message_type: str) -> None:
    element = sub(parent, "TxDtls")
    references = (detail.message_id, detail.instruction_id, detail.end_to_end_id, detail.uetr, detail.mandate_id)
    if any(value is not None for value in references):
        refs = sub(element, "Refs")
        opt(refs, "MsgId", detail.message_id)
        opt(refs, "InstrId", detail.instruction_id)
        opt(refs, "EndToEndId", detail.end_to_end_id)
        opt(refs, "UETR", detail.uetr)
        opt(refs, "MndtId", detail.mandate_id)
    if detail.amount is not None:
        add_amount(element, "Amt", detail.amount, detail.currency or "", message_type=message_type)
    opt(element, "CdtDbtInd", detail.credit_debit)
    if any((detail.debtor, detail.debtor_account, detail.creditor, detail.creditor_account)):
        parties = sub(element, "RltdPties")
        if detail.debtor:
            add_party(sub(parties, "Dbtr"), "Pty", detail.debtor, V2019)
        if detail.debtor_account:
            add_account(parties, "DbtrAcct", detail.debtor_account)
        if detail.creditor:
            add_party(sub(parties, "Cdtr"), "Pty", detail.creditor, V2019)
        if detail.creditor_account:
            add_account(parties, "CdtrAcct", detail.creditor_account)
    add_remittance(element, detail.remittance_info, None)


# --------------------------------------------------------------------------- parse
def parse_camt(raw: bytes | str) -> CashManagementReport:
    """Parse and validate a camt.052/053/054.001.08; raise MessageValidationError listing every problem."""
    document, message_type = load_document(raw, VERSIONS)
    return run_reader(message_type, lambda doc: read_camt(doc, message_type), document)


def parse_camt052(raw: bytes | str) -> CashManagementReport:
    document, message_type = load_document(raw, (CAMT052,))
    return run_reader(message_type, lambda doc: read_camt(doc, message_type), document)


def parse_camt053(raw: bytes | str) -> CashManagementReport:
    document, message_type = load_document(raw, (CAMT053,))
    return run_reader(message_type, lambda doc: read_camt(doc, message_type), document)


def parse_camt054(raw: bytes | str) -> CashManagementReport:
    document, message_type = load_document(raw, (CAMT054,))
    return run_reader(message_type, lambda doc: read_camt(doc, message_type), document)


def read_camt(document: etree._Element, message_type: str) -> CashManagementReport:
    root_tag, report_tag = _LAYOUT[message_type]
    root = find(document, root_tag)
    header = find(root, "GrpHdr")
    reports = []
    for element in find_all(root, report_tag):
        sequence = text(element, "ElctrncSeqNb")
        account_node = find(element, "Acct")
        reports.append(
            AccountReport(
                report_id=req_text(element, "Id"),
                account=read_account(account_node),
                balances=tuple(_read_balance(node) for node in find_all(element, "Bal")),
                entries=tuple(_read_entry(node) for node in find_all(element, "Ntry")),
                created=read_datetime(element, "CreDtTm"),
                electronic_sequence_number=int(Decimal(sequence)) if sequence else None,
                account_owner=read_party(find(account_node, "Ownr"), V2019),
            )
        )
    return CashManagementReport(
        message_type=message_type,
        message_id=req_text(header, "MsgId"),
        created=read_datetime(header, "CreDtTm"),
        reports=tuple(reports),
    )


def _read_balance(element: etree._Element) -> Balance:
    amount, currency = read_amount(element, "Amt")
    return Balance(
        type_code=text(element, "Tp/CdOrPrtry/Cd") or text(element, "Tp/CdOrPrtry/Prtry") or "",
        amount=amount,
        currency=currency,
        credit_debit=req_text(element, "CdtDbtInd"),
        date=read_date_choice(element, "Dt"),
    )


def _read_entry(element: etree._Element) -> Entry:
    amount, currency = read_amount(element, "Amt")
    code = find(element, "BkTxCd")
    return Entry(
        amount=amount,
        currency=currency,
        credit_debit=req_text(element, "CdtDbtInd"),
        status=text(element, "Sts/Cd") or text(element, "Sts/Prtry") or "",
        bank_transaction_code=BankTransactionCode(
            domain=text(code, "Domn/Cd"),
            family=text(code, "Domn/Fmly/Cd"),
            sub_family=text(code, "Domn/Fmly/SubFmlyCd"),
            proprietary=text(code, "Prtry/Cd"),
            proprietary_issuer=text(code, "Prtry/Issr"),
        ),
        booking_date=read_date_choice(element, "BookgDt"),
        value_date=read_date_choice(element, "ValDt"),
        entry_reference=text(element, "NtryRef"),
        account_servicer_reference=text(element, "AcctSvcrRef"),
        reversal=read_bool(element, "RvslInd"),
        details=tuple(_read_detail(node) for node in find_all(element, "NtryDtls/TxDtls")),
        additional_info=text(element, "AddtlNtryInf"),
    )


def _read_detail(element: etree._Element) -> EntryDetail:
    amount, currency = read_amount(element, "Amt")
    parties = find(element, "RltdPties")
    return EntryDetail(
        end_to_end_id=text(element, "Refs/EndToEndId"),
        message_id=text(element, "Refs/MsgId"),
        instruction_id=text(element, "Refs/InstrId"),
        uetr=text(element, "Refs/UETR"),
        mandate_id=text(element, "Refs/MndtId"),
        amount=amount,
        currency=currency,
        credit_debit=text(element, "CdtDbtInd"),
        debtor=read_party(find(parties, "Dbtr/Pty"), V2019),
        debtor_account=read_account(find(parties, "DbtrAcct")),
        creditor=read_party(find(parties, "Cdtr/Pty"), V2019),
        creditor_account=read_account(find(parties, "CdtrAcct")),
        remittance_info=read_remittance(element)[0],
    )
