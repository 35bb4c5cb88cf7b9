"""The issuer's answer to an 0100: approve with a ledger hold, or refuse with a response code.

An authorisation is decided in two steps. First, without a transaction: the duplicate look-up, the card (by the PAN's
blind index), its status, expiry, currency and per-transaction limit, and the ``card_authorisation`` checks of
``apps.core.checks`` (fraud), which may write their own records in their own transaction. Then one short
transaction: lock the card (its daily limit is read under that lock), place the ledger hold inside it
(``hold_place_in_transaction``, which locks the account and checks available funds) and record the answer with its
audit record. A refusal found in either step is recorded too (so a duplicate is answered from it) and moves no money.

Lock order: card, then the ledger's account row; reversals and clearings (``settlement``) lock the authorisation,
then the account. Nothing locks an account and then a card or an authorisation, so the orders cannot cross.

The time budget is enforced by PostgreSQL: the transaction runs with ``statement_timeout`` set to what is left of
it, and a statement that runs out rolls everything back; the answer is then 91 (issuer unavailable), unrecorded.
"""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core import checks
from apps.core.db import is_postgresql, retry_on_conflict
from apps.core.errors import DomainError
from apps.core.money import format_amount
from apps.ledger.errors import InsufficientFunds
from apps.ledger.services import hold_place_in_transaction
from apps.security.blind_index import blind_index

from .. import responses as rc
from ..metrics import CARD_AUTHORISATION_SECONDS, CARD_MESSAGES_TOTAL
from ..models import Authorisation, AuthorisationStatus, Card, CardStatus
from ..pan import scheme_of
from ..selectors import (
    authorisation_by_network_key,
    authorisation_lookup,
    card_find_by_pan,
    card_spent_today_minor,
)

ACTOR = "card-host"
# Purchase (00) and cash (01) reserve funds; refunds (20) and others are not authorised through holds.
HOLDING_PROCESSING_CODES = frozenset({"00", "01"})
_AUTH_CODE_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class AuthorisationRequest:
    """An 0100 as the issuer reads it; amounts in minor units of ``currency`` (ISO 4217 alpha)."""

    pan: str
    processing_code: str
    amount_minor: int
    currency: str
    stan: str
    rrn: str
    transmission_datetime: str
    terminal_id: str
    at: datetime
    merchant_id: str = ""
    merchant_category: str = ""
    merchant_country: str = ""
    acquirer_id: str = ""
    pos_entry_mode: str = ""
    expiry: str | None = None  # DE14 YYMM, when the terminal read it

    @property
    def network_key(self) -> str:
        """What makes a request a duplicate of an earlier one: the acquirer, terminal, STAN and RRN."""
        return f"{self.acquirer_id}|{self.terminal_id}|{self.stan}|{self.rrn}"

    def fingerprint(self) -> str:
        """A keyed hash of what must match for a duplicate to get the first answer (the PAN only hashed)."""
        what = f"{self.pan}|{self.processing_code}|{self.amount_minor}|{self.currency}"
        return blind_index(value=what, purpose="cards.authorisation.request")[:64]


@dataclass(frozen=True)
class CardAuthorisationSubject:
    """What a ``card_authorisation`` check sees (the shape agreed in COMMON.md). ``card_id`` is the card's public id."""

    card_id: str
    account: str
    owner_id: str
    amount_minor: int
    currency: str
    merchant_id: str
    merchant_category: str
    merchant_country: str
    terminal_id: str
    pos_entry_mode: str
    at: datetime


@dataclass(frozen=True)
class AuthorisationAnswer:
    response_code: str
    auth_code: str = ""
    authorisation_id: str = ""
    reason: str = ""
    replayed: bool = False

    @property
    def approved(self) -> bool:
        return self.response_code == rc.APPROVED


# --------------------------------------------------------------------------- authorise


def _new_auth_code() -> str:
    return "".join(secrets.choice(_AUTH_CODE_ALPHABET) for _ in range(6))


def _card_expired(card: Card, at: datetime) -> bool:
    today = timezone.localtime(at)
    return (card.expiry_year, card.expiry_month) < (today.year, today.month)


_STATUS_REFUSALS = {
    CardStatus.LOST: (rc.LOST_CARD, "card reported lost"),
    CardStatus.BLOCKED: (rc.RESTRICTED_CARD, "card blocked"),
    CardStatus.EXPIRED: (rc.EXPIRED_CARD, "card expired"),
}


def _status_refusal(card: Card) -> tuple[str, str] | None:
    return _STATUS_REFUSALS.get(card.status)


def _static_refusal(card: Card | None, request: AuthorisationRequest) -> tuple[str, str] | None:
    """The first rule (response code, reason) the request breaks before funds are looked at; None if none."""
    if card is None:
        return rc.INVALID_CARD_NUMBER, "no card with this number" if scheme_of(request.pan) else "invalid card number"
    if request.processing_code[:2] not in HOLDING_PROCESSING_CODES:
        return rc.NOT_PERMITTED, f"processing code {request.processing_code} is not a purchase or cash"
    if request.amount_minor <= 0:
        return rc.INVALID_AMOUNT, "the amount must be positive"
    if (by_status := _status_refusal(card)) is not None:
        return by_status
    if _card_expired(card, request.at):
        return rc.EXPIRED_CARD, "card expired"
    if request.expiry is not None and request.expiry != card.expiry:
        return rc.EXPIRED_CARD, "expiry date does not match the card"
    if request.currency != card.currency:
        return rc.NOT_PERMITTED, f"the card is in {card.currency}, not {request.currency}"
    if request.amount_minor > card.per_transaction_limit_minor:
        return rc.EXCEEDS_LIMIT, "above the card's per-transaction limit"
    return None  # the daily limit is read under the card's lock, in the authorisation's transaction


def _checks_refusal(card: Card, request: AuthorisationRequest) -> tuple[str, str] | None:
    subject = CardAuthorisationSubject(
        card_id=card.public_id,
        account=card.account.public_id,
        owner_id=card.account.owner_id,
        amount_minor=request.amount_minor,
        currency=request.currency,
        merchant_id=request.merchant_id,
        merchant_category=request.merchant_category,
        merchant_country=request.merchant_country,
        terminal_id=request.terminal_id,
        pos_entry_mode=request.pos_entry_mode,
        at=request.at,
    )
    deciding = checks.run("card_authorisation", subject).deciding
    if deciding is None:
        return None
    name, result = deciding
    # A real-time authorisation cannot wait for an analyst: a hold answer declines it like a reject.
    return rc.DO_NOT_HONOUR, f"{name}: {result.code} {result.reason}"[:200]


def _authorisation_state(authorisation: Authorisation) -> dict[str, Any]:
    return {
        "authorisation": authorisation.public_id,
        "card": authorisation.card.public_id if authorisation.card_id else None,
        "status": authorisation.status,
        "response_code": authorisation.response_code,
        "reason": authorisation.decline_reason,
        "amount_minor": authorisation.amount_minor,
        "currency": authorisation.currency,
        "stan": authorisation.stan,
        "rrn": authorisation.rrn,
        "terminal_id": authorisation.terminal_id,
        "merchant_id": authorisation.merchant_id,
        "hold": authorisation.hold_id or None,
    }


def _new_authorisation(card: Card | None, request: AuthorisationRequest, fp: str, **fields: Any) -> Authorisation:
    return Authorisation(
        network_key=request.network_key,
        request_fingerprint=fp,
        card=card,
        stan=request.stan,
        rrn=request.rrn,
        transmission_datetime=request.transmission_datetime,
        terminal_id=request.terminal_id,
        merchant_id=request.merchant_id,
        merchant_category=request.merchant_category,
        acquirer_id=request.acquirer_id,
        processing_code=request.processing_code,
        amount_minor=request.amount_minor,
        currency=request.currency,
        created_at=request.at,
        **fields,
    )


def _save_decline(authorisation: Authorisation) -> AuthorisationAnswer:
    """Write a refusal and its audit record in the caller's transaction (nothing else changes)."""
    authorisation.save()
    audit_record(
        action="cards.authorisation_declined",
        object_type="card_authorisation",
        object_id=authorisation.public_id,
        after=_authorisation_state(authorisation),
        actor=ACTOR,
    )
    return AuthorisationAnswer(authorisation.response_code, "", authorisation.public_id, authorisation.decline_reason)


def _decline(card: Card | None, request: AuthorisationRequest, fp: str, code: str, reason: str) -> AuthorisationAnswer:
    declined = _new_authorisation(
        card, request, fp, status=AuthorisationStatus.DECLINED, response_code=code, decline_reason=reason
    )
    with transaction.atomic(durable=True):
        return _save_decline(declined)


def _limit_statement_time(deadline: float) -> None:
    """Bound every statement of the current transaction by what is left of the time budget (PostgreSQL)."""
    if is_postgresql():
        left_ms = max(1, int((deadline - time.monotonic()) * 1000))
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = {left_ms}")  # an int: nothing to inject


def _approve(card: Card, request: AuthorisationRequest, fp: str, deadline: float) -> AuthorisationAnswer:
    expires_at = request.at + timedelta(seconds=settings.QENEX_CARDS_AUTH_HOLD_SECONDS)
    with transaction.atomic(durable=True):
        _limit_statement_time(deadline)
        locked = Card.objects.select_for_update(no_key=True).select_related("account").get(pk=card.pk)
        # Under the card's lock: two authorisations of one card cannot both pass a daily limit meant for one.
        spent = card_spent_today_minor(card_id=locked.pk, at=request.at)
        refusal = _status_refusal(locked)  # blocked or reported lost since it was read
        if refusal is None and spent + request.amount_minor > locked.daily_limit_minor:
            refusal = rc.EXCEEDS_LIMIT, "above the card's daily limit"
        if refusal is not None:
            code, reason = refusal
            return _save_decline(
                _new_authorisation(
                    locked, request, fp, status=AuthorisationStatus.DECLINED, response_code=code, decline_reason=reason
                )
            )
        authorisation = _new_authorisation(
            locked,
            request,
            fp,
            status=AuthorisationStatus.APPROVED,
            response_code=rc.APPROVED,
            auth_code=_new_auth_code(),
            expires_at=expires_at,
        )
        try:
            hold = hold_place_in_transaction(
                account=locked.account.public_id,
                amount=format_amount(request.amount_minor, request.currency),
                currency=request.currency,
                expires_at=expires_at,
                # No idempotency key: the authorisation's network key is unique, and both commit or neither.
                description=f"card {authorisation.public_id} ****{locked.last_four} {request.merchant_id}".strip(),
                actor=ACTOR,
            ).hold
        except InsufficientFunds:
            # The hold's savepoint rolled back; this transaction goes on to record the refusal only.
            return _save_decline(
                _new_authorisation(
                    locked,
                    request,
                    fp,
                    status=AuthorisationStatus.DECLINED,
                    response_code=rc.INSUFFICIENT_FUNDS,
                    decline_reason="insufficient available funds",
                )
            )
        except DomainError as exc:  # the account is frozen or closed: the ledger refused with its own code
            return _save_decline(
                _new_authorisation(
                    locked,
                    request,
                    fp,
                    status=AuthorisationStatus.DECLINED,
                    response_code=rc.DO_NOT_HONOUR,
                    decline_reason=f"ledger: {exc.code}"[:200],
                )
            )
        authorisation.hold_id = hold.public_id
        authorisation.save()
        audit_record(
            action="cards.authorisation_approved",
            object_type="card_authorisation",
            object_id=authorisation.public_id,
            after=_authorisation_state(authorisation),
            actor=ACTOR,
        )
        return AuthorisationAnswer(rc.APPROVED, authorisation.auth_code, authorisation.public_id)


def _replay(first: Authorisation, fp: str) -> AuthorisationAnswer:
    if first.request_fingerprint != fp:
        return AuthorisationAnswer(rc.DUPLICATE_TRANSMISSION, reason="same STAN/RRN as a different earlier request")
    return AuthorisationAnswer(first.response_code, first.auth_code, first.public_id, first.decline_reason, True)


def _is_timeout(exc: DatabaseError) -> bool:
    sqlstate = getattr(exc.__cause__, "sqlstate", None) or getattr(exc.__cause__, "pgcode", None)
    return sqlstate in ("57014", "55P03")  # query_canceled (statement_timeout), lock_not_available


@retry_on_conflict()
def _decide(request: AuthorisationRequest, deadline: float) -> AuthorisationAnswer:
    fp = request.fingerprint()
    signed_on, first = authorisation_lookup(network_key=request.network_key)
    if not signed_on:  # 91 and nothing written: see services.network for why this code
        return AuthorisationAnswer(rc.ISSUER_UNAVAILABLE, reason="the network is signed off")
    if first is not None:
        return _replay(first, fp)
    card = card_find_by_pan(pan=request.pan) if scheme_of(request.pan) else None
    refusal = _static_refusal(card, request) or _checks_refusal(card, request)
    try:
        if refusal is not None:
            return _decline(card, request, fp, *refusal)
        if time.monotonic() >= deadline:
            return AuthorisationAnswer(rc.ISSUER_UNAVAILABLE, reason="time budget spent before the hold")
        return _approve(card, request, fp, deadline)
    except IntegrityError:
        # The same STAN/RRN committed first from another connection (a duplicate sent twice at once).
        first = authorisation_by_network_key(network_key=request.network_key)
        if first is None:
            raise
        return _replay(first, fp)


def authorisation_decide(*, request: AuthorisationRequest, budget_ms: int | None = None) -> AuthorisationAnswer:
    """Answer an 0100: approved with a ledger hold, or refused with its code; a duplicate gets the first answer."""
    started = time.monotonic()
    budget = settings.QENEX_CARDS_TIME_BUDGET_MS if budget_ms is None else budget_ms
    try:
        answer = _decide(request, started + budget / 1000)
    except DatabaseError as exc:
        if not _is_timeout(exc):
            raise
        answer = AuthorisationAnswer(rc.ISSUER_UNAVAILABLE, reason="time budget ran out; nothing was written")
    CARD_AUTHORISATION_SECONDS.observe(time.monotonic() - started)
    CARD_MESSAGES_TOTAL.labels("0100", answer.response_code).inc()
    return answer
