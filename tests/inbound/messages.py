"""Inbound messages for tests, built with our own builders as another bank would send them."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime, time
from decimal import Decimal

from django.conf import settings

from apps.payments.formats.fedwire import FedwireMessage, FedwireParty, Imad, build_fedwire_message
from apps.payments.formats.iso20022 import SEPAProtocol
from apps.payments.formats.nacha import (
    AchFile,
    Batch,
    BatchHeader,
    EntryDetail,
    FileHeader,
    build_ach_file,
    make_trace_number,
)
from apps.payments.formats.swift_mt import SWIFTProtocol

_counter = itertools.count(1)
OUR_IBAN = "DE89370400440532013000"
OTHER_IBAN = "DE02120300000000202051"  # valid, but no account of ours has it
SENDER_IBAN = "FR1420041010050500013M02606"
SENDER_ABA = "021000021"
SENDER_ODFI = "02100002"


def pacs008(
    *,
    creditor_iban: str = OUR_IBAN,
    creditor_name: str = "Max Mustermann",
    amount: str = "250.00",
    uetr: str | None = None,
    debtor_name: str = "Pierre Dupont",
) -> tuple[bytes, str]:
    """A SEPA SCT pacs.008 from a French bank to us; returns (xml, uetr)."""
    uetr = uetr or str(uuid.uuid4())
    n = next(_counter)
    message = SEPAProtocol().create_sct_interbank(
        debtor_iban=SENDER_IBAN,
        debtor_name=debtor_name,
        creditor_iban=creditor_iban,
        creditor_name=creditor_name,
        amount=Decimal(amount),
        reference=f"E2E-IN-{n}",
        remittance_info="Invoice 7",
        debtor_bic="BNPAFRPPXXX",
        creditor_bic=settings.QENEX_PAYMENTS_BANK_BIC,
        message_id=f"MSG-IN-{n}-{uetr[:8]}",
        transaction_id=f"TX-IN-{n}",
        uetr=uetr,
    )
    return message.to_xml(), uetr


def mt103(*, account: str, name: str, amount: str = "1200.00", currency: str = "USD") -> bytes:
    n = next(_counter)
    message = SWIFTProtocol().create_mt103(
        sender_bic="CHASUS33XXX",
        receiver_bic=settings.QENEX_PAYMENTS_BANK_BIC,
        sender_account="123456789",
        receiver_account=account,
        amount=Decimal(amount),
        currency=currency,
        reference=f"INREF{n:011d}",
        sender_name="John Doe",
        receiver_name=name,
    )
    return message.to_bytes()


def fedwire_ctr(*, account: str, name: str, amount_cents: int = 5_000_000) -> bytes:
    n = next(_counter)
    message = FedwireMessage(
        type_code="10",
        subtype_code="00",
        imad=Imad(date.today(), "CHASGFT1", f"{n:06d}"),
        amount=amount_cents,
        sender_aba=SENDER_ABA,
        receiver_aba=settings.QENEX_PAYMENTS_BANK_ABA,
        business_function_code="CTR",
        test_production_code="T",
        sender_reference=f"FWREF{n}",
        beneficiary_fi=FedwireParty("F", settings.QENEX_PAYMENTS_BANK_ABA),
        beneficiary=FedwireParty("D", account, name),
        originator=FedwireParty("D", "55501234", "ACME CORP"),
        originator_fi=FedwireParty("F", SENDER_ABA),
    )
    return build_fedwire_message(message)


def ach_file(
    *entries: tuple[int, str, int, str], sec: str = "PPD", service_class: int = 200
) -> tuple[bytes, list[str]]:
    """An ACH file from another bank to us: entries are (transaction code, account, cents, receiver name)."""
    n = next(_counter)
    ours = settings.QENEX_PAYMENTS_BANK_ABA
    traces = [make_trace_number(SENDER_ODFI, n * 100 + i) for i in range(1, len(entries) + 1)]
    details = tuple(
        EntryDetail(
            transaction_code=code,
            rdfi_routing=ours,
            account_number=account,
            amount=cents,
            receiver_name=name,
            trace_number=trace,
            identification_number=f"ID{n}-{i}",
        )
        for i, ((code, account, cents, name), trace) in enumerate(zip(entries, traces, strict=True), start=1)
    )
    header = FileHeader(
        immediate_destination=ours,
        immediate_origin=SENDER_ABA,
        file_creation_date=date.today(),
        file_creation_time=time(10, n % 60),
        file_id_modifier="A",
        immediate_destination_name="QENEX BANK",
        immediate_origin_name="JPMORGAN CHASE",
    )
    batch = BatchHeader(
        service_class_code=service_class,
        company_name="ACME UTILITIES",
        company_identification="1234567890",
        standard_entry_class=sec,
        company_entry_description="PAYMENT",
        effective_entry_date=date.today(),
        odfi_identification=SENDER_ODFI,
        batch_number=1,
    )
    return build_ach_file(AchFile(header, (Batch(batch, details),))), traces


def now() -> datetime:
    return datetime.now()


def outbound_ach_entry(payment, trace: str) -> EntryDetail:
    """The entry our ACH batch sends for ``payment`` (the lead's batch builder, not on main yet, will build it)."""
    return EntryDetail(
        transaction_code=22,
        rdfi_routing=payment.creditor_aba,
        account_number=payment.creditor_identifier,
        amount=payment.amount_minor,
        receiver_name=payment.creditor_name[:22],
        trace_number=trace,
        identification_number=payment.reference[:15],
    )


def ach_answer_file(*entries: EntryDetail) -> bytes:
    """A file from the receiving bank back to us holding return (addenda 99) or COR (addenda 98) entries."""
    n = next(_counter)
    ours = settings.QENEX_PAYMENTS_BANK_ABA
    sec = "COR" if entries[0].amount == 0 else "PPD"
    header = FileHeader(
        immediate_destination=ours,
        immediate_origin=SENDER_ABA,
        file_creation_date=date.today(),
        file_creation_time=time(11, n % 60),
        file_id_modifier="B",
    )
    batch = BatchHeader(
        service_class_code=200,
        company_name="QENEX BANK",
        company_identification="1121000248",
        standard_entry_class=sec,
        company_entry_description="RETURN" if sec == "PPD" else "NOC",
        effective_entry_date=date.today(),
        odfi_identification=SENDER_ODFI,
        batch_number=1,
    )
    return build_ach_file(AchFile(header, (Batch(batch, entries),)))


def camt056(*, uetr: str, end_to_end_id: str = "", message_id: str = "", reason: str = "DUPL") -> bytes:
    """The sending bank's recall (camt.056) of a payment it sent us."""
    from apps.payments.formats.iso20022 import Agent, Camt056, RecalledTransaction

    n = next(_counter)
    return Camt056(
        assignment_id=f"RCL-{n}",
        created=datetime.now().astimezone().replace(microsecond=0),
        assigner=Agent(bic="BNPAFRPPXXX"),
        assignee=Agent(bic=settings.QENEX_PAYMENTS_BANK_BIC),
        case_id=f"CASE-{n}",
        transactions=(
            RecalledTransaction(
                cancellation_id=f"CXL-{n}",
                original_message_id=message_id or None,
                original_end_to_end_id=end_to_end_id or None,
                original_uetr=uetr,
                reason_code=reason,
            ),
        ),
    ).to_xml()
