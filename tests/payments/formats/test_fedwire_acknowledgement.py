"""The Fed's acknowledgement: accepted with OMAD, rejected with an error, read back by our parser."""

from __future__ import annotations

from datetime import date

import pytest

from apps.payments.formats.errors import MessageValidationError
from apps.payments.formats.fedwire import (
    STATUS_ACCEPTED_VALUE,
    STATUS_REJECTED,
    FedwireAcknowledgement,
    FedwireError,
    Omad,
    build_fedwire_acknowledgement,
    parse_fedwire_acknowledgement,
)

from .test_fedwire_golden import GOLDEN, IMAD, sample_ctr

OMAD = Omad(date(2024, 1, 5), "QMGFT015", "000777", "0105", "1432")


def test_accepted_acknowledgement_carries_imad_and_omad() -> None:
    original = (GOLDEN / "ctr.txt").read_text()
    ack = FedwireAcknowledgement(
        status=STATUS_ACCEPTED_VALUE,
        acknowledged_date="0105",
        acknowledged_time="1432",
        original_text=original,
        omad=OMAD,
    )
    raw = build_fedwire_acknowledgement(ack)
    assert raw.decode().splitlines()[:3] == [
        "{1100}30P 2",
        "{1110}01051432FT01",
        "{1120}20240105QMGFT01500077701051432FT01",
    ]
    read = parse_fedwire_acknowledgement(raw)
    assert read.accepted and read.omad == OMAD and read.error is None
    assert read.message == sample_ctr()
    assert str(read.message.imad) == str(IMAD)


def test_rejection_keeps_an_unreadable_original_verbatim() -> None:
    ack = FedwireAcknowledgement(
        status=STATUS_REJECTED,
        acknowledged_date="0105",
        acknowledged_time="0900",
        original_text="{1500}garbage\n",
        error=FedwireError("E", "101", "{2000} amount is not numeric"),
    )
    read = parse_fedwire_acknowledgement(build_fedwire_acknowledgement(ack))
    assert not read.accepted
    assert read.error == FedwireError("E", "101", "(2000) amount is not numeric")
    assert read.message is None and read.original_text == "{1500}garbage\n"


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"status": "2", "omad": None}, "{1120}"), ({"status": "3"}, "{1130}"), ({"status": "9"}, "{1100}.status")],
)
def test_builder_refuses_an_inconsistent_acknowledgement(changes: dict, field: str) -> None:
    values = dict(status="2", acknowledged_date="0105", acknowledged_time="1432", original_text="{1500}x\n", omad=OMAD)
    values.update(changes)
    with pytest.raises(MessageValidationError) as raised:
        build_fedwire_acknowledgement(FedwireAcknowledgement(**values))
    assert any(e.field == field for e in raised.value.errors)


def test_parser_reports_missing_disposition_and_bad_omad() -> None:
    with pytest.raises(MessageValidationError) as raised:
        parse_fedwire_acknowledgement("{1110}01051432FT01\n{1120}2024XX05\n{1500}30\n")
    fields = {e.field for e in raised.value.errors}
    assert {"{1100}", "{1120}"} <= fields


def test_accepted_acknowledgement_of_an_invalid_message_is_refused() -> None:
    raw = "{1100}30P 2\n{1110}01051432FT01\n{1120}" + str(OMAD) + "\n{1500}garbage\n"
    with pytest.raises(MessageValidationError) as raised:
        parse_fedwire_acknowledgement(raw)
    assert any(e.field.startswith("message ") for e in raised.value.errors)
