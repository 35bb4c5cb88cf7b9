"""SWIFT FIN (MT103, MT202, MT202 COV) and CBPR+ (pacs.008 in an AppHdr envelope or bare) on one rail.

MT answers come from the receiver (our correspondent) to us: MT900 confirms the debit of our account
and an MT199 gpi-style status confirmation (``:79://<YYMMDDHHMM>+0000`` then ``//ACSC``) says the
beneficiary's bank was credited. A rejection is an MT199 ``//RJCT`` then ``//<reason>``; a return is
MT900, MT199 ``//ACSC``, then MT910 crediting the funds back (``:72:/RETN/<reason>``). A message
FIN cannot read is NAKed: an MT199 from SWIFT (``SWHQBEBBXXX``) whose :79: starts ``NAK`` and lists
the problems. De-duplication is on :20: + UETR; ISO 20022 messages are handed to the CBPR+ rail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from apps.payments.formats import iso20022, swift_mt
from apps.payments.formats.errors import FieldError, MessageValidationError
from apps.payments.formats.swift_mt import (
    MT103,
    MT199,
    MT202,
    MT202COV,
    MT900,
    MT910,
    AccountIdentification,
    make_envelope,
    transliterate_to_x,
)

from ..outcomes import ACCEPT, REJECT, RETURN, Outcome
from .base import AnswerContext, Received, Reply, describe_errors
from .iso20022 import CBPR_PLUS

SWIFT_BIC = "SWHQBEBBXXX"  # SWIFT's own address: the sender of network (NAK) notices
FIN = "text/plain; charset=us-ascii"
_BASIC_HEADER_RE = re.compile(rb"\{1:F01([A-Z]{6}[A-Z0-9]{2})[A-Z0-9]([A-Z0-9]{3})")
TRANSFERS = (MT103, MT202, MT202COV)


def _reference(message: MT103 | MT202 | MT202COV) -> str:
    return message.sender_reference if isinstance(message, MT103) else message.transaction_reference


def _timestamp(now: datetime) -> str:
    return f"//{now:%y%m%d%H%M}+0000"


def _nostro(message: MT103 | MT202 | MT202COV) -> AccountIdentification:
    # The sandbox holds one account per sender BIC at the correspondent: deterministic, visibly fake.
    return AccountIdentification(account=f"SANDBOX/{message.sender_bic[:8]}")


@dataclass(frozen=True)
class SwiftRail:
    name: str = "swift"
    path: str = "messages"
    default_reject_reason: str = "AC04"
    supports_return: bool = True

    def read(self, raw: bytes, already_seen: set[str]) -> Received:
        if iso20022.looks_like(raw):
            return CBPR_PLUS.read(raw, already_seen)
        try:
            message = swift_mt.parse(raw)
        except MessageValidationError as exc:
            return Received.refused(raw, exc.message_type, tuple(exc.errors), parsed=_sender_of(raw))
        if not isinstance(message, TRANSFERS):
            error = FieldError("{2:}", f"the sandbox takes MT103, MT202 and MT202 COV, got {message.message_type}")
            return Received.refused(raw, message.message_type, (error,), parsed=message.sender_bic)
        reference, uetr = _reference(message), message.uetr or ""
        key = f"{reference}+{uetr}"
        return Received(key, (key, uetr, reference), message.message_type, parsed=message)

    def answer(self, received: Received, outcome: Outcome, context: AnswerContext) -> list[Reply]:
        if received.message_type.startswith("pacs.") or received.message_type.startswith("head."):
            return CBPR_PLUS.answer(received, outcome, context)
        delay = context.delay_seconds
        if not received.valid:
            return [_nak(received, context, delay)]
        message = received.parsed
        if outcome.kind == REJECT:
            reason = outcome.reason or self.default_reject_reason
            return [_status(message, context, ("//RJCT", f"//{reason}"), "RJCT", reason, delay, 1)]
        if outcome.kind not in (ACCEPT, RETURN):
            return []
        replies = [
            _debit_confirmation(message, context, delay),
            _status(message, context, ("//ACSC",), "ACSC", None, 2 * delay, 2),
        ]
        if outcome.kind == RETURN:
            reason = outcome.reason or "AC04"
            replies.append(_credit_back(message, context, reason, 3 * delay))
        return replies


def _sender_of(raw: bytes) -> str | None:
    found = _BASIC_HEADER_RE.search(raw[:64])
    if found is None:
        return None
    return found[1].decode() + found[2].decode()


def _own_reference(context: AnswerContext, number: int) -> str:
    return f"{context.network_reference[-12:]}{number}"[-16:]


def _status(
    message, context: AnswerContext, lines: tuple[str, ...], status: str, reason: str | None, after: float, number: int
) -> Reply:
    mt199 = MT199(
        header=make_envelope(
            "199", sender_bic=message.receiver_bic, receiver_bic=message.sender_bic, uetr=message.uetr
        ),
        transaction_reference=_own_reference(context, number),
        related_reference=_reference(message),
        narrative=(_timestamp(context.now), *lines),
    )
    return Reply("status", status, "MT199", FIN, mt199.to_fin(), after, reason)


def _debit_confirmation(message, context: AnswerContext, after: float) -> Reply:
    mt900 = MT900(
        header=make_envelope("900", sender_bic=message.receiver_bic, receiver_bic=message.sender_bic),
        transaction_reference=_own_reference(context, 1),
        related_reference=_reference(message),
        account=_nostro(message),
        value_date=message.value_date,
        currency=message.currency,
        amount=message.amount,
        date_time_indication=context.now.replace(second=0, microsecond=0),
    )
    return Reply("confirmation", "DEBITED", "MT900", FIN, mt900.to_fin(), after)


def _credit_back(message, context: AnswerContext, reason: str, after: float) -> Reply:
    mt910 = MT910(
        header=make_envelope("910", sender_bic=message.receiver_bic, receiver_bic=message.sender_bic),
        transaction_reference=_own_reference(context, 3),
        related_reference=_reference(message),
        account=_nostro(message),
        value_date=context.now.date(),
        currency=message.currency,
        amount=message.amount,
        date_time_indication=context.now.replace(second=0, microsecond=0),
        ordering_institution=swift_mt.Institution("A", bic=message.receiver_bic),
        sender_to_receiver_information=(f"/RETN/{reason}",),
    )
    return Reply("return", "RETURNED", "MT910", FIN, mt910.to_fin(), after, reason)


def _nak(received: Received, context: AnswerContext, after: float) -> Reply:
    problems = tuple(
        FieldError(transliterate_to_x(e.field) or "field", transliterate_to_x(e.reason) or "invalid", e.line)
        for e in received.errors
    )
    lines = [transliterate_to_x(line) or "." for line in describe_errors(problems, width=48, max_lines=34)]
    mt199 = MT199(
        header=make_envelope("199", sender_bic=SWIFT_BIC, receiver_bic=received.parsed or SWIFT_BIC),
        transaction_reference=_own_reference(context, 1),
        narrative=("NAK", *(f"//{line}" for line in lines)),
    )
    return Reply("nak", "NAK", "MT199", FIN, mt199.to_fin(), after)
