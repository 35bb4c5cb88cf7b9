"""MT199 free format message: built, read back, and the network rules on :20: and :79:."""

from __future__ import annotations

import pytest

from apps.payments.formats import swift_mt
from apps.payments.formats.errors import MessageValidationError
from apps.payments.formats.swift_mt import MT199, build_mt199, make_envelope, parse_mt199

UETR = "4ea9a342-b4d0-48ec-ada5-42e315199ee9"


def sample_mt199(**overrides) -> MT199:
    values = dict(
        header=make_envelope("199", sender_bic="DEUTDEFFXXX", receiver_bic="CHASUS33XXX", uetr=UETR),
        transaction_reference="STATUS-1",
        related_reference="INVOICE-2024-001",
        narrative=("//2401051530+0000", "//ACSC"),
    )
    values.update(overrides)
    return MT199(**values)


def test_mt199_reads_back_identical() -> None:
    message = sample_mt199()
    text = build_mt199(message)
    assert text.startswith("{1:F01DEUTDEFFAXXX0000000000}{2:I199CHASUS33XXXXN}{3:{121:" + UETR + "}}")
    assert ":79://2401051530+0000\r\n//ACSC\r\n-}" in text
    assert parse_mt199(text) == message
    assert swift_mt.validate_raw(text.encode()) == ("MT199", [])


def test_partner_mt199_with_lf_and_no_related_reference() -> None:
    text = "{1:F01CHASUS33AXXX0000000000}{2:I199DEUTDEFFXXXXN}{4:\n:20:FREE-1\n:79:PLEASE CONFIRM\nRECEIPT\n-}"
    message = parse_mt199(text)
    assert message.related_reference is None
    assert message.narrative == ("PLEASE CONFIRM", "RECEIPT")
    assert message.uetr is None


def test_mt199_needs_narrative_79() -> None:
    text = "{1:F01CHASUS33AXXX0000000000}{2:I199DEUTDEFFXXXXN}{4:\n:20:FREE-1\n-}"
    with pytest.raises(MessageValidationError) as raised:
        parse_mt199(text)
    assert any(e.field == ":79:" and "mandatory" in e.reason for e in raised.value.errors)


def test_mt199_narrative_lines_are_at_most_50_characters() -> None:
    with pytest.raises(MessageValidationError) as raised:
        build_mt199(sample_mt199(narrative=("x" * 51,)))
    assert any(e.field == ":79:" and "at most 50" in e.reason for e in raised.value.errors)
    build_mt199(sample_mt199(narrative=("x" * 50,) * 35))


def test_mt199_is_not_an_mt103() -> None:
    with pytest.raises(MessageValidationError, match="expected MT103, got MT199"):
        swift_mt.parse_mt103(build_mt199(sample_mt199()))


def test_mt299_is_the_category_2_free_format_message() -> None:
    message = swift_mt.MT299(
        **{
            **sample_mt199().__dict__,
            "header": make_envelope("299", sender_bic="DEUTDEFFXXX", receiver_bic="CHASUS33XXX"),
        }
    )
    text = message.to_fin()
    assert "{2:I299CHASUS33XXXXN}" in text
    assert swift_mt.parse_mt299(text) == message
    assert swift_mt.validate_raw(text.encode()) == ("MT299", [])
    with pytest.raises(MessageValidationError, match="expected MT299, got MT199"):
        swift_mt.parse_mt299(build_mt199(sample_mt199()))
