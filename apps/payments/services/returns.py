"""Our payments that come back: returns after settlement, returns before it, and notifications of change.

The inbound side (``apps.inbound``) reads the network's messages (ACH return and COR entries, pacs.004, MT103 or
MT910 with ``:72:/RETN/``, Fedwire reversals), finds the payment they are about and calls one service here:

- ``payment_return``: a SETTLED payment is reversed (a REVERSAL of its capture entry, linked to the payment by
  ``return_transaction_id`` and the entry's ``reverses``) and goes to RETURNED with the network's reason code.
  A payment the network returns before we recorded its settlement (the hold still open) is REJECTED with its hold
  voided. A *partial* return (``amount_minor`` less than the payment, e.g. a pacs.004 whose returned amount is
  less than the original: charges deducted, or part of a batch) reverses only that amount (a partial REVERSAL of
  the capture) and the payment stays SETTLED with ``returned_minor`` counting what came back; the return that
  brings it to the full amount makes it RETURNED. A return for more than what is left is refused
  (``return_exceeds_remaining``), and so is a partial return of a payment not yet settled. One transaction: the
  payment row, then the ledger's accounts, then the audit chain head. A second copy of the same return (same
  ``reply_id``) changes nothing.
- ``payment_apply_change_notice``: an ACH notification of change (C01-C13) corrects the counterparty details the
  payment stores (account number, routing number, name), so the next payment to that counterparty can use them.
  The fee of a returned payment stays posted: it paid for the work the bank did.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from apps.core.db import retry_on_conflict
from apps.core.errors import InvalidInput
from apps.ledger.services import hold_void_in_transaction as hold_void
from apps.ledger.services import post_partial_reversal_in_transaction as post_partial_reversal
from apps.ledger.services import post_reversal_in_transaction as post_reversal

from ..errors import PaymentNotReturnable, ReturnExceedsPayment
from ..locks import lock_payment
from ..models import CounterpartyCorrection, Direction, PaymentMessage, PaymentOrder, Rail
from ..states import HOLDING, PaymentStatus
from .history import Changes

S = PaymentStatus
# A payment the network may still return before our books say it settled: its hold is open.
RETURNABLE_BEFORE_SETTLEMENT = frozenset({S.SUBMITTED, S.ACCEPTED})


@dataclass(frozen=True)
class NetworkNotice:
    """The network's message a return or a notification of change came in (recorded with the payment)."""

    rail: str
    message_type: str
    reply_id: str  # the network's id of this message: a repeat is recognised by it
    body: str = ""


@dataclass(frozen=True)
class ReturnOutcome:
    payment: PaymentOrder
    applied: bool  # False: this notice was recorded before (a repeat), nothing changed now


def _record_notice(payment: PaymentOrder, notice: NetworkNotice, *, kind: str, status: str, reason: str) -> bool:
    """Record the notice with the payment; False when the same notice (rail, reply id) was recorded already."""
    if PaymentMessage.objects.filter(rail=notice.rail, reply_id=notice.reply_id).exists():
        return False
    PaymentMessage.objects.create(
        payment=payment,
        direction=Direction.IN,
        rail=notice.rail,
        message_type=notice.message_type[:40],
        reply_id=notice.reply_id[:80],
        kind=kind,
        status=status[:16],
        reason=reason[:16],
        body=notice.body,
    )
    return True


@retry_on_conflict()
def payment_return(
    *,
    payment_id: str,
    reason_code: str,
    reason: str,
    notice: NetworkNotice,
    actor: str = "system:inbound",
    amount_minor: int | None = None,
    currency: str = "",
) -> ReturnOutcome:
    """Reverse a payment that came back, all of it or ``amount_minor`` of it (see the module docstring); refuse one
    that never left (409), or a return for more than what is left of it (409)."""
    if amount_minor is not None and (not isinstance(amount_minor, int) or amount_minor <= 0):
        raise InvalidInput("a returned amount must be positive", field="amount", code="invalid_amount")
    with transaction.atomic(durable=True):
        payment = lock_payment(public_id=payment_id)
        if not _record_notice(payment, notice, kind="return", status="RETURNED", reason=reason_code):
            return ReturnOutcome(payment, False)
        if currency and currency != payment.currency:
            raise InvalidInput(
                f"the return is in {currency}, payment {payment_id} in {payment.currency}",
                field="currency",
                code="currency_mismatch",
            )
        changes = Changes(payment, actor)
        text = f"{notice.message_type} {reason_code}: {reason}".strip()
        left = payment.amount_minor - payment.returned_minor
        partial = amount_minor is not None and (amount_minor != payment.amount_minor or payment.returned_minor)
        if partial and payment.status in (S.SETTLED, S.RETURNED) and amount_minor > left:
            raise ReturnExceedsPayment(
                f"payment {payment_id}: a return of {amount_minor} is more than the {left} (minor units) not yet "
                f"returned",
                field="amount",
            )
        if payment.status == S.SETTLED and partial:
            reversal = post_partial_reversal(
                transaction_id=payment.capture_transaction_id,
                amount_minor=amount_minor,
                description=f"partial return of payment {payment.public_id} ({reason_code})",
                idempotency_key=f"payment:{payment.public_id}:return:{notice.rail}:{notice.reply_id}"[:200],
                actor=actor,
            )
            payment.return_transaction_id = reversal.entry.public_id
            payment.returned_minor += amount_minor
            payment.reason_code, payment.reason = reason_code[:16], text
            if payment.returned_minor == payment.amount_minor:
                changes.move(
                    S.RETURNED, reason_code=reason_code, reason=f"{text}; the rest returned, {reversal.entry.public_id}"
                )
        elif payment.status == S.SETTLED:
            reversal = post_reversal(
                transaction_id=payment.capture_transaction_id,
                description=f"return of payment {payment.public_id} ({reason_code})",
                idempotency_key=f"payment:{payment.public_id}:return",
                actor=actor,
            )
            payment.return_transaction_id = reversal.entry.public_id
            payment.returned_minor = payment.amount_minor
            payment.reason_code, payment.reason = reason_code[:16], text
            changes.move(S.RETURNED, reason_code=reason_code, reason=f"{text}; reversal {reversal.entry.public_id}")
        elif payment.status in RETURNABLE_BEFORE_SETTLEMENT:
            if partial:
                raise PaymentNotReturnable(
                    f"payment {payment_id} is {payment.status}: only a settled payment can come back in part",
                    field="amount",
                    code="partial_return_before_settlement",
                )
            if payment.hold_id and payment.status in HOLDING:
                hold_void(hold_id=payment.hold_id, actor=actor)
            payment.reason_code, payment.reason = reason_code[:16], text
            changes.move(S.REJECTED, reason_code=reason_code, reason=f"returned before settlement: {text}")
        elif payment.status not in (S.RETURNED, S.REJECTED):
            raise PaymentNotReturnable(
                f"payment {payment_id} is {payment.status}: only a submitted or settled payment can come back",
                field="payment",
            )
        payment.save()
        changes.audit(
            "payments.payment_returned",
            reason_code=reason_code,
            message_type=notice.message_type,
            reply_id=notice.reply_id,
            reversal=payment.return_transaction_id,
            returned_minor=amount_minor if partial else None,
            returned_total_minor=payment.returned_minor,
        )
        return ReturnOutcome(payment, True)


# NACHA's corrected-data layouts (Operating Rules, Appendix Five): which stored detail each change code corrects,
# as (field, start, end) slices of the addenda 98's corrected data.
ACCOUNT, ROUTING, NAME, TRANSACTION_CODE, IDENTIFICATION = "account", "routing", "name", "transaction_code", "id"
CHANGE_LAYOUTS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "C01": ((ACCOUNT, 0, 17),),
    "C02": ((ROUTING, 0, 9),),
    "C03": ((ROUTING, 0, 9), (ACCOUNT, 12, 29)),
    "C04": ((NAME, 0, 22),),
    "C05": ((TRANSACTION_CODE, 0, 2),),
    "C06": ((ACCOUNT, 0, 17), (TRANSACTION_CODE, 20, 22)),
    "C07": ((ROUTING, 0, 9), (ACCOUNT, 9, 26), (TRANSACTION_CODE, 26, 28)),
    "C08": ((IDENTIFICATION, 0, 29),),
    "C09": ((IDENTIFICATION, 0, 22),),
    "C10": ((NAME, 0, 16),),
    "C11": ((IDENTIFICATION, 0, 10),),
    "C12": ((NAME, 0, 16), (IDENTIFICATION, 16, 26)),
    "C13": (),  # addenda format error: nothing stored to correct, the notice is recorded
}


def corrections_of(change_code: str, corrected_data: str) -> dict[str, str]:
    """The corrected values a change code carries, by what they correct (``{"account": "..."}``)."""
    layout = CHANGE_LAYOUTS.get(change_code)
    if layout is None:
        raise PaymentNotReturnable(f"{change_code} is not a NACHA change code C01-C13", field="change_code")
    return {name: corrected_data[start:end].strip() for name, start, end in layout if corrected_data[start:end].strip()}


@retry_on_conflict()
def payment_apply_change_notice(
    *, payment_id: str, change_code: str, corrected_data: str, notice: NetworkNotice, actor: str = "system:inbound"
) -> ReturnOutcome:
    """Correct the stored counterparty details of ``payment_id`` as an ACH NOC says; the status does not change."""
    corrections = corrections_of(change_code, corrected_data)
    with transaction.atomic(durable=True):
        payment = lock_payment(public_id=payment_id)
        if not _record_notice(payment, notice, kind="noc", status="CORRECTED", reason=change_code):
            return ReturnOutcome(payment, False)
        correction = None
        if payment.rail == Rail.ACH and {ACCOUNT, ROUTING, NAME} & set(corrections):
            # Remembered for the next payment to the same routing and account number (NACHA: the originator
            # makes the change before its next entry to the receiver).
            correction = CounterpartyCorrection.objects.create(
                creditor_aba=payment.creditor_aba,
                creditor_identifier=payment.creditor_identifier,
                corrected_aba=corrections.get(ROUTING, ""),
                corrected_identifier=corrections.get(ACCOUNT, ""),
                corrected_name=corrections.get(NAME, ""),
                change_code=change_code,
                payment=payment,
            )
        if ACCOUNT in corrections:
            payment.creditor_identifier = corrections[ACCOUNT]
        if ROUTING in corrections:
            payment.creditor_aba = corrections[ROUTING]
        if NAME in corrections:
            payment.creditor_name = corrections[NAME]
        payment.save()
        changes = Changes(payment, actor)
        # The audit names what changed, never the values (account numbers and names are PII).
        changes.audit(
            "payments.counterparty_corrected",
            change_code=change_code,
            corrected=sorted(corrections),
            reply_id=notice.reply_id,
            correction=correction.public_id if correction else None,
        )
        return ReturnOutcome(payment, True)
