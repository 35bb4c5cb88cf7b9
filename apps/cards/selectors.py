"""Reads of the cards app: cards by id or PAN (blind index), authorisations, what a card spent today."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from apps.security.selectors import blind_index_filter

from .errors import AuthorisationNotFound, CardNotFound
from .models import SWITCH_NETWORK, Authorisation, AuthorisationStatus, Card, NetworkSession


def card_get(*, public_id: str) -> Card:
    try:
        return Card.objects.select_related("account").get(public_id=public_id)
    except Card.DoesNotExist:
        raise CardNotFound(f"no card {public_id}", field="card") from None


def card_find_by_pan(*, pan: str) -> Card | None:
    """The card with this PAN, looked up through its blind index (nothing is decrypted); None when unknown."""
    queryset = Card.objects.select_related("account")
    return blind_index_filter(queryset=queryset, field_name="pan", value=pan).first()


def card_list(*, account_ids: QuerySet | None = None) -> QuerySet[Card]:
    cards = Card.objects.select_related("account").order_by("pk")
    return cards if account_ids is None else cards.filter(account__in=account_ids)


def day_start(at: datetime) -> datetime:
    """Midnight of ``at``'s day in the bank's time zone: where a card's daily limit starts counting again."""
    local = timezone.localtime(at)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def card_spent_today_minor(*, card_id: int, at: datetime) -> int:
    """What a card's open (less what partial reversals released) and cleared authorisations of ``at``'s day add up
    to (the daily limit's use); one query."""
    today = Authorisation.objects.filter(card_id=card_id, created_at__gte=day_start(at))
    totals = today.aggregate(
        open=Sum(
            F("amount_minor") - F("reversed_minor"), filter=Q(status=AuthorisationStatus.APPROVED, expires_at__gt=at)
        ),
        cleared=Sum("cleared_minor", filter=Q(status=AuthorisationStatus.CLEARED)),
    )
    return (totals["open"] or 0) + (totals["cleared"] or 0)


def authorisation_by_network_key(*, network_key: str) -> Authorisation | None:
    return Authorisation.objects.filter(network_key=network_key).first()


def network_signed_on(*, network: str = SWITCH_NETWORK) -> bool:
    """Whether ``network`` is signed on (no row: it never signed off, so it is)."""
    return NetworkSession.objects.filter(network=network, signed_on=False).first() is None


_LOOKUP_SQL = (
    "SELECT s.signed_on, a.id FROM (SELECT 1 AS one) o"
    " LEFT JOIN cards_networksession s ON s.network = %s"
    " LEFT JOIN cards_authorisation a ON a.network_key = %s"
)


def authorisation_lookup(*, network_key: str, network: str = SWITCH_NETWORK) -> tuple[bool, Authorisation | None]:
    """Whether ``network`` is signed on, and the authorisation already answered for ``network_key``.

    Every 0100 needs both first; asking them in one statement keeps the session check off an authorisation's query
    count (``tests/cards/test_authorisations.py``). Both outer joins hang on the one-row ``(SELECT 1)``, so a row
    comes back whether or not either exists. A duplicate (rare) then loads its first answer by primary key.
    """
    with connection.cursor() as cursor:
        cursor.execute(_LOOKUP_SQL, [network, network_key])
        signed_on, first_pk = cursor.fetchone()
    first = None if first_pk is None else Authorisation.objects.get(pk=first_pk)
    return signed_on is None or bool(signed_on), first


def authorisation_get(*, public_id: str) -> Authorisation:
    try:
        return Authorisation.objects.select_related("card").get(public_id=public_id)
    except Authorisation.DoesNotExist:
        raise AuthorisationNotFound(f"no authorisation {public_id}", field="authorisation") from None


def authorisation_original(
    *, terminal_id: str, rrn: str | None = None, stan: str | None = None, transmission_datetime: str | None = None
) -> Authorisation | None:
    """The 0100 a reversal or an advice refers to: by terminal and RRN, else by terminal, STAN and DE7."""
    if rrn:
        found = Authorisation.objects.filter(terminal_id=terminal_id, rrn=rrn)
    elif stan and transmission_datetime:
        found = Authorisation.objects.filter(
            terminal_id=terminal_id, stan=stan, transmission_datetime=transmission_datetime
        )
    else:
        return None
    return found.select_related("card").order_by("pk").first()


def authorisations_of_card(*, card: Card) -> QuerySet[Authorisation]:
    return Authorisation.objects.filter(card=card).order_by("-pk")


def authorisations_lapsed(*, now: datetime, limit: int) -> list[int]:
    """Primary keys of approved authorisations whose hold has expired (never cleared nor reversed)."""
    return list(
        Authorisation.objects.filter(Q(status=AuthorisationStatus.APPROVED) & Q(expires_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def cards_of_subject(*, subject_id: str) -> QuerySet[Card]:
    """The cards on the customer's accounts."""
    return card_list().filter(account__owner_id=subject_id)


def subject_card_rows(*, subject_id: str) -> list[dict]:
    """The customer's cards as a subject-access export shows them: token and last four, never the PAN."""
    return [
        {
            "token": c.token,
            "last_four": c.last_four,
            "scheme": c.scheme,
            "expiry": f"{c.expiry_month:02d}/{c.expiry_year}",
            "status": c.status,
            "account": c.account.public_id,
        }
        for c in cards_of_subject(subject_id=subject_id)
    ]
