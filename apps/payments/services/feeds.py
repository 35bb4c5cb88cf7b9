"""Reading the networks' answers feeds: each answer to the payment (or, on ACH, the file) it is about."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from apps.core.errors import DomainError

from .. import outbound, transport
from ..metrics import PAYMENT_ANSWERS_TOTAL
from ..models import AckCursor, Rail
from ..selectors import ach_file_for_answer
from .ach import ach_file_answer_record
from .submission import ack_record, payments_requeue_stale

logger = logging.getLogger(__name__)


def answer_record(*, rail: str, ack: dict[str, Any]) -> str:
    """Record one answer: an ACH operator answers about files, every other network about single payments."""
    if rail == Rail.ACH:
        ach_file = ach_file_for_answer(
            network_key=ack.get("message_id") or "", network_reference=ack.get("network_reference") or ""
        )
        if ach_file is not None:
            return ach_file_answer_record(file_id=ach_file.public_id, ack=ack)
    return ack_record(rail=rail, ack=ack)


def acks_poll(*, rail: str) -> int:
    """Read ``rail``'s answers feed after our cursor and record each answer; return how many were read."""
    cursor = AckCursor.objects.get_or_create(rail=rail)[0].cursor
    acks, next_cursor = transport.acks(rail, cursor)
    for ack in acks:
        try:
            result = answer_record(rail=rail, ack=ack)
        except DomainError:
            # One answer the ledger refuses (say, a hold that expired before settlement) must not stop the feed
            # for every payment behind it: logged for operations, counted, and the feed moves on.
            logger.exception("payments: %s answer %s could not be recorded", rail, ack.get("reply_id"))
            result = "error"
        PAYMENT_ANSWERS_TOTAL.labels(rail, result).inc()
    AckCursor.objects.filter(rail=rail, cursor__lt=next_cursor).update(cursor=next_cursor, updated_at=timezone.now())
    return len(acks)


def network_tick() -> dict[str, int]:
    """Beat's job: read every configured rail's feed, then requeue what lost workers left behind."""
    read = {}
    for rail in Rail:
        if (outbound.has_transport(rail) or rail == Rail.ACH) and transport.url_for(rail):
            try:
                read[rail.value] = acks_poll(rail=rail)
            except transport.TransportError as exc:
                logger.warning("payments: cannot read the %s feed: %s", rail, exc)
    read["requeued"] = payments_requeue_stale()
    return read
