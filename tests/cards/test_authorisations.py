"""The issuer's answers, message in and message out through the host's adapter (no socket): each response code,
what it does to the ledger, reversals, clearing for less, duplicates, expiry and the time budget."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from django.test import override_settings

from apps.accounts.models import Account, AccountType
from apps.audit.models import AuditRecord
from apps.cards.iso import answer_message
from apps.cards.models import Authorisation, AuthorisationStatus, CardStatus
from apps.cards.services import authorisations_expire, card_change_status
from apps.cards.switch import CardSwitch
from apps.core import checks
from apps.core.money import format_amount
from apps.ledger.models import Hold, HoldStatus
from apps.ledger.selectors import balance_get
from apps.payments.formats.iso8583 import CardMessage, build_iso8583_message, parse_iso8583_message

from .factories import issued_card, make_pan

pytestmark = pytest.mark.django_db
builder = CardSwitch("127.0.0.1", 0)  # only its message builders: nothing is sent


def send(message: CardMessage) -> CardMessage:
    return parse_iso8583_message(answer_message(build_iso8583_message(message, check_luhn=False)), check_luhn=False)


def authorise(pan: str, amount_minor: int, **fields) -> CardMessage:
    return send(builder.authorisation_request(pan=pan, amount_minor=amount_minor, **fields))


def reversal(answer: CardMessage) -> CardMessage:
    original = f"0100{answer.stan}{answer.transmission_datetime}{answer.acquirer_id.zfill(11)}{'0' * 11}"
    return CardMessage(
        mti="0400",
        pan=answer.pan,
        processing_code=answer.processing_code,
        amount=answer.amount,
        transmission_datetime=answer.transmission_datetime,
        stan=builder.next_stan(),
        acquirer_id=answer.acquirer_id,
        rrn=answer.rrn,
        terminal_id=answer.terminal_id,
        currency_code=answer.currency_code,
        original_data_elements=original,
    )


def advice(answer: CardMessage, amount_minor: int) -> CardMessage:
    return replace(answer, mti="0220", amount=amount_minor, stan=builder.next_stan(), response_code=None, auth_id=None)


def money(account: Account) -> tuple[str, str]:
    balance = balance_get(account=account)
    return format_amount(balance.ledger_minor, "USD"), format_amount(balance.available_minor, "USD")


def test_an_approval_places_a_hold_for_the_amount():
    card, pan = issued_card(balance="100.00")
    answer = authorise(pan, 2500, expiry=card.expiry)
    assert (answer.mti, answer.response_code, len(answer.auth_id)) == ("0110", "00", 6)
    authorisation = Authorisation.objects.get(rrn=answer.rrn)
    hold = Hold.objects.get(public_id=authorisation.hold_id)
    assert (hold.amount_minor, hold.status, authorisation.status) == (2500, HoldStatus.AUTHORIZED, "APPROVED")
    assert money(card.account) == ("100.00", "75.00")
    assert AuditRecord.objects.filter(object_id=authorisation.public_id, action="cards.authorisation_approved").exists()


def test_a_decline_for_insufficient_funds_changes_nothing_in_the_ledger():
    card, pan = issued_card(balance="20.00")
    holds_before = Hold.objects.count()
    answer = authorise(pan, 2001)
    assert (answer.response_code, answer.auth_id) == ("51", None)
    assert money(card.account) == ("20.00", "20.00")
    assert Hold.objects.count() == holds_before
    assert Authorisation.objects.get(rrn=answer.rrn).status == AuthorisationStatus.DECLINED


@pytest.mark.parametrize(
    ("setup", "fields", "code"),
    [
        ("none", {"pan": "4111111111111112"}, "14"),  # Luhn fails
        ("none", {"pan": "unknown"}, "14"),  # valid number, not one of ours
        ("blocked", {}, "62"),
        ("lost", {}, "41"),
        ("none", {"expiry": "2001"}, "54"),  # DE14 not the card's
        ("none", {"currency_code": "978"}, "57"),  # EUR on a USD card
        ("none", {"processing_code": "200000"}, "57"),  # a refund is not authorised with a hold
        ("none", {"amount_minor": 50_001}, "61"),  # above the per-transaction limit of 500.00
        ("none", {"amount_minor": 0}, "13"),
    ],
)
def test_refusal_codes(setup, fields, code):
    card, pan = issued_card(balance="900.00")
    if setup == "blocked":
        card_change_status(card_id=card.public_id, status=CardStatus.BLOCKED)
    if setup == "lost":
        card_change_status(card_id=card.public_id, status=CardStatus.LOST)
    if fields.get("pan") == "unknown":
        fields = {**fields, "pan": make_pan()}
    request = {"pan": pan, "amount_minor": 1000, **fields}
    answer = authorise(request.pop("pan"), request.pop("amount_minor"), **request)
    assert answer.response_code == code
    assert money(card.account) == ("900.00", "900.00")


def test_the_daily_limit_counts_the_days_approvals():
    card, pan = issued_card(balance="900.00", per_transaction_limit="300.00", daily_limit="500.00")
    assert authorise(pan, 30_000).response_code == "00"
    assert authorise(pan, 20_001).response_code == "61"
    assert authorise(pan, 20_000).response_code == "00"
    assert money(card.account) == ("900.00", "400.00")


def test_a_fraud_check_refusal_answers_05_and_sees_the_agreed_subject():
    card, pan = issued_card()
    seen = []

    def night_rule(subject):
        seen.append(subject)
        return checks.CheckResult.reject("card testing pattern", code="fraud_block")

    checks.register("card_authorisation", "test.fraud", night_rule)
    try:
        answer = authorise(pan, 1234, mcc="5999")
    finally:
        checks.unregister("card_authorisation", "test.fraud")
    assert answer.response_code == "05"
    subject = seen[0]
    assert (subject.card_id, subject.account, subject.owner_id) == (
        card.public_id,
        card.account.public_id,
        card.account.owner_id,
    )
    assert (subject.amount_minor, subject.currency, subject.merchant_category, subject.merchant_country) == (
        1234,
        "USD",
        "5999",
        "840",
    )
    assert subject.terminal_id and subject.merchant_id and subject.pos_entry_mode and subject.at
    assert "fraud_block" in Authorisation.objects.get(rrn=answer.rrn).decline_reason
    assert money(card.account) == ("100.00", "100.00")


def test_a_duplicate_stan_and_rrn_is_answered_from_the_first_result():
    card, pan = issued_card()
    request = builder.authorisation_request(pan=pan, amount_minor=4000)
    first, again = send(request), send(request)
    assert (first.response_code, again.response_code, again.auth_id) == ("00", "00", first.auth_id)
    assert Hold.objects.filter(account=card.account).count() == 1
    assert money(card.account) == ("100.00", "60.00")
    # The same STAN/RRN for another amount is not that request: 94, and nothing more is held.
    assert send(replace(request, amount=1000)).response_code == "94"
    assert money(card.account) == ("100.00", "60.00")


def test_a_reversal_voids_the_hold_and_a_repeat_answers_00_again():
    card, pan = issued_card()
    answer = authorise(pan, 3000)
    reversed_ = send(reversal(answer))
    assert (reversed_.mti, reversed_.response_code) == ("0410", "00")
    authorisation = Authorisation.objects.get(rrn=answer.rrn)
    assert authorisation.status == AuthorisationStatus.REVERSED
    assert Hold.objects.get(public_id=authorisation.hold_id).status == HoldStatus.VOIDED
    assert money(card.account) == ("100.00", "100.00")
    assert send(reversal(answer)).response_code == "00"
    unknown = replace(reversal(answer), rrn="999999999999")
    assert send(unknown).response_code == "25"


def test_clearing_for_less_captures_that_amount_and_releases_the_rest():
    card, pan = issued_card()
    answer = authorise(pan, 5000)
    cleared = send(advice(answer, 4250))
    assert (cleared.mti, cleared.response_code) == ("0230", "00")
    authorisation = Authorisation.objects.get(rrn=answer.rrn)
    assert (authorisation.status, authorisation.cleared_minor) == (AuthorisationStatus.CLEARED, 4250)
    hold = Hold.objects.get(public_id=authorisation.hold_id)
    assert (hold.status, hold.captured_minor) == (HoldStatus.CAPTURED, 4250)
    assert money(card.account) == ("57.50", "57.50")
    settlement = Account.objects.get(owner_id="__bank__", account_type=AccountType.NOSTRO, currency="USD")
    assert balance_get(account=settlement).ledger_minor >= 4250
    # A repeated presentment answers with the first capture; a reversal after clearing is refused (12).
    assert send(advice(answer, 4250)).response_code == "00"
    assert money(card.account) == ("57.50", "57.50")
    assert send(reversal(answer)).response_code == "12"


def test_clearing_above_the_authorised_amount_is_refused():
    card, pan = issued_card()
    answer = authorise(pan, 1000)
    assert send(advice(answer, 1001)).response_code == "13"
    assert money(card.account) == ("100.00", "90.00")


@override_settings(QENEX_CARDS_AUTH_HOLD_SECONDS=1)
def test_an_authorisation_never_cleared_expires_and_its_funds_come_back():
    card, pan = issued_card()
    answer = authorise(pan, 6000)
    assert money(card.account) == ("100.00", "40.00")
    time.sleep(1.1)
    assert money(card.account) == ("100.00", "100.00")  # the ledger stopped counting the hold at its expiry
    assert authorisations_expire() == 1
    assert Authorisation.objects.get(rrn=answer.rrn).status == AuthorisationStatus.EXPIRED
    assert authorisations_expire() == 0
    assert send(advice(answer, 6000)).response_code == "12"  # nothing left to capture
    assert money(card.account) == ("100.00", "100.00")


def test_a_spent_time_budget_answers_91_and_writes_nothing():
    from apps.cards.services import authorisation_decide
    from apps.cards.services.authorisations import AuthorisationRequest

    card, pan = issued_card()
    message = builder.authorisation_request(pan=pan, amount_minor=1000)
    request = AuthorisationRequest(
        pan=pan,
        processing_code="000000",
        amount_minor=1000,
        currency="USD",
        stan=message.stan,
        rrn=message.rrn,
        transmission_datetime=message.transmission_datetime,
        terminal_id=message.terminal_id,
        at=card.created_at,
    )
    assert authorisation_decide(request=request, budget_ms=0).response_code == "91"
    assert not Authorisation.objects.filter(rrn=message.rrn).exists()
    assert money(card.account) == ("100.00", "100.00")


QUERIES_PER_AUTHORISATION = 19


def test_an_authorisation_costs_a_fixed_number_of_queries(settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.fraud import runtime

    # The fraud model is looked up at most every QENEX_FRAUD_MODEL_REFRESH_SECONDS, in whichever authorisation
    # comes first: forget what an earlier test left loaded and keep the look-up out of the counted one.
    settings.QENEX_FRAUD_MODEL_REFRESH_SECONDS = 3600
    runtime.clear()
    card, pan = issued_card()
    authorise(pan, 100)
    with CaptureQueriesContext(connection) as queries:
        assert authorise(pan, 100).response_code == "00"
    # duplicate look-up, card, BEGIN/SAVEPOINT, time budget, card lock, daily limit, the ledger's hold (account,
    # lock, state, insert, audit, its outbox event) and our answer with its audit record: a change that adds one
    # shows here.
    assert len(queries) == QUERIES_PER_AUTHORISATION, [q["sql"][:80] for q in queries]
