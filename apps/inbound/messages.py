"""Read what the networks send us into three kinds of item, with the formats package (no database here).

- ``Transfer``: money for one of our customers (pacs.008, MT103, Fedwire CTR/BTR, ACH credit entries) or an
  ACH debit pulling from one (PPD/CCD/WEB debit entries);
- ``Returned``: one of our outbound payments came back (pacs.004, MT103 or MT910 with ``:72:/RETN/``, Fedwire
  reversal subtype 02/08 quoting the original IMAD in {3500}, ACH return entries with addenda 99);
- ``Changed``: an ACH notification of change (COR entry, addenda 98) for one of our payments.

Every item carries ``network_id``, the id a duplicate is recognised by: the UETR (ISO 20022, else the
end-to-end id with the message id), MT :20:+UETR, the IMAD, the ACH trace number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from apps.core.money import to_minor_units
from apps.payments.formats import fedwire, iso20022, nacha, swift_mt
from apps.payments.formats.detect import detect_format
from apps.payments.formats.errors import FieldError, MessageValidationError
from apps.payments.formats.iso20022 import BusinessMessage, Camt029, Camt056, Pacs004, Pacs008
from apps.payments.formats.nacha import Addenda98, Addenda99, EntryDetail
from apps.payments.formats.nacha.codes import TRANSACTION_CODES
from apps.payments.formats.swift_mt import MT103, MT910

# ``/RETN/59/AC01//MREF/REF`` (the field that failed, the reason, the original :20:) or ``/RETN/AC04``.
RETN = re.compile(r"/RETN/(?:\d{2}[A-Z]?/(?P<code>[A-Z]{2}\d{2})/|(?P<short>[A-Z0-9]{2,8}))")
MREF = re.compile(r"/MREF/(?P<ref>[^/\s]{1,16})")
FEDWIRE_REVERSAL_SUBTYPES = frozenset({"02", "08"})
DEBIT_SEC_CODES = frozenset({"PPD", "CCD", "WEB", "TEL"})


class UnreadableMessage(ValueError):
    """The message is of no known format, or does not read; ``errors`` say why."""

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


@dataclass(frozen=True)
class Transfer:
    rail: str
    message_type: str
    direction: str  # CREDIT or DEBIT (our customer's side)
    network_id: str
    amount_minor: int
    currency: str
    creditor_account: str  # the account the sender names at our bank (IBAN, account number)
    creditor_name: str = ""
    creditor_agent: str = ""  # BIC or ABA routing number of the bank the sender addressed
    creditor_country: str = ""
    debtor_name: str = ""
    debtor_account: str = ""
    debtor_agent: str = ""
    debtor_country: str = ""
    remittance_info: str = ""
    value_date: date | None = None
    uetr: str = ""
    end_to_end_id: str = ""
    message_id: str = ""
    sec_code: str = ""
    original: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Returned:
    rail: str
    message_type: str
    network_id: str
    reason_code: str
    original_ids: tuple[str, ...]  # what the return quotes of the original: UETR, trace, IMAD, :20:, MsgId
    amount_minor: int | None = None
    currency: str = ""
    reference: str = ""  # ACH: the original entry's identification number (our payment's reference)
    swift_reference: str = ""  # MT: the original :20:


@dataclass(frozen=True)
class Changed:
    rail: str
    message_type: str
    network_id: str
    change_code: str
    corrected_data: str
    original_ids: tuple[str, ...]
    reference: str = ""


@dataclass(frozen=True)
class Recall:
    """A camt.056: the sender asks for one of its payments to us back."""

    rail: str
    message_type: str
    network_id: str
    reason_code: str
    original_ids: tuple[str, ...]  # UETR, end-to-end id (with the original MsgId)
    original_message_id: str = ""
    original_end_to_end_id: str = ""
    original_transaction_id: str = ""
    original_uetr: str = ""
    assigner_bic: str = ""
    assignment_id: str = ""
    case_id: str = ""


Item = Transfer | Returned | Changed | Recall


@dataclass(frozen=True)
class Read:
    message_type: str
    items: tuple[Item, ...]
    skipped: tuple[str, ...] = ()  # entries that move no money (prenotes, zero entries), said why


def _minor(amount: Decimal, currency: str) -> int:
    return to_minor_units(amount, currency)


def read_message(raw: bytes, *, rail: str | None = None) -> Read:
    """Read ``raw`` into its items; ``rail`` names the network it came from (else it is inferred)."""
    module = detect_format(raw)
    try:
        if module is iso20022:
            return _iso20022(iso20022.parse(raw), raw, rail)
        if module is swift_mt:
            return _swift(swift_mt.parse(raw), rail or "swift")
        if module is fedwire:
            return _fedwire(fedwire.parse(raw))
        if module is nacha:
            return _ach(nacha.parse(raw))
    except MessageValidationError as exc:
        first = "; ".join(str(error) for error in exc.errors[:3])
        raise UnreadableMessage(f"{exc.message_type}: {first}", list(exc.errors)) from None
    raise UnreadableMessage("the message is not ISO 20022, SWIFT MT, Fedwire or NACHA")


# ---------------------------------------------------------------- ISO 20022


def _iso_rail(document: Pacs008, rail: str | None) -> str:
    if rail:
        return rail
    tx = document.transactions[0]
    if (tx.service_level or document.service_level) == "SEPA":
        return "sepa_inst" if (tx.local_instrument or document.local_instrument) == "INST" else "sepa"
    return "swift"


def _iso20022(parsed: Any, raw: bytes, rail: str | None) -> Read:
    document = parsed.document if isinstance(parsed, BusinessMessage) else parsed
    if isinstance(document, Pacs008):
        rail_name = _iso_rail(document, rail)
        items = []
        for tx in document.transactions:
            creditor_account = tx.creditor_account.iban or tx.creditor_account.other_id if tx.creditor_account else ""
            debtor_account = tx.debtor_account.iban or tx.debtor_account.other_id if tx.debtor_account else ""
            items.append(
                Transfer(
                    rail=rail_name,
                    message_type=document.message_type,
                    direction="CREDIT",
                    network_id=tx.uetr or f"{document.message_id}/{tx.end_to_end_id}",
                    amount_minor=_minor(tx.amount, tx.currency),
                    currency=tx.currency,
                    creditor_account=creditor_account or "",
                    creditor_name=tx.creditor.name or "",
                    creditor_agent=tx.creditor_agent.bic or "" if tx.creditor_agent else "",
                    creditor_country=tx.creditor.country or "",
                    debtor_name=tx.debtor.name or "",
                    debtor_account=debtor_account or "",
                    debtor_agent=tx.debtor_agent.bic or "" if tx.debtor_agent else "",
                    debtor_country=tx.debtor.country or "",
                    remittance_info=" ".join(tx.remittance_info),
                    value_date=tx.settlement_date or document.settlement_date,
                    uetr=tx.uetr or "",
                    end_to_end_id=tx.end_to_end_id,
                    message_id=document.message_id,
                    original={
                        "message_id": document.message_id,
                        "message_name_id": document.message_type,
                        "instruction_id": tx.instruction_id,
                        "end_to_end_id": tx.end_to_end_id,
                        "transaction_id": tx.transaction_id,
                        "uetr": tx.uetr,
                        "debtor_bic": tx.debtor_agent.bic if tx.debtor_agent else None,
                    },
                )
            )
        return Read(document.message_type, tuple(items))
    if isinstance(document, Pacs004):
        rail_name = rail or "sepa"
        items = []
        for index, tx in enumerate(document.transactions, start=1):
            ids = tuple(i for i in (tx.original_uetr, tx.original_end_to_end_id, tx.original_message_id) if i)
            code = tx.reasons[0].code if tx.reasons and tx.reasons[0].code else "NARR"
            items.append(
                Returned(
                    rail=rail_name,
                    message_type=document.message_type,
                    network_id=f"{document.message_id}/{tx.return_id or index}",
                    reason_code=code,
                    original_ids=ids,
                    amount_minor=_minor(tx.returned_amount, tx.returned_currency),
                    currency=tx.returned_currency,
                )
            )
        return Read(document.message_type, tuple(items))
    if isinstance(document, Camt056):
        items = []
        for index, tx in enumerate(document.transactions, start=1):
            end_to_end = f"{tx.original_message_id}/{tx.original_end_to_end_id}" if tx.original_end_to_end_id else ""
            items.append(
                Recall(
                    rail=rail or "sepa",
                    message_type=document.message_type,
                    network_id=f"{document.assignment_id}/{tx.cancellation_id or index}",
                    reason_code=tx.reason_code or "",
                    original_ids=tuple(i for i in (tx.original_uetr, end_to_end) if i),
                    original_message_id=tx.original_message_id or "",
                    original_end_to_end_id=tx.original_end_to_end_id or "",
                    original_transaction_id=tx.original_transaction_id or "",
                    original_uetr=tx.original_uetr or "",
                    assigner_bic=document.assigner.bic or "",
                    assignment_id=document.assignment_id,
                    case_id=document.case_id or "",
                )
            )
        return Read(document.message_type, tuple(items))
    if isinstance(document, Camt029):
        return Read(document.message_type, (), (f"{document.assignment_id}: we sent no recall to answer",))
    raise UnreadableMessage(f"{document.message_type}: inbound takes pacs.008, pacs.004 and camt.056")


# ---------------------------------------------------------------- SWIFT MT


def _retn(lines: tuple[str, ...]) -> tuple[str | None, str]:
    text = "".join(lines)
    found = RETN.search(text)
    reference = MREF.search(text)
    code = (found["code"] or found["short"]) if found else None
    return code, (reference["ref"] if reference else "")


def _swift(message: Any, rail: str) -> Read:
    if isinstance(message, MT910):
        code, original = _retn(message.sender_to_receiver_information)
        if code is None:
            raise UnreadableMessage("MT910 without :72:/RETN/: a credit confirmation is for reconciliation")
        return Read(
            "MT910",
            (
                Returned(
                    rail=rail,
                    message_type="MT910",
                    network_id=f"MT910:{message.transaction_reference}:{message.related_reference}",
                    reason_code=code,
                    original_ids=(),
                    amount_minor=_minor(message.amount, message.currency),
                    currency=message.currency,
                    swift_reference=original or message.related_reference,
                ),
            ),
        )
    if not isinstance(message, MT103):
        raise UnreadableMessage(f"{message.message_type}: inbound takes MT103 and MT910 (/RETN/)")
    uetr = message.uetr or ""
    network_id = f"{message.sender_reference}+{uetr}"
    code, original_reference = _retn(message.sender_to_receiver_information)
    amount = _minor(message.amount, message.currency)
    if code is not None:
        return Read(
            "MT103",
            (
                Returned(
                    rail=rail,
                    message_type="MT103 RETN",
                    network_id=network_id,
                    reason_code=code,
                    original_ids=(uetr,) if uetr else (),
                    amount_minor=amount,
                    currency=message.currency,
                    swift_reference=original_reference,
                ),
            ),
        )
    beneficiary, ordering = message.beneficiary_customer, message.ordering_customer
    institution = message.account_with_institution
    transfer = Transfer(
        rail=rail,
        message_type="MT103",
        direction="CREDIT",
        network_id=network_id,
        amount_minor=amount,
        currency=message.currency,
        creditor_account=beneficiary.account or "",
        creditor_name=beneficiary.name or "",
        creditor_agent=(institution.bic if institution and institution.bic else message.receiver_bic) or "",
        debtor_name=ordering.name or "",
        debtor_account=ordering.account or "",
        debtor_agent=message.sender_bic or "",
        remittance_info=" ".join(message.remittance_information),
        value_date=message.value_date,
        uetr=uetr,
        end_to_end_id=message.sender_reference,
        message_id=message.sender_reference,
        original={
            "sender_reference": message.sender_reference,
            "sender_bic": message.sender_bic,
            "uetr": uetr,
            "ordering_account": ordering.account,
            "ordering_name": ordering.name,
        },
    )
    return Read("MT103", (transfer,))


# ---------------------------------------------------------------- Fedwire


def _fedwire(message: Any) -> Read:
    imad = str(message.imad)
    if message.subtype_code in FEDWIRE_REVERSAL_SUBTYPES:
        return Read(
            message.message_type,
            (
                Returned(
                    rail="fedwire",
                    message_type=f"Fedwire reversal {message.type_code}{message.subtype_code}",
                    network_id=imad,
                    reason_code="REVERSAL",
                    original_ids=(str(message.previous_imad),) if message.previous_imad else (),
                    amount_minor=message.amount,
                    currency="USD",
                ),
            ),
        )
    beneficiary, originator = message.beneficiary, message.originator
    transfer = Transfer(
        rail="fedwire",
        message_type=message.message_type,
        direction="CREDIT",
        network_id=imad,
        amount_minor=message.amount,
        currency="USD",
        creditor_account=beneficiary.identifier if beneficiary else "",
        creditor_name=beneficiary.name if beneficiary else "",
        creditor_agent=message.receiver_aba,
        debtor_name=originator.name if originator else "",
        debtor_account=originator.identifier if originator else "",
        debtor_agent=message.sender_aba,
        remittance_info=" ".join(message.originator_to_beneficiary),
        value_date=message.imad.cycle_date,
        end_to_end_id=message.sender_reference,
        message_id=imad,
        original={"imad": imad, "sender_aba": message.sender_aba, "sender_reference": message.sender_reference},
    )
    return Read(message.message_type, (transfer,))


# ---------------------------------------------------------------- NACHA ACH


def _ach(ach_file: Any) -> Read:
    items: list[Item] = []
    skipped: list[str] = []
    for batch in ach_file.batches:
        header = batch.header
        for entry in batch.entries:
            if not isinstance(entry, EntryDetail):
                skipped.append(f"{entry.trace_number}: IAT entries are not taken inbound")
                continue
            item = _ach_entry(header, entry)
            if isinstance(item, str):
                skipped.append(f"{entry.trace_number}: {item}")
            else:
                items.append(item)
    return Read(ach_file.message_type, tuple(items), tuple(skipped))


def _ach_entry(header: Any, entry: EntryDetail) -> Item | str:
    addenda = entry.addenda[0] if entry.addenda else None
    if isinstance(addenda, Addenda99):
        return Returned(
            rail="ach",
            message_type="ACH return",
            network_id=f"R:{entry.trace_number}",
            reason_code=addenda.return_reason_code,
            original_ids=(addenda.original_trace_number,),
            amount_minor=entry.amount,
            currency="USD",
            reference=entry.identification_number.strip(),
        )
    if isinstance(addenda, Addenda98):
        return Changed(
            rail="ach",
            message_type="ACH notification of change",
            network_id=f"C:{entry.trace_number}",
            change_code=addenda.change_code,
            corrected_data=addenda.corrected_data,
            original_ids=(addenda.original_trace_number,),
            reference=entry.identification_number.strip(),
        )
    account_type, side, kind = TRANSACTION_CODES.get(entry.transaction_code, ("", "", ""))
    if kind != "live":
        return f"transaction code {entry.transaction_code} ({kind or 'unknown'}) moves no money"
    if side == "D" and header.standard_entry_class not in DEBIT_SEC_CODES:
        return f"{header.standard_entry_class} debits are not taken"
    return Transfer(
        rail="ach",
        message_type=f"ACH {header.standard_entry_class} {'credit' if side == 'C' else 'debit'}",
        direction="CREDIT" if side == "C" else "DEBIT",
        network_id=entry.trace_number,
        amount_minor=entry.amount,
        currency="USD",
        creditor_account=entry.account_number.strip(),
        creditor_name=entry.receiver_name.strip(),
        creditor_agent=entry.rdfi_routing,
        debtor_name=header.company_name.strip(),
        debtor_account=header.company_identification.strip(),
        debtor_agent=header.odfi_identification,
        remittance_info=header.company_entry_description.strip(),
        value_date=header.effective_entry_date,
        end_to_end_id=entry.identification_number.strip(),
        message_id=entry.trace_number,
        sec_code=header.standard_entry_class,
        original={
            "transaction_code": entry.transaction_code,
            "rdfi_routing": entry.rdfi_routing,
            "account_number": entry.account_number,
            "receiver_name": entry.receiver_name,
            "trace_number": entry.trace_number,
            "identification_number": entry.identification_number,
            "account_type": account_type,
            "company_name": header.company_name,
            "company_identification": header.company_identification,
            "company_entry_description": header.company_entry_description,
            "odfi_identification": header.odfi_identification,
            "sec_code": header.standard_entry_class,
            "service_class_code": header.service_class_code,
        },
    )
