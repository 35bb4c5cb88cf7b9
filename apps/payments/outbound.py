"""Build the message a payment travels as, with the formats package, and the id the network de-duplicates on.

Every id comes from the payment itself (UETR, public id), so building twice gives the same ids: a resend after
a timeout or a worker crash is the same message to the network, which answers it once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC

from django.conf import settings

from apps.core.money import from_minor_units
from apps.payments.formats.errors import MessageValidationError
from apps.payments.formats.fedwire import FedwireMessage, FedwireParty, Imad, build_fedwire_message
from apps.payments.formats.iso20022 import (
    AppHdr,
    BusinessMessage,
    Pacs008,
    Pacs009,
    Pacs009Transaction,
    SEPAProtocol,
    build_business_message,
)
from apps.payments.formats.iso20022.common import Agent
from apps.payments.formats.iso20022.pacs009 import UnderlyingCustomerCreditTransfer as IsoUnderlying
from apps.payments.formats.mapping import mt103_to_pacs008
from apps.payments.formats.swift_mt import MT103 as MT103Message
from apps.payments.formats.swift_mt import MT202COV, Institution, SWIFTProtocol, build_message, make_envelope
from apps.payments.formats.swift_mt import UnderlyingCustomerCreditTransfer as SwiftUnderlying

from .errors import InvalidMessageField
from .models import PaymentOrder, Rail
from .routing import MT103, PACS008

PACS009 = "pacs.009"

# Which request field each message field comes from, so a refusal names what the client sent.
_FIELD_OF = {
    "debtor_iban": "sender.iban",
    "debtor_name": "sender.name",
    "creditor_iban": "receiver.iban",
    "creditor_name": "receiver.name",
    "remittance_info": "remittance_info",
    ":50K:": "sender.name",
    ":59:": "receiver.name",
    ":70:": "remittance_info",
    "sender_bic": "sender.bic",
    "receiver_bic": "receiver.bic",
    ":32A:": "amount",
    "{4200}.name": "receiver.name",
    "{4200}.address": "receiver.address",
    "{4200}": "receiver.account",
    "{4320}": "reference",
    "{5000}.name": "sender.name",
    "{5000}.address": "sender.address",
    "{5000}": "sender.account",
    "{6000}": "remittance_info",
}
FEDWIRE_SOURCE = "QNXGFT01"  # our input source (LTERM) in the IMAD


@dataclass(frozen=True)
class Outbound:
    message_type: str
    body: bytes
    network_key: str  # what the network de-duplicates on (and quotes in its answers as message_id)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line for line in text.splitlines() if line.strip())


def _reference_20(payment: PaymentOrder) -> str:
    return payment.uetr.hex[:16].upper()


def _value_date(payment: PaymentOrder):
    return payment.value_date or payment.requested_execution_date or payment.created_at.astimezone(UTC).date()


def _sepa_id(payment: PaymentOrder) -> str:
    return payment.public_id.replace("_", "-")  # the EPC character set has no underscore


def _sepa(payment: PaymentOrder) -> Outbound:
    protocol = SEPAProtocol()
    create = protocol.create_sct_inst if payment.rail == Rail.SEPA_INST else protocol.create_sct_interbank
    message = create(
        debtor_iban=payment.debtor_identifier,
        debtor_name=payment.debtor_name,
        creditor_iban=payment.creditor_identifier,
        creditor_name=payment.creditor_name,
        amount=from_minor_units(payment.amount_minor, payment.currency),
        reference=payment.reference,
        remittance_info=payment.remittance_info or None,
        debtor_bic=payment.debtor_bic or None,
        creditor_bic=payment.creditor_bic or None,
        settlement_date=_value_date(payment),
        message_id=_sepa_id(payment),
        transaction_id=_sepa_id(payment),
        uetr=str(payment.uetr),
    )
    return Outbound("pacs.008", message.to_xml(), str(payment.uetr))


def _mt103(payment: PaymentOrder):
    return SWIFTProtocol().create_mt103(
        sender_bic=payment.debtor_bic or settings.QENEX_PAYMENTS_BANK_BIC,
        receiver_bic=payment.creditor_bic,
        sender_account=payment.debtor_identifier,
        receiver_account=payment.creditor_identifier,
        amount=from_minor_units(payment.amount_minor, payment.currency),
        currency=payment.currency,
        reference=_reference_20(payment),
        remittance_info=payment.remittance_info or payment.reference,
        sender_name=payment.debtor_name,
        receiver_name=payment.creditor_name,
        sender_address=_lines(payment.debtor_address),
        receiver_address=_lines(payment.creditor_address),
        value_date=_value_date(payment),
        charges=payment.charges,
        uetr=str(payment.uetr),
    )


def _cover_reference(payment: PaymentOrder) -> str:
    return f"{payment.uetr.hex[:15].upper()}C"  # its own :20:, quoting the MT103's in :21:


def _with_cover_route(mt103: MT103Message, payment: PaymentOrder) -> MT103Message:
    """The MT103 of a cover payment names our correspondent in :53A:, where the beneficiary's bank gets the funds."""
    if not payment.cover:
        return mt103
    message = dataclasses.replace(mt103, senders_correspondent=Institution("A", bic=payment.correspondent_bic))
    build_message(message)  # re-validate with the field set
    return message


def build_cover(payment: PaymentOrder) -> Outbound | None:
    """The cover to our correspondent that moves the funds of a cover payment: an MT202 COV with an MT103, a
    pacs.009 COV with a CBPR+ pacs.008; None for any other payment."""
    if payment.rail != Rail.SWIFT or not payment.cover:
        return None
    if payment.message_format != MT103:
        return _pacs009_cover(payment)
    mt103 = _mt103(payment)
    reference = _cover_reference(payment)
    cover = MT202COV(
        header=make_envelope(
            "202",
            sender_bic=mt103.sender_bic,
            receiver_bic=payment.correspondent_bic,
            uetr=str(payment.uetr),
            validation_flag="COV",
        ),
        transaction_reference=reference,
        related_reference=mt103.sender_reference,
        value_date=mt103.value_date,
        currency=mt103.currency,
        amount=mt103.amount,
        beneficiary_institution=Institution("A", bic=payment.creditor_bic),
        underlying=SwiftUnderlying(
            ordering_customer=mt103.ordering_customer,
            beneficiary_customer=mt103.beneficiary_customer,
            remittance_information=mt103.remittance_information,
        ),
    )
    try:
        body = cover.to_bytes()
    except MessageValidationError as exc:
        first = exc.errors[0]
        raise InvalidMessageField(f"MT202COV: {first.field}: {first.reason}", field=first.field) from None
    return Outbound("MT202COV", body, f"{reference}+{payment.uetr}")


def _cbpr_pacs008(payment: PaymentOrder) -> Pacs008:
    """The CBPR+ pacs.008 of a SWIFT payment; for a cover payment settled COVE, naming our correspondent as the
    instructing reimbursement agent (where the beneficiary's bank gets the funds, as :53A: in the MT103)."""
    mt103 = _mt103(payment)
    document = mt103_to_pacs008(
        mt103, message_id=_sepa_id(payment), created=payment.created_at, end_to_end_id=payment.reference
    ).message
    if payment.cover:
        return dataclasses.replace(
            document, settlement_method="COVE", instructing_reimbursement_agent=Agent(bic=payment.correspondent_bic)
        )
    return dataclasses.replace(document, settlement_method="INDA", clearing_system=None)  # over our account with them


def _enveloped(document: Pacs008 | Pacs009, *, sender: str, receiver: str, message_id: str, created) -> bytes:
    header = AppHdr(
        sender=Agent(bic=sender),
        receiver=Agent(bic=receiver),
        business_message_id=message_id,
        message_definition_id=document.message_type,
        created=created,
    )
    return build_business_message(BusinessMessage(header=header, document=document))


def _pacs009_cover(payment: PaymentOrder) -> Outbound:
    """The pacs.009 COV to our correspondent: the funds of the pacs.008, with the customer transfer it covers."""
    customer = _cbpr_pacs008(payment)
    tx = customer.transactions[0]
    message_id = f"{_sepa_id(payment)}-COV"[-35:]
    ours = Agent(bic=tx.instructing_agent.bic)
    cover = Pacs009(
        message_id=message_id,
        created=payment.created_at,
        settlement_method="INDA",  # the correspondent debits our nostro with it
        transactions=(
            Pacs009Transaction(
                instruction_id=_cover_reference(payment),
                end_to_end_id=tx.end_to_end_id,
                uetr=tx.uetr,  # the cover quotes the customer transfer's UETR
                amount=tx.amount,
                currency=tx.currency,
                settlement_date=tx.settlement_date,
                instructing_agent=ours,
                instructed_agent=Agent(bic=payment.correspondent_bic),
                debtor=ours,
                creditor=tx.creditor_agent,  # the beneficiary's bank, as :58A: of an MT202 COV
                underlying=IsoUnderlying(
                    debtor=tx.debtor,
                    debtor_account=tx.debtor_account,
                    debtor_agent=tx.debtor_agent,
                    creditor_agent=tx.creditor_agent,
                    creditor=tx.creditor,
                    creditor_account=tx.creditor_account,
                    remittance_info=tx.remittance_info,
                ),
            ),
        ),
    )
    body = _enveloped(
        cover, sender=ours.bic, receiver=payment.correspondent_bic, message_id=message_id, created=payment.created_at
    )
    return Outbound(PACS009, body, f"MsgId:{message_id}")


def _swift(payment: PaymentOrder) -> Outbound:
    if payment.message_format == MT103:
        mt103 = _with_cover_route(_mt103(payment), payment)
        return Outbound("MT103", mt103.to_bytes(), f"{_reference_20(payment)}+{payment.uetr}")
    document = _cbpr_pacs008(payment)
    tx = document.transactions[0]
    body = _enveloped(
        document,
        sender=tx.instructing_agent.bic,
        receiver=tx.instructed_agent.bic,
        message_id=_sepa_id(payment),
        created=payment.created_at,
    )
    return Outbound(PACS008, body, str(payment.uetr))


def _fedwire(payment: PaymentOrder) -> Outbound:
    imad = Imad(_value_date(payment), FEDWIRE_SOURCE, f"{(payment.pk or 0) % 1_000_000:06d}")
    message = FedwireMessage(
        type_code="10",
        subtype_code="00",
        imad=imad,
        amount=payment.amount_minor,
        sender_aba=settings.QENEX_PAYMENTS_BANK_ABA,
        receiver_aba=payment.creditor_aba,
        business_function_code="CTR",
        user_request_correlation=payment.uetr.hex[:8].upper(),
        test_production_code="T" if settings.QENEX_ENV != "production" else "P",
        sender_reference=_reference_20(payment),
        beneficiary_fi=FedwireParty("F", payment.creditor_aba),
        # Names, addresses and the reference go as given: the builder refuses what Fedwire cannot carry (never cut).
        beneficiary=FedwireParty(
            "D", payment.creditor_identifier, payment.creditor_name, _lines(payment.creditor_address)
        ),
        beneficiary_reference=payment.reference,
        originator=FedwireParty("D", payment.debtor_identifier, payment.debtor_name, _lines(payment.debtor_address)),
        originator_fi=FedwireParty("F", settings.QENEX_PAYMENTS_BANK_ABA),
        originator_to_beneficiary=_lines(payment.remittance_info),
    )
    return Outbound("FAIM", build_fedwire_message(message), str(imad))


BUILDERS = {Rail.SEPA: _sepa, Rail.SEPA_INST: _sepa, Rail.SWIFT: _swift, Rail.FEDWIRE: _fedwire}


def has_transport(rail: str) -> bool:
    """ACH goes out in batch files per cut-off window (not built yet); the other rails message by message."""
    return rail in BUILDERS


def build(payment: PaymentOrder) -> Outbound | None:
    """Return the message for ``payment``; raise InvalidMessageField naming the request field the format refuses."""
    builder = BUILDERS.get(payment.rail)
    if builder is None:
        return None
    try:
        return builder(payment)
    except MessageValidationError as exc:
        first = exc.errors[0]
        field = _FIELD_OF.get(first.field, first.field)
        raise InvalidMessageField(f"{exc.message_type}: {first.field}: {first.reason}", field=field) from None
