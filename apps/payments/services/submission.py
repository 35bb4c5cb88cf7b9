"""Submission to the networks and their answers, with the short-transaction pattern.

``payment_submit``: (1) lock the payment, mark it SUBMITTING, record the outgoing message, COMMIT; (2) send it
over HTTP with no transaction open; (3) lock it again, look at what happened meanwhile (an answer may have
overtaken us), and record the receipt — or, without a receipt, put it back in QUEUED with a back-off, and in
FAILED after ``QENEX_PAYMENTS_SUBMIT_ATTEMPTS``. Every attempt sends the same message with the same id (UETR,
:20:+UETR, IMAD), so the network de-duplicates a resend after a timeout or a lost worker: exactly once.

``ack_record`` matches each answer to its payment
by the network's de-duplication id, records it once (the network may repeat an answer: one row per reply id),
and moves the payment: accepted -> ACCEPTED; settled -> SETTLED with the hold captured to the rail's
settlement account; rejected -> REJECTED with the hold voided. Answers may come in any order.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Account
from apps.accounts.services import internal_account_get_or_create
from apps.core.db import retry_on_conflict
from apps.core.money import format_amount
from apps.ledger.services import hold_capture_in_transaction as hold_capture
from apps.ledger.services import hold_void_in_transaction as hold_void
from apps.ledger.services import post_fee_in_transaction as post_fee

from .. import business_days, outbound, routing, transport
from ..locks import lock_payment
from ..metrics import PAYMENT_SUBMISSION_SECONDS
from ..models import Direction, PaymentMessage, PaymentOrder
from ..selectors import correspondent_get, payment_for_answer
from ..states import FINAL, HOLDING, PaymentStatus
from .history import Changes
from .orders import enqueue_submission

logger = logging.getLogger(__name__)
S = PaymentStatus
WORKER = "system:payments-worker"

ACCEPTED, SETTLED, REJECTED = "accepted", "settled", "rejected"
# What each answer means for the payment, by the status the network gives it (see apps.payments.sandbox).
EFFECT_OF_STATUS = {
    "ACCP": ACCEPTED,  # pacs.002: accepted by the CSM
    "ACTC": ACCEPTED,
    "DEBITED": ACCEPTED,  # MT900: the correspondent debited our account
    "ACSC": SETTLED,  # pacs.002 / MT199 //ACSC: settled at the beneficiary's bank
    "ACCEPTED": SETTLED,  # Fedwire acknowledgement: a Fedwire transfer is final once accepted
    "RJCT": REJECTED,
    "NAK": REJECTED,
    "REJECTED": REJECTED,
}


@dataclass(frozen=True)
class SubmitOutcome:
    status: str
    retry_in: float | None = None


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("latin-1")


@retry_on_conflict()
def _mark_submitting(payment_id: str) -> tuple[PaymentOrder, outbound.Outbound, outbound.Outbound | None] | None:
    with transaction.atomic(durable=True):
        payment = lock_payment(public_id=payment_id)
        if payment.status != S.QUEUED:
            return None  # cancelled, already submitted by another task, or answered meanwhile
        if transport.url_for(payment.rail) is None:
            return None  # no network configured for the rail here: it waits (beat hands it over once there is one)
        if business_days.is_future_dated(
            rail=payment.rail, currency=payment.currency, value_date=payment.value_date, now=timezone.now()
        ):
            return None  # warehoused until its value date
        message = outbound.build(payment)
        if message is None:
            return None
        cover = outbound.build_cover(payment)
        payment.attempts += 1
        payment.network_key = message.network_key
        payment.cover_network_key = cover.network_key if cover else ""
        changes = Changes(payment, WORKER)
        changes.move(S.SUBMITTING, reason=f"attempt {payment.attempts}")
        if not payment.messages.filter(direction=Direction.OUT).exists():
            for sent in filter(None, (message, cover)):
                PaymentMessage.objects.create(
                    payment=payment,
                    direction=Direction.OUT,
                    rail=payment.rail,
                    message_type=sent.message_type,
                    body=_text(sent.body),
                )
        payment.save()
        changes.audit("payments.payment_submitting", attempt=payment.attempts, network_key=payment.network_key)
        return payment, message, cover


def backoff_seconds(attempt: int) -> float:
    return settings.QENEX_PAYMENTS_RETRY_SECONDS * 2 ** (attempt - 1)


@retry_on_conflict()
def _record_submission(payment_id: str, receipt: transport.Receipt | None, error: str) -> SubmitOutcome:
    with transaction.atomic(durable=True):
        payment = lock_payment(public_id=payment_id)
        changes = Changes(payment, WORKER)
        if receipt is not None:
            payment.network_reference = receipt.network_reference
            if payment.status == S.SUBMITTING:
                seen = " (a resend: the network already had it)" if receipt.duplicate else ""
                changes.move(S.SUBMITTED, reason=f"network reference {receipt.network_reference}{seen}")
            payment.save()
            changes.audit("payments.payment_submitted", network_reference=receipt.network_reference)
            return SubmitOutcome(payment.status)
        if payment.status != S.SUBMITTING:
            return SubmitOutcome(payment.status)  # an answer arrived: the network has it after all
        retry_in = None
        if payment.attempts >= settings.QENEX_PAYMENTS_SUBMIT_ATTEMPTS:
            payment.reason_code, payment.reason = "no_receipt", error[:500]
            changes.move(S.FAILED, reason_code="no_receipt", reason=f"after {payment.attempts} attempts: {error}")
        else:
            retry_in = backoff_seconds(payment.attempts)
            changes.move(S.QUEUED, reason_code="retry", reason=f"{error}; resend in {retry_in:g}s")
        payment.save()
        changes.audit("payments.payment_submission_failed", attempt=payment.attempts, error=error[:500])
        return SubmitOutcome(payment.status, retry_in)


def payment_submit(*, payment_id: str) -> SubmitOutcome:
    """Send a QUEUED payment to its rail's network (see the module docstring); say when to try again, if at all."""
    marked = _mark_submitting(payment_id)
    if marked is None:
        payment = PaymentOrder.objects.only("status").get(public_id=payment_id)
        return SubmitOutcome(payment.status)
    payment, message, cover = marked
    started = time.perf_counter()
    try:
        receipt, error = transport.submit(payment.rail, message.body), ""
        if cover is not None:  # the cover after the customer transfer; a resend repeats both (same ids)
            transport.submit(payment.rail, cover.body)
    except transport.TransportError as exc:
        receipt, error = None, str(exc)
        logger.warning("payment %s: no receipt from %s: %s", payment_id, payment.rail, error)
    outcome = "receipt" if receipt is not None else "no_receipt"
    PAYMENT_SUBMISSION_SECONDS.labels(payment.rail, outcome).observe(time.perf_counter() - started)
    return _record_submission(payment_id, receipt, error)


def settlement_account_for(payment: PaymentOrder) -> Account:
    """Where a payment's hold is captured: the correspondent's nostro, else the rail's account in the currency."""
    if payment.correspondent_bic:
        correspondent = correspondent_get(currency=payment.currency, bic=payment.correspondent_bic)
        if correspondent is not None:
            return correspondent.nostro_account
    return internal_account_get_or_create(
        account_type=routing.SETTLEMENT_ACCOUNT_TYPE[payment.rail], currency=payment.currency
    )


def settle_payment(changes: Changes, reply_id: str) -> None:
    payment = changes.payment
    account = settlement_account_for(payment)
    result = hold_capture(
        hold_id=payment.hold_id,
        to_account=account.public_id,
        amount=format_amount(payment.amount_minor, payment.currency),  # the rest of the hold (the fee) is released
        description=f"payment {payment.public_id} settled on {payment.rail}",
        idempotency_key=f"payment:{payment.public_id}:capture",
        actor=changes.actor,
    )
    payment.capture_transaction_id = result.entry.public_id
    if payment.fee_minor:
        # Same transaction, debtor still locked: the fee uses exactly the part of the hold just released.
        fee = post_fee(
            from_account=payment.debtor_account.public_id,
            amount=format_amount(payment.fee_minor, payment.currency),
            currency=payment.currency,
            description=f"{payment.rail} payment {payment.public_id}",
            metadata={"payment": payment.public_id},
            idempotency_key=f"payment:{payment.public_id}:fee",
            actor=changes.actor,
        )
        payment.fee_transaction_id = fee.entry.public_id
    record_settled(changes, reply_id, account, result.entry.public_id)


def record_settled(changes: Changes, reply_id: str, account: Account, capture_id: str) -> None:
    """The payment's hold was captured to ``account`` (entry ``capture_id``): it is SETTLED."""
    changes.payment.capture_transaction_id = capture_id
    changes.move(S.SETTLED, reason=f"{reply_id}; captured to {account.public_id} ({capture_id})")


def _apply(changes: Changes, effect: str | None, ack: dict[str, Any]) -> None:
    payment, reply_id = changes.payment, ack["reply_id"]
    if effect is None or payment.status in FINAL:
        return  # a return, an answer after the end (duplicate or late): recorded, nothing moves
    if effect == REJECTED:
        if payment.hold_id and payment.status in HOLDING:
            hold_void(hold_id=payment.hold_id, actor=changes.actor)
        code = ack.get("reason") or ack["status"]
        payment.reason_code, payment.reason = code[:16], f"{ack['message_type']} {ack['status']} {code}"
        changes.move(S.REJECTED, reason_code=code, reason=f"{reply_id}: {payment.reason}")
        return
    if payment.status != S.ACCEPTED:
        changes.move(S.ACCEPTED, reason=f"{reply_id}: {ack['message_type']} {ack['status']}")
    if effect == SETTLED:
        settle_payment(changes, reply_id)


@retry_on_conflict()
def ack_record(*, rail: str, ack: dict[str, Any]) -> str:
    """Record one answer of ``rail``'s network and move its payment; return what happened (for logs and tests)."""
    found = payment_for_answer(
        rail=rail, network_key=ack.get("message_id") or "", network_reference=ack.get("network_reference") or ""
    )
    if found is None:
        return "unmatched"
    with transaction.atomic(durable=True):
        payment = lock_payment(public_id=found.public_id)
        if PaymentMessage.objects.filter(rail=rail, reply_id=ack["reply_id"]).exists():
            return "duplicate"
        PaymentMessage.objects.create(
            payment=payment,
            direction=Direction.IN,
            rail=rail,
            message_type=ack["message_type"][:40],
            reply_id=ack["reply_id"],
            kind=ack.get("kind") or "",
            status=(ack.get("status") or "")[:16],
            reason=(ack.get("reason") or "")[:16],
            body=ack.get("body") or "",
        )
        if not payment.network_reference:
            payment.network_reference = ack.get("network_reference", "")
        changes = Changes(payment, WORKER)
        effect = EFFECT_OF_STATUS.get(ack.get("status") or "")
        _apply(changes, effect, ack)
        payment.save()
        changes.audit("payments.answer_recorded", reply_id=ack["reply_id"], answer=ack.get("status"))
        return effect or "recorded"


def payments_requeue_stale(*, now=None) -> int:
    """Hand payments a lost worker left behind to a worker again (SUBMITTING or QUEUED for too long)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.QENEX_PAYMENTS_STALE_SECONDS)
    sendable = [rail for rail in routing.Rail if outbound.has_transport(rail) and transport.url_for(rail)]
    # A warehoused payment (value date still to come on its rail) is not handed over until its day.
    due = Q(value_date__isnull=True)
    for rail in sendable:
        for currency in (
            PaymentOrder.objects.filter(rail=rail, status=S.QUEUED).values_list("currency", flat=True).distinct()
        ):
            due |= Q(
                rail=rail, currency=currency, value_date__lte=business_days.today(rail=rail, currency=currency, now=now)
            )
    stale = list(
        PaymentOrder.objects.filter(status__in=(S.SUBMITTING, S.QUEUED), rail__in=sendable, updated_at__lt=cutoff)
        .filter(due | Q(status=S.SUBMITTING))
        .values_list("public_id", flat=True)[:500]
    )
    for public_id in stale:
        _requeue(public_id)
    return len(stale)


@retry_on_conflict()
def _requeue(public_id: str) -> None:
    with transaction.atomic(durable=True):
        payment = lock_payment(public_id=public_id)
        if payment.status == S.SUBMITTING:
            changes = Changes(payment, WORKER)
            changes.move(S.QUEUED, reason_code="stale", reason="no outcome recorded: the worker was lost")
            payment.save()
            changes.audit("payments.payment_requeued")
        elif payment.status == S.QUEUED:
            payment.save(update_fields=["updated_at"])
        enqueue_submission(payment)


@retry_on_conflict()
def payment_retry_failed(*, payment_id: str, actor: str) -> PaymentOrder:
    """An operator sends a FAILED payment again (same message, same id: the network answers it once)."""
    from ..errors import InvalidPaymentTransition

    with transaction.atomic(durable=True):
        payment = lock_payment(public_id=payment_id)
        if payment.status != S.FAILED:
            raise InvalidPaymentTransition(f"payment {payment_id} is {payment.status}, not FAILED", field="payment")
        payment.attempts = 1  # the count restarts; never 0, since the network may have it (no cancel then)
        payment.ach_file = None  # an ACH entry goes in the next file, with the same trace number
        changes = Changes(payment, actor)
        changes.move(S.QUEUED, reason=f"retried by {actor}")
        payment.save()
        changes.audit("payments.payment_retried")
        enqueue_submission(payment)
    return payment
