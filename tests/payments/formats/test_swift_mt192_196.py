"""MT192 / MT292 request for cancellation and MT196 / MT296 answers: built, read back, partner layouts, rules."""

from __future__ import annotations

from datetime import date

import pytest

from apps.payments.formats import swift_mt
from apps.payments.formats.detect import validate_file
from apps.payments.formats.errors import WARNING, MessageValidationError
from apps.payments.formats.swift_mt import (
    MT192,
    MT196,
    MT292,
    MT296,
    OriginalMessage,
    build_mt192,
    build_mt196,
    make_envelope,
    parse_message,
    parse_mt192,
    parse_mt196,
)

ORIGINAL = OriginalMessage("103", date(2026, 3, 2), "1234", "567890")
COPY = (
    ("20", "REF-103-0001"),
    ("23B", "CRED"),
    ("32A", "260302EUR1000,00"),
    ("50K", "/DE89370400440532013000\nMAX MUSTERMANN"),
)


def sample_mt192(**overrides) -> MT192:
    values = dict(
        header=make_envelope("192", sender_bic="DEUTDEFFXXX", receiver_bic="CHASUS33XXX"),
        transaction_reference="CNCL-0001",
        related_reference="REF-103-0001",
        original_message=ORIGINAL,
        narrative=("DUPLICATE PAYMENT, PLEASE CANCEL",),
        original_fields=COPY,
    )
    values.update(overrides)
    return MT192(**values)


def sample_mt196(**overrides) -> MT196:
    values = dict(
        header=make_envelope("196", sender_bic="CHASUS33XXX", receiver_bic="DEUTDEFFXXX"),
        transaction_reference="ANS-0001",
        related_reference="CNCL-0001",
        answers=("/CNCL/",),
        original_message=OriginalMessage("192", date(2026, 3, 3)),
        original_message_option="R",
    )
    values.update(overrides)
    return MT196(**values)


def test_mt192_with_narrative_and_copy_reads_back_identical() -> None:
    message = sample_mt192()
    text = build_mt192(message)
    assert ":11S:103\r\n260302\r\n1234567890\r\n:79:DUPLICATE PAYMENT, PLEASE CANCEL\r\n:20:REF-103-0001\r\n" in text
    parsed = parse_mt192(text)
    assert parsed == message
    assert parsed.original_field("32A") == "260302EUR1000,00"
    assert parsed.original_field("50K").startswith("/DE89")
    assert swift_mt.validate_raw(text.encode()) == ("MT192", [])


def test_partner_mt192_with_lf_copy_only_and_no_session() -> None:
    text = (
        "{1:F01CHASUS33AXXX0000000000}{2:I192DEUTDEFFXXXXN}{4:\n:20:CXL/REQ/77\n:21:OUR103REF\n"
        ":11S:103\n260301\n:20:OUR103REF\n:23B:CRED\n:32A:260301USD250000,\n:50A:CHASUS33\n:59:/12345\nACME\n"
        ":71A:OUR\n-}"
    )
    message = parse_mt192(text)
    assert message.original_message == OriginalMessage("103", date(2026, 3, 1))
    assert message.narrative == ()
    assert [tag for tag, _ in message.original_fields] == ["20", "23B", "32A", "50A", "59", "71A"]
    assert validate_file(text.encode()).errors == []


def test_mt292_cancels_an_mt202() -> None:
    message = MT292(
        header=make_envelope("292", sender_bic="DEUTDEFFXXX", receiver_bic="CHASUS33XXX"),
        transaction_reference="CNCL-202",
        related_reference="REF-202-1",
        original_message=OriginalMessage("202", date(2026, 3, 2)),
        narrative=("COVER SENT TWICE",),
    )
    text = message.to_fin()
    parsed = parse_message(text)
    assert isinstance(parsed, MT292) and parsed == message
    assert parsed.message_type == "MT292"


def test_mt192_needs_narrative_or_copy() -> None:
    text = build_mt192(sample_mt192(original_fields=())).replace(":79:DUPLICATE PAYMENT, PLEASE CANCEL\r\n", "")
    message_type, errors = swift_mt.validate_raw(text.encode())
    assert message_type == "MT192"
    assert [(e.field, e.severity) for e in errors] == [(":79:", WARNING)]
    assert "C1" in errors[0].reason


def test_mt192_11s_is_checked_and_names_its_line() -> None:
    text = build_mt192(sample_mt192()).replace(":11S:103\r\n260302", ":11S:103\r\n260231")
    with pytest.raises(MessageValidationError) as raised:
        parse_mt192(text)
    error = next(e for e in raised.value.errors if e.field == ":11S:")
    assert error.line == text.split("\r\n").index("260231") + 1
    broken = build_mt192(sample_mt192()).replace(":11S:103\r\n", ":11S:10\r\n")
    errors = swift_mt.validate_raw(broken.encode())[1]
    assert errors[0].field == ":11S:" and "3!n" in errors[0].reason


def test_mt192_cancelling_a_category_2_message_is_a_rule_break() -> None:
    text = build_mt192(sample_mt192()).replace(":11S:103\r\n", ":11S:202\r\n")
    message_type, errors = swift_mt.validate_raw(text.encode())
    assert message_type == "MT192"
    assert [(e.field, e.severity) for e in errors] == [(":11S:", WARNING)]
    with pytest.raises(MessageValidationError, match="category 1"):
        build_mt192(sample_mt192(original_message=OriginalMessage("202", date(2026, 3, 2))))


def test_mt196_answer_codes_and_round_trip() -> None:
    for answers, code, reason in (
        (("/CNCL/",), "CNCL", None),
        (("/RJCR/NOOR", "PAYMENT ALREADY CREDITED"), "RJCR", "NOOR"),
        (("/PDCR/",), "PDCR", None),
        (("WE HAVE NO RECORD",), None, None),
    ):
        message = sample_mt196(answers=answers)
        parsed = parse_mt196(build_mt196(message))
        assert parsed == message
        assert (parsed.answer_code, parsed.reason_code) == (code, reason)


def test_mt196_with_77a_11s_and_copy() -> None:
    message = sample_mt196(
        narrative_77a=("SEE BELOW",),
        original_message=OriginalMessage("192", date(2026, 3, 3), "0001", "000123"),
        original_message_option="S",
        original_fields=(("20", "CNCL-0001"), ("21", "REF-103-0001")),
    )
    text = build_mt196(message)
    assert ":11S:192\r\n260303\r\n0001000123\r\n:20:CNCL-0001\r\n" in text
    assert parse_mt196(text) == message


def test_mt196_narrative_and_copy_together_break_c1() -> None:
    message = sample_mt196(narrative=("ALREADY PAID",), original_fields=(("20", "CNCL-0001"),))
    with pytest.raises(MessageValidationError) as raised:
        build_mt196(message)
    assert [(e.field, e.severity) for e in raised.value.errors] == [(":79:", WARNING)]


def test_mt196_cancellation_answer_without_11a_is_a_rule_break() -> None:
    text = build_mt196(sample_mt196()).replace(":11R:192\r\n260303\r\n", "")
    errors = swift_mt.validate_raw(text.encode())[1]
    assert [(e.field, e.severity) for e in errors] == [(":11a:", WARNING)]


def test_mt196_needs_answers() -> None:
    text = build_mt196(sample_mt196()).replace(":76:/CNCL/\r\n", "")
    errors = swift_mt.validate_raw(text.encode())[1]
    assert any(e.field == ":76:" and "mandatory" in e.reason for e in errors)


def test_mt296_is_an_mt196_of_category_2() -> None:
    message = MT296(
        **{
            **sample_mt196().__dict__,
            "header": make_envelope("296", sender_bic="CHASUS33XXX", receiver_bic="DEUTDEFFXXX"),
        }
    )
    assert isinstance(parse_message(message.to_fin()), MT296)
    with pytest.raises(MessageValidationError, match="expected MT192, got MT196"):
        parse_mt192(build_mt196(sample_mt196()))
