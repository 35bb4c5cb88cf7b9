"""Build the message that sends an inbound payment back to its sender, per rail (no database here).

- SEPA / CBPR+ (pacs.008 in): a pacs.004 quoting the original MsgId, end-to-end id and UETR, with an ISO reason.
- SWIFT MT103 in: an MT103 back to the sending bank, ``:72:/RETN/59/<reason>//MREF/<original :20:>``.
- Fedwire in: a reversal (type/subtype 1002) quoting the original IMAD in {3500}.
- ACH in (credit or a debit we refuse): a return file with the return entry (addenda 99) quoting the trace.

Every id in the message comes from the inbound payment, so a resend is the same message: the network answers once.
The deadlines are each rail's: SEPA 3 TARGET days (the EPC rulebook's return window for the beneficiary bank),
ACH 2 banking days (NACHA's return deadline for R01-R04), SWIFT and Fedwire 1 business day (no scheme window;
the correspondent expects a prompt return), counted from the day the payment reached us.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings

from apps.core.money import from_minor_units
from apps.payments import business_days
from apps.payments.formats.fedwire import FedwireMessage, FedwireParty, Imad, build_fedwire_message
from apps.payments.formats.iso20022 import Pacs004, StatusReason
from apps.payments.formats.iso20022.common import Agent
from apps.payments.formats.iso20022.pacs004 import ReturnedTransaction, build_pacs004
from apps.payments.formats.nacha import (
    AchFile,
    Batch,
    BatchHeader,
    EntryDetail,
    FileHeader,
    aba_check_digit,
    build_ach_file,
    return_entry_for,
)
from apps.payments.formats.swift_mt import SWIFTProtocol

from .models import ExceptionReason, InboundPayment

_MODIFIERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
RETURN_DAYS = {"sepa": 3, "sepa_inst": 3, "ach": 2, "swift": 1, "fedwire": 1}

# Why we send it back, in each rail's words (ISO external return reasons; NACHA return reason codes).
ISO_REASON = {
    ExceptionReason.UNKNOWN_BENEFICIARY: "AC01",  # incorrect account number
    ExceptionReason.ACCOUNT_NOT_ACTIVE: "AC04",  # closed account (AC06 blocked is told apart below)
    ExceptionReason.CURRENCY_MISMATCH: "AM03",  # not allowed currency
    ExceptionReason.NAME_MISMATCH: "BE01",  # inconsistent with end customer
    ExceptionReason.HELD_BY_CHECK: "RR04",  # regulatory reason
}
ACH_REASON = {
    ExceptionReason.UNKNOWN_BENEFICIARY: "R03",
    ExceptionReason.ACCOUNT_NOT_ACTIVE: "R02",
    ExceptionReason.CURRENCY_MISMATCH: "R20",
    ExceptionReason.NAME_MISMATCH: "R03",  # NACHA: the name does not match the account number
    ExceptionReason.HELD_BY_CHECK: "R16",
}
OPERATOR_ISO_REASON, OPERATOR_ACH_REASON = "MS03", "R23"  # an operator's return: reason not specified / refused


@dataclass(frozen=True)
class ReturnMessage:
    message_type: str
    body: bytes


def return_by(*, rail: str, currency: str, received: datetime) -> date:
    """The last business day to send the payment back."""
    calendar = business_days.calendar_for(rail, currency)
    day = business_days.next_business_day(received.astimezone(UTC).date(), calendar)
    for _ in range(RETURN_DAYS.get(rail, 1)):
        day = business_days.next_business_day(day + timedelta(days=1), calendar)
    return day


def reason_code_for(rail: str, reason: str, *, frozen: bool = False) -> str:
    if rail == "ach":
        return ACH_REASON.get(reason, OPERATOR_ACH_REASON)
    if reason == ExceptionReason.ACCOUNT_NOT_ACTIVE and frozen:
        return "AC06"
    return ISO_REASON.get(reason, OPERATOR_ISO_REASON)


RETURNS_SOURCE = "QNXGFT02"  # our Fedwire input source for returns: IMADs apart from outbound payments' QNXGFT01


def _return_uetr(inbound: InboundPayment) -> str:
    """The return's own UETR (gpi: a return is a new payment), derived from the inbound id: a resend is the same."""
    digest = hashlib.sha256(f"return:{inbound.public_id}".encode()).digest()[:16]
    return str(uuid.UUID(bytes=digest, version=4))


def _id(inbound: InboundPayment) -> str:
    return inbound.public_id.replace("_", "-")  # the EPC and SWIFT character sets have no underscore


def build_return(inbound: InboundPayment, reason_code: str, *, now: datetime) -> ReturnMessage:
    if inbound.rail == "ach":
        return ReturnMessage("ACH return file", _ach(inbound, reason_code, now))
    if inbound.rail == "fedwire":
        return ReturnMessage("Fedwire reversal", _fedwire(inbound, now))
    if inbound.message_type == "MT103":
        return ReturnMessage("MT103 RETN", _mt103(inbound, reason_code, now))
    return ReturnMessage("pacs.004", _pacs004(inbound, reason_code, now))


def _pacs004(inbound: InboundPayment, reason_code: str, now: datetime) -> bytes:
    original = inbound.original
    amount = from_minor_units(inbound.amount_minor, inbound.currency)
    debtor_bic = original.get("debtor_bic")
    message = Pacs004(
        message_id=_id(inbound),
        created=now.replace(microsecond=0),
        settlement_date=now.date(),
        instructing_agent=Agent(bic=settings.QENEX_PAYMENTS_BANK_BIC),
        instructed_agent=Agent(bic=debtor_bic) if debtor_bic else None,
        transactions=(
            ReturnedTransaction(
                return_id=_id(inbound),
                returned_amount=amount,
                returned_currency=inbound.currency,
                original_message_id=original.get("message_id"),
                original_message_name_id=original.get("message_name_id") or "pacs.008.001.08",
                original_instruction_id=original.get("instruction_id"),
                original_end_to_end_id=original.get("end_to_end_id"),
                original_transaction_id=original.get("transaction_id"),
                original_uetr=original.get("uetr"),
                original_amount=amount,
                original_currency=inbound.currency,
                original_settlement_date=inbound.value_date,
                charge_bearer="SLEV" if inbound.rail in ("sepa", "sepa_inst") else "SHAR",
                reasons=(StatusReason(code=reason_code),),
            ),
        ),
    )
    return build_pacs004(message)


def _mt103(inbound: InboundPayment, reason_code: str, now: datetime) -> bytes:
    original = inbound.original
    mt103 = SWIFTProtocol().create_mt103(
        sender_bic=settings.QENEX_PAYMENTS_BANK_BIC,
        receiver_bic=original.get("sender_bic") or inbound.debtor_agent,
        sender_account=inbound.creditor_account or "NOTPROVIDED",
        receiver_account=inbound.debtor_account or "NOTPROVIDED",
        amount=from_minor_units(inbound.amount_minor, inbound.currency),
        currency=inbound.currency,
        reference=inbound.public_id.replace("_", "")[-16:].upper(),
        sender_name=inbound.creditor_name or None,
        receiver_name=inbound.debtor_name or None,
        value_date=now.date(),
        uetr=_return_uetr(inbound),
        transliterate=True,
    )
    retn = ("/RETN/59", f"/{reason_code}/", f"/MREF/{original.get('sender_reference', '')[:16]}")
    return dataclasses.replace(mt103, sender_to_receiver_information=retn).to_bytes()


def _fedwire(inbound: InboundPayment, now: datetime) -> bytes:
    original = inbound.original
    message = FedwireMessage(
        type_code="10",
        subtype_code="02",
        imad=Imad(now.date(), RETURNS_SOURCE, f"{(inbound.pk or 0) % 1_000_000:06d}"),
        amount=inbound.amount_minor,
        sender_aba=settings.QENEX_PAYMENTS_BANK_ABA,
        receiver_aba=original.get("sender_aba") or inbound.debtor_agent,
        business_function_code="CTR",
        test_production_code="T" if settings.QENEX_ENV != "production" else "P",
        sender_reference=inbound.public_id.replace("_", "")[-16:].upper(),
        previous_imad=original.get("imad", ""),
        beneficiary_fi=FedwireParty("F", original.get("sender_aba") or inbound.debtor_agent),
        beneficiary=FedwireParty("D", inbound.debtor_account or "NOTPROVIDED", inbound.debtor_name[:35]),
        originator=FedwireParty("D", inbound.creditor_account or "NOTPROVIDED", inbound.creditor_name[:35]),
        originator_fi=FedwireParty("F", settings.QENEX_PAYMENTS_BANK_ABA),
    )
    return build_fedwire_message(message)


def _ach(inbound: InboundPayment, reason_code: str, now: datetime) -> bytes:
    original = inbound.original
    ours = settings.QENEX_PAYMENTS_BANK_ABA
    entry = EntryDetail(
        transaction_code=int(original["transaction_code"]),
        rdfi_routing=original["rdfi_routing"],
        account_number=original["account_number"],
        amount=inbound.amount_minor,
        receiver_name=original["receiver_name"],
        trace_number=original["trace_number"],
        identification_number=original.get("identification_number", ""),
    )
    odfi = original["odfi_identification"]
    header = FileHeader(
        immediate_destination=f"{odfi}{aba_check_digit(odfi)}",
        immediate_origin=ours,
        file_creation_date=now.date(),
        file_creation_time=now.time().replace(second=0, microsecond=0),
        file_id_modifier=_MODIFIERS[(inbound.pk or 0) % len(_MODIFIERS)],  # files of one minute differ
        immediate_destination_name="ORIGINATING BANK",
        immediate_origin_name="QENEX BANK",
        reference_code=inbound.public_id[-8:].upper(),
    )
    batch_header = BatchHeader(
        service_class_code=int(original.get("service_class_code") or 200),
        company_name=original["company_name"],
        company_identification=original["company_identification"],
        standard_entry_class=original["sec_code"],
        company_entry_description=original["company_entry_description"],
        effective_entry_date=business_days.banking_day_after(now, business_days.FED),  # settles the next day
        odfi_identification=ours[:8],
        batch_number=1,
    )
    returned = return_entry_for(
        entry,
        return_reason_code=reason_code,
        returning_dfi_identification=ours[:8],
        sequence=(inbound.pk or 1) % 10_000_000,
    )
    return build_ach_file(AchFile(header, (Batch(batch_header, (returned,)),)))
