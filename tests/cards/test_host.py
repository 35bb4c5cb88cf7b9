"""The issuer host as a real process on a TCP port, driven by the card switch: what the network sees, and the
ledger afterwards."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction

from apps.cards.models import Authorisation, AuthorisationStatus, Card
from apps.cards.switch import CardSwitch
from apps.cards.tasks import expire_authorisations
from apps.core.money import format_amount
from apps.ledger.models import Hold, HoldStatus
from apps.ledger.selectors import balance_get

from .factories import issued_card
from .host_process import CardHostProcess

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(scope="module")
def host(tmp_path_factory, django_db_setup, django_db_blocker):
    workdir = tmp_path_factory.mktemp("card-host")
    with django_db_blocker.unblock(), CardHostProcess(workdir, env={"QENEX_CARDS_TIME_BUDGET_MS": "1000"}) as process:
        yield process


def money(account) -> tuple[str, str]:
    balance = balance_get(account=account)
    return format_amount(balance.ledger_minor, "USD"), format_amount(balance.available_minor, "USD")


def test_authorisation_then_clearing_for_less_captures_the_smaller_amount(host, on_postgresql):
    card, pan = issued_card(balance="100.00")
    with CardSwitch("127.0.0.1", host.port) as switch:
        started = time.perf_counter()
        answer = switch.authorise(pan=pan, amount_minor=8000, expiry=card.expiry)
        elapsed = time.perf_counter() - started
        assert (answer.mti, answer.response_code) == ("0110", "00")
        assert elapsed < 1.0  # this host's time budget
        assert money(card.account) == ("100.00", "20.00")
        cleared = switch.advise(answer, amount_minor=6525)
    assert (cleared.mti, cleared.response_code) == ("0230", "00")
    authorisation = Authorisation.objects.get(rrn=answer.rrn)
    assert (authorisation.status, authorisation.cleared_minor) == (AuthorisationStatus.CLEARED, 6525)
    assert Hold.objects.get(public_id=authorisation.hold_id).captured_minor == 6525
    assert money(card.account) == ("34.75", "34.75")  # 65.25 captured, 14.75 released


def test_a_reversal_voids_the_hold(host, on_postgresql):
    card, pan = issued_card(balance="100.00")
    with CardSwitch("127.0.0.1", host.port) as switch:
        answer = switch.authorise(pan=pan, amount_minor=3000)
        assert answer.response_code == "00"
        reversed_ = switch.reverse(answer)
    assert (reversed_.mti, reversed_.response_code) == ("0410", "00")
    authorisation = Authorisation.objects.get(rrn=answer.rrn)
    assert Hold.objects.get(public_id=authorisation.hold_id).status == HoldStatus.VOIDED
    assert money(card.account) == ("100.00", "100.00")


def test_a_partial_reversal_and_an_echo_test_over_tcp(host, on_postgresql):
    card, pan = issued_card(balance="100.00")
    with CardSwitch("127.0.0.1", host.port) as switch:
        signed_on = switch.network_management("001")
        assert (signed_on.mti, signed_on.response_code, signed_on.network_management_code) == ("0810", "00", "001")
        answer = switch.authorise(pan=pan, amount_minor=4000)
        assert answer.response_code == "00"
        partly = switch.reverse(answer, replacement_amount_minor=1500)  # the merchant keeps 15.00
        assert (partly.mti, partly.response_code) == ("0410", "00")
        assert money(card.account) == ("100.00", "85.00")
        echo = switch.network_management("301")
        assert (echo.mti, echo.response_code, echo.stan) == ("0810", "00", echo.stan)
        cleared = switch.advise(answer, amount_minor=1500)
    assert cleared.response_code == "00"
    authorisation = Authorisation.objects.get(rrn=answer.rrn)
    assert (authorisation.status, authorisation.reversed_minor, authorisation.cleared_minor) == (
        AuthorisationStatus.CLEARED,
        2500,
        1500,
    )
    assert money(card.account) == ("85.00", "85.00")


def test_a_declined_authorisation_changes_nothing(host, on_postgresql):
    card, pan = issued_card(balance="25.00")
    with CardSwitch("127.0.0.1", host.port) as switch:
        answer = switch.authorise(pan=pan, amount_minor=2501)
    assert (answer.response_code, answer.auth_id) == ("51", None)
    assert money(card.account) == ("25.00", "25.00")
    assert not Hold.objects.filter(account=card.account).exists()


def test_a_duplicate_sent_on_two_connections_at_once_is_answered_once(host, on_postgresql):
    card, pan = issued_card(balance="100.00")
    request = CardSwitch("127.0.0.1", host.port).authorisation_request(pan=pan, amount_minor=4000)
    answers = []

    def send() -> None:
        with CardSwitch("127.0.0.1", host.port) as switch:
            answers.append(switch.send(request))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [a.response_code for a in answers] == ["00"] * 4
    assert len({a.auth_id for a in answers}) == 1
    assert Authorisation.objects.filter(rrn=request.rrn).count() == 1
    assert Hold.objects.filter(account=card.account).count() == 1
    assert money(card.account) == ("100.00", "60.00")


def test_an_expired_authorisation_is_released_by_the_beat_task(tmp_path, on_postgresql):
    card, pan = issued_card(balance="100.00")
    with CardHostProcess(tmp_path, env={"QENEX_CARDS_AUTH_HOLD_SECONDS": "1"}) as short_host:
        with CardSwitch("127.0.0.1", short_host.port) as switch:
            answer = switch.authorise(pan=pan, amount_minor=7000)
            assert answer.response_code == "00"
            assert money(card.account) == ("100.00", "30.00")
            time.sleep(1.2)
            assert expire_authorisations.apply().get() == 1
            authorisation = Authorisation.objects.get(rrn=answer.rrn)
            assert authorisation.status == AuthorisationStatus.EXPIRED
            assert money(card.account) == ("100.00", "100.00")
            assert switch.advise(answer).response_code == "12"  # a late presentment finds nothing to capture


def test_concurrent_authorisations_cannot_overrun_the_daily_limit(host, on_postgresql):
    card, pan = issued_card(balance="500.00", per_transaction_limit="40.00", daily_limit="100.00")
    codes = []

    def send() -> None:
        with CardSwitch("127.0.0.1", host.port) as switch:
            codes.append(switch.authorise(pan=pan, amount_minor=4000).response_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(codes) == ["00", "00", "61", "61"]
    assert money(card.account) == ("500.00", "420.00")


def test_a_card_locked_past_the_time_budget_answers_91_and_writes_nothing(host, on_postgresql):
    card, pan = issued_card(balance="100.00")
    with CardSwitch("127.0.0.1", host.port) as switch:
        request = switch.authorisation_request(pan=pan, amount_minor=1000)
        with transaction.atomic():
            Card.objects.select_for_update().get(pk=card.pk)  # as a long card maintenance would
            started = time.perf_counter()
            answer = switch.send(request)
            waited = time.perf_counter() - started
        assert (answer.response_code, answer.auth_id) == ("91", None)
        assert 0.9 < waited < 3.0
        assert not Authorisation.objects.filter(rrn=request.rrn).exists()
        assert money(card.account) == ("100.00", "100.00")
        # The switch may send it again once the issuer is back: it is then decided, not a duplicate.
        assert switch.send(request).response_code == "00"
