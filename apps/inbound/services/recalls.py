"""Recall requests (camt.056) for payments we received, answered with camt.029.

The decision, per recalled transaction:
- no such payment of ours -> RJCR NOOR (no original transaction received);
- already returned -> RJCR ARDT (already returned);
- still in SUSPENSE (nobody applied it) -> returned to the sender at once with a pacs.004, reason FOCR (following
  cancellation request), and CNCL;
- credited to a customer -> RJCR CUST: a recall of credited funds needs the customer's consent, which QENEX does
  not collect yet (an operator can still return it by hand).

The camt.029 is built once and sent after commit like a return (short transactions; a resend is the same message).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.db import retry_on_conflict
from apps.payments import transport
from apps.payments.formats.iso20022 import Agent, Camt029, CancellationStatus, build_camt029

from .. import messages
from ..models import ExceptionStatus, InboundPayment, InboundStatus, RecallDecision, RecallRequest, ReturnStatus
from .exceptions import exception_return
from .receive import ItemResult

logger = logging.getLogger(__name__)
FOLLOWING_CANCELLATION = "FOCR"


def _original(item: messages.Recall) -> InboundPayment | None:
    rails = ("sepa", "sepa_inst") if item.rail in ("sepa", "sepa_inst") else (item.rail,)
    return InboundPayment.objects.filter(rail__in=rails, network_id__in=item.original_ids).first()


def _decide(inbound: InboundPayment | None, actor: str) -> tuple[str, str]:
    if inbound is None:
        return RecallDecision.REJECTED, "NOOR"
    if inbound.status == InboundStatus.RETURNED:
        return RecallDecision.REJECTED, "ARDT"
    exception = getattr(inbound, "exception", None)
    if inbound.status == InboundStatus.IN_SUSPENSE and exception and exception.status == ExceptionStatus.OPEN:
        exception_return(
            exception_id=exception.public_id,
            actor=actor,
            reason_code=FOLLOWING_CANCELLATION,
            note="returned following the sender's recall (camt.056)",
        )
        return RecallDecision.CANCELLED, ""
    return RecallDecision.REJECTED, "CUST"


def _answer(item: messages.Recall, recall_id: str, decision: str, reason: str) -> bytes:
    ours = Agent(bic=settings.QENEX_PAYMENTS_BANK_BIC)
    answer = Camt029(
        assignment_id=recall_id.replace("_", "-"),
        created=timezone.now().replace(microsecond=0),
        assigner=ours,
        assignee=Agent(bic=item.assigner_bic) if item.assigner_bic else ours,
        confirmation=decision,
        case_id=item.case_id or None,
        transactions=(
            CancellationStatus(
                status="ACCR" if decision == RecallDecision.CANCELLED else "RJCR",
                original_message_id=item.original_message_id or None,
                original_end_to_end_id=item.original_end_to_end_id or None,
                original_transaction_id=item.original_transaction_id or None,
                original_uetr=item.original_uetr or None,
                reason_code=reason or None,
            ),
        ),
    )
    return build_camt029(answer)


def recall_receive(*, item: messages.Recall, body: str, source: str, actor: str) -> ItemResult:
    """Decide on one recalled transaction, record the request and our camt.029, send it after commit."""
    existing = RecallRequest.objects.filter(rail=item.rail, network_id=item.network_id).first()
    if existing is not None:
        return ItemResult("recall", item.network_id, "duplicate", inbound=existing.inbound, detail=existing.decision)
    inbound = _original(item)
    decision, reason = _decide(inbound, actor)
    try:
        with transaction.atomic(durable=True):
            recall = RecallRequest(
                rail=item.rail,
                network_id=item.network_id[:120],
                inbound=inbound,
                reason_code=item.reason_code[:8],
                decision=decision,
                decision_reason=reason,
                body=body,
                source=source,
            )
            recall.answer_body = _answer(item, recall.public_id, decision, reason).decode("utf-8")
            recall.save()
            audit_record(
                action="inbound.recall_answered",
                object_type="recall_request",
                object_id=recall.public_id,
                after={
                    "inbound": inbound.public_id if inbound else None,
                    "recall_reason": item.reason_code,
                    "decision": decision,
                    "reason": reason,
                },
                actor=actor,
            )
            if settings.QENEX_PAYMENTS_NETWORK_URLS:
                from ..tasks import send_recall_answer

                public_id = recall.public_id
                transaction.on_commit(lambda: send_recall_answer.delay(recall_id=public_id))
    except IntegrityError:
        existing = RecallRequest.objects.filter(rail=item.rail, network_id=item.network_id).first()
        if existing is None:
            raise
        return ItemResult("recall", item.network_id, "duplicate", inbound=existing.inbound, detail=existing.decision)
    outcome = "cancelled" if decision == RecallDecision.CANCELLED else "refused"
    return ItemResult("recall", item.network_id, outcome, inbound=inbound, detail=reason or "CNCL")


def recall_answer_send(*, recall_id: str) -> str:
    """Send our camt.029 for one recall to the network; return its status afterwards."""
    recall = RecallRequest.objects.get(public_id=recall_id)
    if recall.answer_status != ReturnStatus.PENDING or transport.url_for(recall.rail) is None:
        return recall.answer_status
    try:
        receipt = transport.submit(recall.rail, recall.answer_body.encode("utf-8"))
    except transport.TransportError as exc:
        logger.warning("inbound recall %s: camt.029 not sent: %s", recall_id, exc)
        return recall.answer_status
    return _record_sent(recall_id, receipt.network_reference)


@retry_on_conflict()
def _record_sent(recall_id: str, network_reference: str) -> str:
    with transaction.atomic(durable=True):
        recall = RecallRequest.objects.select_for_update(no_key=True).get(public_id=recall_id)
        if recall.answer_status == ReturnStatus.PENDING:
            recall.answer_status, recall.answer_network_reference = ReturnStatus.SENT, network_reference[:64]
            recall.save()
            audit_record(
                action="inbound.recall_answer_sent",
                object_type="recall_request",
                object_id=recall.public_id,
                after={"network_reference": recall.answer_network_reference},
                actor="system:inbound-network",
            )
        return recall.answer_status


def recall_answers_send_pending() -> int:
    pending = list(
        RecallRequest.objects.filter(answer_status=ReturnStatus.PENDING).values_list("public_id", flat=True)[:200]
    )
    for public_id in pending:
        recall_answer_send(recall_id=public_id)
    return len(pending)
