"""What happens to an approved authorisation afterwards: reversed (0400/0420: the hold is voided), partly reversed
(0400/0420 with a replacement amount, DE95, below the amount still held: the hold keeps the replacement amount and
the authorisation stays APPROVED, to be cleared for at most that much), cleared (0220 or a clearing-file line: the
hold is captured, possibly for less, the rest released) or expired (never cleared).

Each is one short transaction that locks the authorisation, then (through the ledger's in-transaction hold
services) the account; a repeat of any of them answers like the first and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import AccountType
from apps.accounts.services import internal_account_get_or_create
from apps.audit.services import audit_record
from apps.core.db import retry_on_conflict
from apps.core.money import format_amount
from apps.ledger.services import hold_capture_in_transaction, hold_reduce_in_transaction, hold_void_in_transaction

from .. import responses as rc
from ..metrics import CARD_MESSAGES_TOTAL
from ..models import Authorisation, AuthorisationStatus, Card
from ..selectors import authorisation_original, authorisations_lapsed
from .authorisations import ACTOR


@dataclass(frozen=True)
class ClearingAnswer:
    """The answer to a reversal or a clearing: the response code and what moved (minor units)."""

    response_code: str
    authorisation_id: str = ""
    captured_minor: int = 0
    released_minor: int = 0
    reason: str = ""
    replayed: bool = False


def _pan_matches(authorisation: Authorisation, pan: str | None) -> bool:
    if pan is None or authorisation.card_id is None:
        return pan is None or authorisation.card_id is None
    field = Card._meta.get_field("pan_bidx")
    return authorisation.card.pan_bidx in field.index_candidates(pan, model=Card)


def _close(authorisation: Authorisation, status: str, now: datetime, action: str, **extra: Any) -> None:
    before = authorisation.status
    authorisation.status, authorisation.closed_at = status, now
    for name, value in extra.items():
        setattr(authorisation, name, value)
    authorisation.save(update_fields=["status", "closed_at", *extra])
    audit_record(
        action=action,
        object_type="card_authorisation",
        object_id=authorisation.public_id,
        before={"status": before},
        after={"status": status, "closed_at": now, **extra},
        actor=ACTOR,
    )


@retry_on_conflict()
def authorisation_reverse(
    *,
    terminal_id: str,
    pan: str | None,
    rrn: str | None = None,
    stan: str | None = None,
    transmission_datetime: str | None = None,
    mti: str = "0400",
    replacement_amount_minor: int | None = None,
) -> ClearingAnswer:
    """Reverse (0400/0420) an approved authorisation: its hold is voided. A repeated reversal answers 00 again.

    With ``replacement_amount_minor`` (DE95's actual amount) above zero the reversal is partial: the hold keeps that
    amount and the rest is released; a repeat (the same replacement amount) answers 00 and changes nothing, a
    replacement above what is held is refused (13).
    """
    original = authorisation_original(
        terminal_id=terminal_id, rrn=rrn, stan=stan, transmission_datetime=transmission_datetime
    )
    if original is None or not _pan_matches(original, pan):
        answer = ClearingAnswer(rc.ORIGINAL_NOT_FOUND, reason="no such authorisation")
    elif replacement_amount_minor:
        answer = _reverse_partly(original.pk, replacement_amount_minor)
    else:
        with transaction.atomic(durable=True):
            authorisation = Authorisation.objects.select_for_update(no_key=True).get(pk=original.pk)
            now = timezone.now()
            if authorisation.status == AuthorisationStatus.CLEARED:
                answer = ClearingAnswer(rc.INVALID_TRANSACTION, authorisation.public_id, reason="already cleared")
            elif authorisation.status != AuthorisationStatus.APPROVED:
                # Declined, reversed or expired: nothing is held, so there is nothing to undo.
                answer = ClearingAnswer(rc.APPROVED, authorisation.public_id, replayed=True)
            elif authorisation.expires_at <= now:
                _close(authorisation, AuthorisationStatus.EXPIRED, now, "cards.authorisation_expired")
                answer = ClearingAnswer(rc.APPROVED, authorisation.public_id)
            else:
                hold_void_in_transaction(hold_id=authorisation.hold_id, actor=ACTOR)
                _close(authorisation, AuthorisationStatus.REVERSED, now, "cards.authorisation_reversed")
                held = authorisation.amount_minor - authorisation.reversed_minor
                answer = ClearingAnswer(rc.APPROVED, authorisation.public_id, released_minor=held)
    CARD_MESSAGES_TOTAL.labels(mti, answer.response_code).inc()
    return answer


def _reverse_partly(pk: int, replacement_minor: int) -> ClearingAnswer:
    with transaction.atomic(durable=True):
        authorisation = Authorisation.objects.select_for_update(no_key=True).get(pk=pk)
        now = timezone.now()
        held = authorisation.amount_minor - authorisation.reversed_minor
        if authorisation.status == AuthorisationStatus.CLEARED:
            return ClearingAnswer(rc.INVALID_TRANSACTION, authorisation.public_id, reason="already cleared")
        if authorisation.status != AuthorisationStatus.APPROVED:
            return ClearingAnswer(rc.APPROVED, authorisation.public_id, replayed=True)  # nothing held to undo
        if authorisation.expires_at <= now:
            _close(authorisation, AuthorisationStatus.EXPIRED, now, "cards.authorisation_expired")
            return ClearingAnswer(rc.APPROVED, authorisation.public_id)
        if replacement_minor > held:
            return ClearingAnswer(
                rc.INVALID_AMOUNT, authorisation.public_id, reason=f"replacement amount above the {held} held"
            )
        if replacement_minor == held:  # a repeat of the same partial reversal (an 0420 advice after the 0400)
            return ClearingAnswer(rc.APPROVED, authorisation.public_id, replayed=True)
        hold_reduce_in_transaction(hold_id=authorisation.hold_id, amount_minor=replacement_minor, actor=ACTOR)
        released = held - replacement_minor
        authorisation.reversed_minor += released
        authorisation.save(update_fields=["reversed_minor"])
        audit_record(
            action="cards.authorisation_partially_reversed",
            object_type="card_authorisation",
            object_id=authorisation.public_id,
            before={"status": authorisation.status, "held_minor": held},
            after={
                "status": authorisation.status,
                "held_minor": replacement_minor,
                "released_minor": released,
                "reversed_minor": authorisation.reversed_minor,
            },
            actor=ACTOR,
        )
        return ClearingAnswer(rc.APPROVED, authorisation.public_id, released_minor=released)


@retry_on_conflict()
def authorisation_clear(
    *,
    terminal_id: str,
    rrn: str,
    amount_minor: int,
    currency: str,
    pan: str | None = None,
    source: str = "0220",
) -> ClearingAnswer:
    """Capture an approved authorisation's hold for the presented amount (at most the authorised one); the rest
    is released. The money goes to the bank's card-settlement (NOSTRO) account of the currency. A repeated
    presentment answers with the first capture."""
    original = authorisation_original(terminal_id=terminal_id, rrn=rrn)
    if original is None or not _pan_matches(original, pan):
        answer = ClearingAnswer(rc.ORIGINAL_NOT_FOUND, reason="no such authorisation")
    elif original.status == AuthorisationStatus.CLEARED:
        answer = ClearingAnswer(
            rc.APPROVED,
            original.public_id,
            original.cleared_minor,
            original.amount_minor - original.reversed_minor - original.cleared_minor,
            replayed=True,
        )
    elif currency != original.currency or not 0 < amount_minor <= original.amount_minor - original.reversed_minor:
        answer = ClearingAnswer(rc.INVALID_AMOUNT, original.public_id, reason="above the authorised amount or zero")
    else:
        settlement = internal_account_get_or_create(account_type=AccountType.NOSTRO, currency=original.currency)
        answer = _capture(original.pk, amount_minor, settlement.public_id, source)
    CARD_MESSAGES_TOTAL.labels(source, answer.response_code).inc()
    return answer


def _capture(pk: int, amount_minor: int, settlement_account: str, source: str) -> ClearingAnswer:
    with transaction.atomic(durable=True):
        authorisation = Authorisation.objects.select_for_update(no_key=True).get(pk=pk)
        now = timezone.now()
        held = authorisation.amount_minor - authorisation.reversed_minor
        if authorisation.status == AuthorisationStatus.CLEARED:  # a concurrent presentment won
            return ClearingAnswer(
                rc.APPROVED,
                authorisation.public_id,
                authorisation.cleared_minor,
                held - authorisation.cleared_minor,
                replayed=True,
            )
        if authorisation.status != AuthorisationStatus.APPROVED or authorisation.expires_at <= now:
            return ClearingAnswer(
                rc.INVALID_TRANSACTION, authorisation.public_id, reason=f"authorisation is {authorisation.status}"
            )
        if amount_minor > held:  # a partial reversal committed since the presentment was checked
            return ClearingAnswer(rc.INVALID_AMOUNT, authorisation.public_id, reason=f"above the {held} held")
        result = hold_capture_in_transaction(
            hold_id=authorisation.hold_id,
            to_account=settlement_account,
            amount=format_amount(amount_minor, authorisation.currency),
            description=f"card clearing {authorisation.rrn} ({source})",
            idempotency_key=f"card:{authorisation.public_id}:capture",
            actor=ACTOR,
        )
        _close(
            authorisation,
            AuthorisationStatus.CLEARED,
            now,
            "cards.authorisation_cleared",
            cleared_minor=amount_minor,
            capture_transaction_id=result.entry.public_id,
        )
        return ClearingAnswer(rc.APPROVED, authorisation.public_id, amount_minor, held - amount_minor)


EXPIRE_BATCH = 200


def authorisations_expire(*, now: datetime | None = None) -> int:
    """Mark approved authorisations whose hold lapsed as EXPIRED; return how many. Their funds counted as
    available again from the expiry on (the ledger stops counting a hold at its ``expires_at``)."""
    now = now or timezone.now()
    total = 0
    while batch := authorisations_lapsed(now=now, limit=EXPIRE_BATCH):
        done = 0
        with transaction.atomic(durable=True):
            # skip_locked: one being reversed or cleared right now is that operation's to close.
            lapsed = Authorisation.objects.select_for_update(no_key=True, skip_locked=True).filter(
                pk__in=batch, status=AuthorisationStatus.APPROVED, expires_at__lte=now
            )
            for authorisation in lapsed.order_by("pk"):
                _close(authorisation, AuthorisationStatus.EXPIRED, now, "cards.authorisation_expired")
                done += 1
        total += done
        if done < len(batch):
            break
    return total
