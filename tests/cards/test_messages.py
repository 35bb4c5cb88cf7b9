"""The wire: framing, the 0220/0420 additions to the formats library, the HTTP endpoint and clearing files."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from apps.cards.models import Authorisation, AuthorisationStatus
from apps.cards.services import clearing_file_apply
from apps.cards.switch import CardSwitch
from apps.payments.formats.iso8583 import (
    FramingError,
    build_iso8583_message,
    frame,
    parse_iso8583_message,
    read_frame,
)
from apps.payments.formats.iso8583.message import MANDATORY_ELEMENTS
from tests.conftest import make_client

from .factories import issued_card
from .test_authorisations import authorise, money, reversal, send

builder = CardSwitch("127.0.0.1", 0)


def test_frames_carry_a_two_byte_length_and_survive_split_reads():
    left, right = socket.socketpair()
    with left, right:
        left.sendall(frame(b"0100ABC")[:3])
        left.sendall(frame(b"0100ABC")[3:] + frame(b"x" * 300))
        assert read_frame(right) == b"0100ABC"
        assert read_frame(right) == b"x" * 300
        left.sendall(b"\x00\x05abc")
        left.close()
        with pytest.raises(FramingError):
            read_frame(right)
    assert frame(b"ab")[:2] == b"\x00\x02"
    with pytest.raises(FramingError):
        frame(b"")


@pytest.mark.parametrize("mti", ["0220", "0420"])
def test_advice_messages_round_trip(mti):
    request = builder.authorisation_request(pan="4111111111111111", amount_minor=1500)
    original = f"0100{request.stan}{request.transmission_datetime}{'0' * 22}"
    advice = replace(request, mti=mti, original_data_elements=original if mti == "0420" else None)
    assert parse_iso8583_message(build_iso8583_message(advice)) == advice
    assert MANDATORY_ELEMENTS[f"{int(mti) + 10:04d}"] >= {39}


@pytest.mark.django_db
def test_a_reversal_advice_0420_voids_the_hold():
    card, pan = issued_card()
    answer = authorise(pan, 2200)
    acknowledged = send(replace(reversal(answer), mti="0420"))
    assert (acknowledged.mti, acknowledged.response_code) == ("0430", "00")
    assert money(card.account) == ("100.00", "100.00")


@pytest.mark.django_db
def test_a_clearing_file_captures_each_line_once():
    card, pan = issued_card()
    first, second = authorise(pan, 3000), authorise(pan, 1000)
    text = (
        "terminal_id,rrn,amount_minor,currency\n"
        f"{first.terminal_id},{first.rrn},2500,USD\n"
        f"{second.terminal_id},{second.rrn},1000,USD\n"
        f"{first.terminal_id},000000000000,100,USD\n"
        f"{first.terminal_id},{first.rrn},x,USD\n"
    )
    codes = [line.answer.response_code for line in clearing_file_apply(text=text)]
    assert codes == ["00", "00", "25", "30"]
    assert money(card.account) == ("65.00", "65.00")
    again = clearing_file_apply(text=text)
    assert [line.answer.replayed for line in again[:2]] == [True, True]
    assert money(card.account) == ("65.00", "65.00")
    assert Authorisation.objects.get(rrn=first.rrn).status == AuthorisationStatus.CLEARED


@pytest.mark.django_db
def test_the_http_endpoint_answers_like_the_tcp_host():
    card, pan = issued_card()
    network = make_client(["cards:network"], name="card-network")
    request = build_iso8583_message(builder.authorisation_request(pan=pan, amount_minor=1200))
    response = network.generic("POST", "/api/v1/cards/iso8583", request, content_type="application/octet-stream")
    assert response.status_code == 200
    answer = parse_iso8583_message(response.content)
    assert (answer.mti, answer.response_code) == ("0110", "00")
    assert money(card.account) == ("100.00", "88.00")
    garbage = network.generic("POST", "/api/v1/cards/iso8583", b"hello", content_type="application/octet-stream")
    assert (garbage.status_code, garbage.json()["error"]["code"]) == (400, "unreadable_message")
    scoped = make_client(["cards:network"], name="one-customer", owners=["someone"])
    refused = scoped.generic("POST", "/api/v1/cards/iso8583", request, content_type="application/octet-stream")
    assert refused.status_code == 403
    assert (
        make_client(["cards:read"], name="reader")
        .generic("POST", "/api/v1/cards/iso8583", request, content_type="application/octet-stream")
        .status_code
        == 403
    )


def test_the_expiry_task_is_on_the_beat_schedule():
    from django.conf import settings

    from apps.cards.tasks import expire_authorisations

    entry = settings.CELERY_BEAT_SCHEDULE["cards-expire-authorisations"]
    assert (entry["task"], entry["schedule"]) == (expire_authorisations.name, 60.0)


@pytest.mark.django_db
def test_a_card_reported_lost_while_authorising_answers_41():
    from apps.cards.services import card_change_status

    card, pan = issued_card()
    card_change_status(card_id=card.public_id, status="LOST")
    assert authorise(pan, 100).response_code == "41"
