"""Fedwire Funds: a FAIM message in, the Fed's acknowledgement out ({1100} status, {1120} OMAD, {1130} error).

De-duplication is on the IMAD ({1520}) of a message that reads; the sender reference ({3320}) is
counted too. An accepted
transfer is acknowledged with status 2 and an OMAD; a rejection (forced, drawn, or because the
message does not read) has status 3 and an error: category E (data error) for a message that does
not read, otherwise the reason given (``reject:F100`` -> category F, code 100). Fedwire transfers
are final, so there is no return outcome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from apps.payments.formats import fedwire
from apps.payments.formats.errors import MessageValidationError
from apps.payments.formats.fedwire import (
    STATUS_ACCEPTED_VALUE,
    STATUS_REJECTED,
    FedwireAcknowledgement,
    FedwireError,
    FedwireMessage,
    Omad,
    build_fedwire_acknowledgement,
)
from apps.payments.formats.fedwire.acknowledgement import ERROR_CATEGORIES

from ..outcomes import ACCEPT, REJECT, Outcome
from .base import AnswerContext, Received, Reply, describe_errors

ACK_TYPE = "Fedwire acknowledgement"
FAIM = "text/plain; charset=us-ascii"
_IMAD_RE = re.compile(rb"\{1520\}([0-9A-Z]{22})")
INVALID_MESSAGE = "E101"


@dataclass(frozen=True)
class FedwireRail:
    name: str = "fedwire"
    path: str = "messages"
    default_reject_reason: str = "F100"  # insufficient balance
    supports_return: bool = False

    def read(self, raw: bytes, already_seen: set[str]) -> Received:
        try:
            message = fedwire.parse(raw)
        except MessageValidationError as exc:
            # An IMAD in a message that does not read is not trusted for de-duplication, only counted.
            found = _IMAD_RE.search(raw)
            counted = (found[1].decode(),) if found else ()
            return Received.refused(raw, exc.message_type, tuple(exc.errors), also_counted=counted)
        imad = str(message.imad)
        ids = (imad, message.sender_reference) if message.sender_reference else (imad,)
        return Received(imad, ids, message.message_type, parsed=message)

    def answer(self, received: Received, outcome: Outcome, context: AnswerContext) -> list[Reply]:
        original = context.extra["raw"].decode("latin-1")
        delay = context.delay_seconds
        if not received.valid:
            description = describe_errors(received.errors, width=35, max_lines=1)[0]
            return [_rejection(original, context, INVALID_MESSAGE, description, delay)]
        if outcome.kind == REJECT:
            reason = outcome.reason or self.default_reject_reason
            return [_rejection(original, context, reason, "REJECTED BY SANDBOX", delay)]
        if outcome.kind != ACCEPT:
            return []
        message: FedwireMessage = received.parsed
        now = context.now
        omad = Omad(
            cycle_date=now.date(),
            destination=message.receiver_aba[:8],
            sequence=f"{context.sequence % 1_000_000:06d}",
            output_date=f"{now:%m%d}",
            output_time=f"{now:%H%M}",
        )
        ack = FedwireAcknowledgement(
            status=STATUS_ACCEPTED_VALUE,
            acknowledged_date=f"{now:%m%d}",
            acknowledged_time=f"{now:%H%M}",
            original_text=original,
            omad=omad,
            test_production_code=message.test_production_code,
        )
        body = build_fedwire_acknowledgement(ack).decode("latin-1")
        return [Reply("ack", "ACCEPTED", ACK_TYPE, FAIM, body, delay, None)]


def _rejection(original: str, context: AnswerContext, reason: str, description: str, after: float) -> Reply:
    category, code = (reason[0], reason[1:4]) if reason[:1] in ERROR_CATEGORIES and len(reason) == 4 else ("E", "999")
    now = context.now
    ack = FedwireAcknowledgement(
        status=STATUS_REJECTED,
        acknowledged_date=f"{now:%m%d}",
        acknowledged_time=f"{now:%H%M}",
        original_text=original,
        error=FedwireError(category, code.ljust(3, "0"), description.replace("*", " ")),
    )
    body = build_fedwire_acknowledgement(ack).decode("latin-1")
    return Reply("ack", "REJECTED", ACK_TYPE, FAIM, body, after, f"{category}{code}")
