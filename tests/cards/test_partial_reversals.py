"""Partial reversals (0400/0420 whose DE95 replacement amount is below DE4: the hold keeps the replacement amount)
and network management (0800 sign-on, sign-off, echo test -> 0810), through the host's adapter (no socket)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from apps.audit.models import AuditRecord
from apps.cards.iso import answer_message
from apps.cards.models import Authorisation, AuthorisationStatus
from apps.events.models import OutboxEvent
from apps.ledger.models import Hold, HoldStatus
from apps.payments.formats.iso8583 import CardMessage, build_iso8583_message, parse_iso8583_message

from .factories import issued_card
from .test_authorisations import advice, authorise, money, reversal, send

pytestmark = pytest.mark.django_db


def partial(answer: CardMessage, keep_minor: int, *, mti: str = "0400") -> CardMessage:
    de95 = f"{keep_minor:012d}{keep_minor:012d}C00000000C00000000"
    return replace(reversal(answer), mti=mti, replacement_amounts=de95)


def test_a_partial_reversal_keeps_the_replacement_amount_held_and_releases_the_rest():
    card, pan = issued_card()  # 100.00 USD
    answer = authorise(pan, 6000)
    assert money(card.account) == ("100.00", "40.00")
    reversed_ = send(partial(answer, 2500))
    assert (reversed_.mti, reversed_.response_code) == ("0410", "00")
    assert reversed_.replacement_amounts == partial(answer, 2500).replacement_amounts  # echoed
    authorisation = Authorisation.objects.get(rrn=answer.rrn)
    assert (authorisation.status, authorisation.amount_minor, authorisation.reversed_minor) == (
        AuthorisationStatus.APPROVED,
        6000,
        3500,
    )
    hold = Hold.objects.get(public_id=authorisation.hold_id)
    assert (hold.status, hold.amount_minor) == (HoldStatus.AUTHORIZED, 2500)
    assert money(card.account) == ("100.00", "75.00")
    record = AuditRecord.objects.get(action="cards.authorisation_partially_reversed")
    assert (record.after["held_minor"], record.after["released_minor"]) == (2500, 3500)
    assert AuditRecord.objects.filter(action="ledger.hold_reduced", object_id=hold.public_id).exists()
    assert OutboxEvent.objects.filter(event_type="hold.reduced", aggregate_id=hold.public_id).exists()
    # The 0420 advice repeating it changes nothing; more than what is held now is refused (13).
    repeated = send(partial(answer, 2500, mti="0420"))
    assert (repeated.mti, repeated.response_code) == ("0430", "00")
    assert money(card.account) == ("100.00", "75.00")
    assert send(partial(answer, 2600)).response_code == "13"
    # Clearing is for at most what is still held; then it captures and releases the rest of the hold.
    assert send(advice(answer, 2501)).response_code == "13"
    assert send(advice(answer, 2000)).response_code == "00"
    assert money(card.account) == ("80.00", "80.00")
    hold.refresh_from_db()
    assert (hold.status, hold.captured_minor) == (HoldStatus.CAPTURED, 2000)


def test_a_second_partial_then_a_full_reversal_release_everything():
    card, pan = issued_card()
    answer = authorise(pan, 5000)
    assert send(partial(answer, 4000)).response_code == "00"
    assert send(partial(answer, 1000)).response_code == "00"
    assert money(card.account) == ("100.00", "90.00")
    assert send(reversal(answer)).response_code == "00"
    authorisation = Authorisation.objects.get(rrn=answer.rrn)
    assert (authorisation.status, authorisation.reversed_minor) == (AuthorisationStatus.REVERSED, 4000)
    assert Hold.objects.get(public_id=authorisation.hold_id).status == HoldStatus.VOIDED
    assert money(card.account) == ("100.00", "100.00")


def test_a_de95_of_zero_or_of_the_whole_amount_is_a_full_reversal():
    card, pan = issued_card()
    answer = authorise(pan, 3000)
    assert send(partial(answer, 0)).response_code == "00"
    assert Authorisation.objects.get(rrn=answer.rrn).status == AuthorisationStatus.REVERSED
    other = authorise(pan, 2000)
    assert send(partial(other, 2000)).response_code == "00"
    assert Authorisation.objects.get(rrn=other.rrn).status == AuthorisationStatus.REVERSED
    assert money(card.account) == ("100.00", "100.00")


def test_the_daily_limit_counts_only_what_a_partial_reversal_left_held():
    card, pan = issued_card()
    card.per_transaction_limit_minor, card.daily_limit_minor = 8000, 8000
    card.save(update_fields=["per_transaction_limit_minor", "daily_limit_minor"])
    first = authorise(pan, 7000)
    assert authorise(pan, 2000).response_code == "61"
    assert send(partial(first, 5000)).response_code == "00"
    assert authorise(pan, 2000).response_code == "00"


@pytest.mark.parametrize("code, expected", [("301", "00"), ("001", "00"), ("002", "00"), ("161", "12")])
def test_network_management_is_answered_0810(code, expected):
    request = CardMessage(mti="0800", transmission_datetime="1203093000", stan="000042", network_management_code=code)
    response = parse_iso8583_message(answer_message(build_iso8583_message(request)))
    assert (response.mti, response.response_code, response.stan, response.network_management_code) == (
        "0810",
        expected,
        "000042",
        code,
    )
    assert response.transmission_datetime == "1203093000" and response.pan is None

