"""Talk to the networks: send the returns we owe, and read each rail's inbound feed.

Sending follows the short-transaction pattern: read the PENDING return, send it with no transaction open, then
lock the row and record the receipt. The body was built once (``schedule_return``) and is resent as stored, so the
network de-duplicates a resend (same MsgId, :20:, IMAD, ACH file id). A failure leaves it PENDING for beat.

The inbound feed (``GET /<rail>/inbound?since=<cursor>``, the network sandbox's protocol) delivers what the
network sends us unasked: credits, debits, returns and change notices. Each message is received with
``message_receive`` (duplicates are harmless) and the cursor moves past it.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.db import retry_on_conflict
from apps.core.errors import DomainError
from apps.payments import transport

from ..models import InboundCursor, InboundPayment, ReturnStatus
from ..selectors import returns_pending
from .exceptions import exceptions_return_due
from .recalls import recall_answers_send_pending
from .receive import message_receive

logger = logging.getLogger(__name__)
RAILS = ("sepa", "sepa_inst", "swift", "fedwire", "ach")
NETWORK_ACTOR = "system:inbound-network"


def inbound_return_send(*, inbound_id: str) -> str:
    """Send one PENDING return to its rail's network; return its return status afterwards."""
    inbound = InboundPayment.objects.get(public_id=inbound_id)
    if inbound.return_status != ReturnStatus.PENDING:
        return inbound.return_status
    if transport.url_for(inbound.rail) is None:
        return inbound.return_status  # no network configured here: it waits
    try:
        receipt, error = transport.submit(inbound.rail, inbound.return_body.encode("latin-1")), ""
    except transport.TransportError as exc:
        receipt, error = None, str(exc)
        logger.warning("inbound %s: return not sent: %s", inbound_id, error)
    return _record_sent(inbound_id, receipt, error)


@retry_on_conflict()
def _record_sent(inbound_id: str, receipt, error: str) -> str:
    with transaction.atomic(durable=True):
        inbound = InboundPayment.objects.select_for_update(no_key=True).get(public_id=inbound_id)
        if inbound.return_status != ReturnStatus.PENDING:
            return inbound.return_status
        inbound.return_attempts += 1
        if receipt is not None:
            inbound.return_status = ReturnStatus.SENT
            inbound.return_network_reference = receipt.network_reference[:64]
        inbound.save()
        audit_record(
            action="inbound.return_sent" if receipt else "inbound.return_send_failed",
            object_type="inbound_payment",
            object_id=inbound.public_id,
            after={
                "return_status": inbound.return_status,
                "message_type": inbound.return_message_type,
                "network_reference": inbound.return_network_reference,
                "attempt": inbound.return_attempts,
                "error": error[:300],
            },
            actor=NETWORK_ACTOR,
        )
        return inbound.return_status


def returns_send_pending() -> int:
    pending = list(returns_pending().values_list("public_id", flat=True)[:200])
    for public_id in pending:
        inbound_return_send(inbound_id=public_id)
    return len(pending)


def _feed(rail: str, since: int, limit: int = 200) -> tuple[list[dict[str, Any]], int]:
    base = transport.url_for(rail)
    if base is None:
        return [], since
    query = urllib.parse.urlencode({"since": since, "limit": limit})
    request = urllib.request.Request(f"{base}/{rail}/inbound?{query}")  # noqa: S310 - network_urls(): http(s) only
    try:
        with urllib.request.urlopen(request, timeout=settings.QENEX_PAYMENTS_HTTP_TIMEOUT) as response:  # noqa: S310
            answer = json.load(response)
    except (OSError, ValueError) as exc:
        raise transport.TransportError(f"{rail} inbound feed: {type(exc).__name__}: {exc}") from exc
    return answer["messages"], int(answer["next_cursor"])


def inbound_poll(*, rail: str) -> int:
    """Read ``rail``'s inbound feed after our cursor and receive each message; return how many were read."""
    cursor = InboundCursor.objects.get_or_create(rail=rail)[0].cursor
    received, next_cursor = _feed(rail, cursor)
    for message in received:
        try:
            message_receive(raw=message["body"].encode("utf-8"), rail=rail, source="network", actor=NETWORK_ACTOR)
        except DomainError:
            # One message we cannot take (unreadable, say) must not stop the feed behind it: logged, skipped.
            logger.exception("inbound: %s message %s could not be received", rail, message.get("inbound_id"))
    InboundCursor.objects.filter(rail=rail, cursor__lt=next_cursor).update(
        cursor=next_cursor, updated_at=timezone.now()
    )
    return len(received)


def inbound_tick() -> dict[str, int]:
    """Beat's job: read every configured rail's inbound feed, send pending returns, return what is due."""
    done: dict[str, int] = {}
    if settings.QENEX_PAYMENTS_NETWORK_URLS:
        for rail in RAILS:
            if transport.url_for(rail):
                try:
                    done[rail] = inbound_poll(rail=rail)
                except transport.TransportError as exc:
                    logger.warning("inbound: cannot read the %s feed: %s", rail, exc)
        done["returns_sent"] = returns_send_pending()
        done["recall_answers_sent"] = recall_answers_send_pending()
    done["returned_at_deadline"] = exceptions_return_due()
    return done
