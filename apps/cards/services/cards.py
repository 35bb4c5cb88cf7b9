"""Issue cards and change their status. The PAN enters here once, is checked, encrypted and never logged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import AccountStatus
from apps.accounts.selectors import account_get
from apps.audit.services import audit_record
from apps.core.db import retry_on_conflict
from apps.core.errors import InvalidInput
from apps.core.idempotency import check_key, ensure_same_request, fingerprint
from apps.core.limits import posting_minor
from apps.security.blind_index import blind_index

from ..errors import CardAlreadyIssued, CardStatusChangeNotAllowed
from ..models import CARD_TRANSITIONS, Card, CardStatus
from ..pan import check_pan
from ..selectors import card_find_by_pan, card_get


@dataclass(frozen=True)
class CardIssued:
    card: Card
    replayed: bool


def card_state(card: Card) -> dict[str, Any]:
    """What the audit trail keeps of a card: never the PAN."""
    return {
        "card": card.public_id,
        "token": card.token,
        "account": card.account.public_id,
        "scheme": card.scheme,
        "bin": card.bin,
        "last_four": card.last_four,
        "expiry": card.expiry,
        "status": card.status,
        "per_transaction_limit_minor": card.per_transaction_limit_minor,
        "daily_limit_minor": card.daily_limit_minor,
    }


def _check_expiry(year: int, month: int) -> None:
    if not (isinstance(year, int) and isinstance(month, int) and 1 <= month <= 12 and 2000 <= year <= 2099):
        raise InvalidInput("expiry must be a month 1-12 of a year 2000-2099", field="expiry")
    today = timezone.localdate()
    if (year, month) < (today.year, today.month):
        raise InvalidInput("the card's expiry month has passed", field="expiry")


@retry_on_conflict()
def card_issue(
    *,
    account: str,
    pan: str,
    expiry_year: int,
    expiry_month: int,
    per_transaction_limit: object,
    daily_limit: object,
    idempotency_key: str | None = None,
    actor: str = "system",
) -> CardIssued:
    """Issue a card on a customer account; a retry with the same key and request returns the first card."""
    idempotency_key = check_key(idempotency_key)
    scheme = check_pan(pan)
    _check_expiry(expiry_year, expiry_month)
    target = account_get(public_id=account, field="account")
    if target.is_internal or target.status == AccountStatus.CLOSED:
        raise InvalidInput("cards are issued on open customer accounts", field="account", code="account_not_usable")
    tx_limit = posting_minor(per_transaction_limit, target.currency, field="per_transaction_limit")
    day_limit = posting_minor(daily_limit, target.currency, field="daily_limit")
    if day_limit < tx_limit:
        raise InvalidInput("daily_limit must be at least per_transaction_limit", field="daily_limit")
    # The PAN enters the fingerprint as a keyed hash: the idempotency table must not become a PAN store.
    fp = fingerprint(
        {
            "type": "CARD",
            "account": account,
            "pan": blind_index(value=pan, purpose="cards.issue.fingerprint"),
            "expiry": [expiry_year, expiry_month],
            "limits": [tx_limit, day_limit],
        }
    )
    if idempotency_key:
        existing = Card.objects.select_related("account").filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            ensure_same_request(existing.request_fingerprint, fp)
            return CardIssued(existing, True)
    if card_find_by_pan(pan=pan) is not None:
        raise CardAlreadyIssued("a card with this number is already issued", field="pan")
    card = Card(
        account=target,
        pan=pan,
        bin=pan[:6],
        last_four=pan[-4:],
        pan_length=len(pan),
        scheme=scheme,
        expiry_year=expiry_year,
        expiry_month=expiry_month,
        currency=target.currency,
        per_transaction_limit_minor=tx_limit,
        daily_limit_minor=day_limit,
        idempotency_key=idempotency_key,
        request_fingerprint=fp if idempotency_key else "",
    )
    try:
        with transaction.atomic(durable=True):
            card.save()
            audit_record(
                action="cards.card_issued",
                object_type="card",
                object_id=card.public_id,
                after=card_state(card),
                actor=actor,
            )
    except IntegrityError:
        # Lost a race: the same key (a retry) or the same PAN (another issue) committed first.
        if idempotency_key:
            existing = Card.objects.select_related("account").filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                ensure_same_request(existing.request_fingerprint, fp)
                return CardIssued(existing, True)
        raise CardAlreadyIssued("a card with this number is already issued", field="pan") from None
    return CardIssued(card, False)


@retry_on_conflict()
def card_change_status(*, card_id: str, status: str, reason: str = "", actor: str = "system") -> Card:
    """Move a card to ``status`` (block, unblock, report lost, expire) if its lifecycle allows; same status: no-op."""
    if status not in CardStatus.values:
        raise InvalidInput(f"status must be one of {', '.join(CardStatus.values)}", field="status")
    card = card_get(public_id=card_id)
    with transaction.atomic(durable=True):
        card = Card.objects.select_for_update(no_key=True).select_related("account").get(pk=card.pk)
        if card.status == status:
            return card
        if status not in CARD_TRANSITIONS[card.status]:
            raise CardStatusChangeNotAllowed(f"a {card.status} card cannot become {status}", field="status")
        before = card.status
        card.status = status
        card.save(update_fields=["status", "updated_at"])
        audit_record(
            action="cards.card_status_changed",
            object_type="card",
            object_id=card.public_id,
            before={"status": before},
            after={"status": status, "reason": reason[:200]},
            actor=actor,
        )
        return card
