"""The seed's ``payment_gateway``: hand it a message built with our protocols and it becomes a payment order.

    from apps.payments.formats.swift_mt import SWIFTProtocol
    from apps.payments.gateway import payment_gateway

    mt103 = SWIFTProtocol().create_mt103(sender_bic="CHASUS33XXX", ..., sender_account="123456789", ...)
    result = await payment_gateway.send_swift_message(mt103)       # PaymentResult(payment_id=..., rail="swift")
    result = await payment_gateway.process_sepa_transfer(sct)       # sct from SEPAProtocol().create_sct(...)

The message supplies the parties, amount and reference; the payment then goes the way every payment goes
(validation, routing, checks, hold, submission by a worker). The debtor's QENEX account is the one its account
number or IBAN was registered for (``manage.py register_account_alias``), or ``debtor_account=`` given here.
Django must be set up (``FinancialKernel.initialize()`` does it); calls run in Django's thread-sensitive executor.
"""

from __future__ import annotations

from dataclasses import dataclass

from asgiref.sync import sync_to_async

from apps.accounts.errors import AccountNotFound
from apps.core.errors import InvalidInput

from . import selectors, services
from .formats.iso20022 import Pain001
from .formats.swift_mt import MT103
from .request import Party, PaymentRequest

_CHARGES = {"SHA": "SHA", "OUR": "OUR", "BEN": "BEN"}


@dataclass(frozen=True)
class PaymentResult:
    payment_id: str
    uetr: str
    rail: str
    status: str
    routing_reasons: tuple[str, ...]
    replayed: bool = False


def _debtor(identifier: str, given: str | None) -> str:
    if given:
        return given
    resolved = selectors.account_alias_resolve(identifier=identifier)
    if resolved is None:
        raise AccountNotFound(f"no QENEX account is registered for {identifier}", field="sender.account")
    return resolved


def _send(request: PaymentRequest, debtor: str, idempotency_key: str | None, actor: str) -> PaymentResult:
    result = services.payment_send(request=request, debtor_account=debtor, idempotency_key=idempotency_key, actor=actor)
    payment = result.payment
    return PaymentResult(
        payment.public_id,
        str(payment.uetr),
        payment.rail,
        payment.status,
        tuple(payment.routing_reasons),
        result.replayed,
    )


def _mt103_request(mt103: MT103) -> PaymentRequest:
    ordering, beneficiary = mt103.ordering_customer, mt103.beneficiary_customer
    ordering_lines, beneficiary_lines = tuple(ordering.name_address), tuple(beneficiary.name_address)
    return PaymentRequest(
        sender=Party(
            name=ordering_lines[0] if ordering_lines else "",
            bic=mt103.sender_bic,
            account=ordering.account or "",
            address=ordering_lines[1:],
        ),
        receiver=Party(
            name=beneficiary_lines[0] if beneficiary_lines else "",
            bic=mt103.receiver_bic,
            account=beneficiary.account or "",
            address=beneficiary_lines[1:],
        ),
        amount=mt103.amount,
        currency=mt103.currency,
        reference=mt103.sender_reference,
        speed="standard",
        charges=_CHARGES.get(mt103.details_of_charges, "SHA"),
        remittance_info=" ".join(mt103.remittance_information),
    )


def _sct_request(sct: Pain001) -> tuple[PaymentRequest, str]:
    if len(sct.transactions) != 1:
        raise InvalidInput("process_sepa_transfer takes a pain.001 with one transaction", field="transactions")
    info, tx = sct.payment_infos[0], sct.transactions[0]
    debtor_iban = info.debtor_account.iban or ""
    request = PaymentRequest(
        sender=Party(
            name=info.debtor.name or "",
            iban=debtor_iban,
            account=debtor_iban,
            bic=(info.debtor_agent.bic or "") if info.debtor_agent else "",
        ),
        receiver=Party(
            name=(tx.creditor.name if tx.creditor else "") or "",
            iban=(tx.creditor_account.iban if tx.creditor_account else "") or "",
            bic=(tx.creditor_agent.bic if tx.creditor_agent else "") or "",
        ),
        amount=tx.amount,
        currency=tx.currency,
        reference=tx.end_to_end_id,
        speed="instant" if (tx.local_instrument or info.local_instrument) == "INST" else "standard",
        remittance_info=" ".join(tx.remittance_info),
    )
    return request, debtor_iban


class PaymentGateway:
    async def send_swift_message(
        self,
        mt103: MT103,
        *,
        debtor_account: str | None = None,
        idempotency_key: str | None = None,
        actor: str = "sdk",
    ) -> PaymentResult:
        """Create a payment order from an MT103 (routed like any payment: SWIFT for the seed's example)."""

        def run() -> PaymentResult:
            request = _mt103_request(mt103)
            return _send(request, _debtor(request.sender.account, debtor_account), idempotency_key, actor)

        return await sync_to_async(run, thread_sensitive=True)()

    async def process_sepa_transfer(
        self,
        sct: Pain001,
        *,
        debtor_account: str | None = None,
        idempotency_key: str | None = None,
        actor: str = "sdk",
    ) -> PaymentResult:
        """Create a payment order from a pain.001 credit transfer initiation (SCT, or SCT Inst for INST)."""

        def run() -> PaymentResult:
            request, debtor_iban = _sct_request(sct)
            return _send(request, _debtor(debtor_iban, debtor_account), idempotency_key, actor)

        return await sync_to_async(run, thread_sensitive=True)()


payment_gateway = PaymentGateway()
