"""Fedwire FAIM rules: positive and negative cases, partner messages written by hand, properties and fuzz."""

from __future__ import annotations

import dataclasses
import string
from datetime import date

import pytest
from anyascii import anyascii
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.payments.formats import fedwire
from apps.payments.formats.errors import FieldError, MessageValidationError
from apps.payments.formats.fedwire import (
    FedwireMessage,
    FedwireParty,
    Imad,
    build_fedwire_message,
    parse_fedwire_message,
)
from apps.payments.formats.nacha import aba_check_digit

from .test_fedwire_golden import GOLDEN, SAMPLES, sample_btr, sample_ctr, sample_drc

PROPERTY_SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def errors_of(raw: bytes | str) -> list[FieldError]:
    return fedwire.validate_raw(raw.encode() if isinstance(raw, str) else raw)[1]


def has_error(errors: list[FieldError], field: str, reason_part: str = "", line: int | None = None) -> bool:
    return any(e.field == field and reason_part in e.reason and (line is None or e.line == line) for e in errors)


def ctr_text() -> str:
    return (GOLDEN / "ctr.txt").read_text()


def replace_tag(text: str, tag: str, new_line: str | None) -> str:
    lines = text.splitlines()
    out = [(new_line if line.startswith(tag) else line) for line in lines]
    return "\n".join(line for line in out if line is not None) + "\n"


# --------------------------------------------------------------------------- interface


def test_interface_sniff_validate_parse() -> None:
    raw = (GOLDEN / "ctr.txt").read_bytes()
    assert fedwire.FORMAT_NAME == "Fedwire FAIM"
    assert fedwire.looks_like(raw)
    assert fedwire.looks_like(b"  {1500}30")
    assert not fedwire.looks_like(b"101 091000019")
    assert fedwire.validate_raw(raw) == ("Fedwire CTR", [])
    assert fedwire.validate_raw((GOLDEN / "drc.txt").read_bytes()) == ("Fedwire DRC", [])
    assert fedwire.validate_raw(b"garbage")[0] == "Fedwire message"
    assert isinstance(fedwire.parse(raw), FedwireMessage)


# --------------------------------------------------------------------------- tag rules


@pytest.mark.parametrize("tag", ["{1500}", "{1510}", "{1520}", "{2000}", "{3100}", "{3400}", "{3600}"])
def test_every_message_needs_the_seven_mandatory_tags(tag: str) -> None:
    errors = errors_of(replace_tag(ctr_text(), tag, None))
    assert has_error(errors, tag, "mandatory tag is missing")


def test_ctr_needs_a_beneficiary() -> None:
    errors = errors_of(replace_tag(ctr_text(), "{4200}", None))
    assert has_error(errors, "{4200}", "mandatory for business function CTR")


def test_ctr_needs_originator_or_originator_fi() -> None:
    text = replace_tag(replace_tag(ctr_text(), "{5000}", None), "{5100}", None)
    assert has_error(errors_of(text), "{5000}", "originator {5000} or the originator FI {5100}")
    assert errors_of(replace_tag(ctr_text(), "{5000}", None)) == []


def test_drc_needs_drawdown_accounts() -> None:
    text = (GOLDEN / "drc.txt").read_text()
    errors = errors_of(replace_tag(replace_tag(text, "{4400}", None), "{5400}", None))
    assert has_error(errors, "{4400}", "mandatory for business function DRC")
    assert has_error(errors, "{5400}", "mandatory for business function DRC")


def test_drawdown_tags_are_refused_outside_drawdowns() -> None:
    text = ctr_text().replace("{6000}", "{5400}121000248\n{6000}")
    assert has_error(errors_of(text), "{5400}", "only allowed in drawdown requests, not CTR")


def test_reversal_needs_previous_imad() -> None:
    text = (GOLDEN / "ctr_reversal.txt").read_text()
    assert has_error(errors_of(replace_tag(text, "{3500}", None)), "{3500}", "must quote the previous message IMAD")


def test_type_subtype_must_fit_the_business_function() -> None:
    errors = errors_of(replace_tag(ctr_text(), "{1510}", "{1510}1031"))
    assert has_error(errors, "{1510}", "type/subtype 1031 is not allowed for business function CTR", line=2)
    assert has_error(errors_of(replace_tag(ctr_text(), "{1510}", "{1510}2000")), "{1510}.type_code", "10, 15 or 16")
    assert has_error(errors_of(replace_tag(ctr_text(), "{1510}", "{1510}1099")), "{1510}.subtype_code", "'99'")


def test_unknown_business_function_code() -> None:
    errors = errors_of(replace_tag(ctr_text(), "{3600}", "{3600}XYZ"))
    assert has_error(errors, "{3600}.business_function_code", "unknown or unsupported code 'XYZ'", line=8)
    assert fedwire.validate_raw(replace_tag(ctr_text(), "{3600}", "{3600}XYZ").encode())[0] == "Fedwire message"


def test_transaction_type_code_rules() -> None:
    assert errors_of(replace_tag(ctr_text(), "{3600}", "{3600}CTR   ")) == []
    assert has_error(
        errors_of(replace_tag(ctr_text(), "{3600}", "{3600}CTRCOV")), "{3600}.transaction_type_code", "'COV'"
    )
    btr = (GOLDEN / "btr.txt").read_text()
    assert has_error(errors_of(replace_tag(btr, "{3600}", "{3600}BTRABC")), "{3600}.transaction_type_code", "for BTR")


@pytest.mark.parametrize(
    ("content", "reason"),
    [("00000123456", "12 digits"), ("0000012345A7", "12 digits"), ("000000000000", "greater than zero")],
)
def test_amount_rules(content: str, reason: str) -> None:
    assert has_error(errors_of(replace_tag(ctr_text(), "{2000}", "{2000}" + content)), "{2000}", reason, line=4)


def test_bad_aba_check_digits_in_sender_receiver_and_party() -> None:
    text = replace_tag(ctr_text(), "{3100}", "{3100}121000249WELLS FARGO NA*")
    text = replace_tag(text, "{3400}", "{3400}021000022")
    text = replace_tag(text, "{4100}", "{4100}F021000020*JPMORGAN*")
    errors = errors_of(text)
    assert has_error(errors, "{3100}.aba", "check digit (expected 8)", line=5)
    assert has_error(errors, "{3400}.aba", "check digit", line=7)
    assert has_error(errors, "{4100}.identifier", "check digit", line=9)


def test_max_lengths_are_enforced() -> None:
    text = replace_tag(ctr_text(), "{4200}", "{4200}D123*" + "N" * 36 + "*")
    assert has_error(errors_of(text), "{4200}.name", "is 36 characters, at most 35")
    text = replace_tag(ctr_text(), "{3320}", "{3320}" + "R" * 17 + "*")
    assert has_error(errors_of(text), "{3320}", "at most 16")
    text = replace_tag(ctr_text(), "{6000}", "{6000}" + "*".join(["L"] * 5) + "*")
    assert has_error(errors_of(text), "{6000}", "has 5 lines, at most 4")
    text = replace_tag(ctr_text(), "{6100}", "{6100}" + "X" * 31 + "*")
    assert has_error(errors_of(text), "{6100}.line1", "at most 30")


def test_party_id_code_and_identifier_rules() -> None:
    assert has_error(errors_of(replace_tag(ctr_text(), "{4200}", "{4200}Z123*JOHN*")), "{4200}.id_code", "got 'Z'")
    assert has_error(errors_of(replace_tag(ctr_text(), "{4200}", "{4200}D*JOHN*")), "{4200}.identifier", "is required")
    assert has_error(errors_of(replace_tag(ctr_text(), "{4200}", "{4200}D123*")), "{4200}.name", "is required")


def test_sender_supplied_and_imad_rules() -> None:
    errors = errors_of(replace_tag(ctr_text(), "{1500}", "{1500}29QX000001X "))
    assert has_error(errors, "{1500}.format_version", "'30'", line=1)
    assert has_error(errors, "{1500}.test_production_code", "T or P", line=1)
    errors = errors_of(replace_tag(ctr_text(), "{1520}", "{1520}20241305QMGFT01500012X"))
    assert has_error(errors, "{1520}.cycle_date", "YYYYMMDD", line=3)
    assert has_error(errors, "{1520}.sequence", "6 digits", line=3)


def test_order_duplicates_and_stray_text() -> None:
    lines = ctr_text().splitlines()
    swapped = "\n".join([lines[1], lines[0], *lines[2:]])
    assert has_error(errors_of(swapped), "{1500}", "out of order", line=2)
    duplicated = ctr_text() + "{6000}AGAIN*\n"
    assert has_error(errors_of(duplicated), "{6000}", "appears more than once")
    assert has_error(errors_of("hello " + ctr_text()), "message", "text before the first tag", line=1)
    assert has_error(errors_of(ctr_text().replace("{6100}", "{61O0}")), "{6000}", "malformed tag")


def test_every_problem_is_reported_at_once() -> None:
    text = replace_tag(ctr_text(), "{2000}", "{2000}12")
    text = replace_tag(text, "{4200}", None)
    text = replace_tag(text, "{3400}", "{3400}021000022")
    with pytest.raises(MessageValidationError) as caught:
        parse_fedwire_message(text)
    assert {"{2000}", "{4200}", "{3400}.aba"} <= {e.field for e in caught.value.errors}
    assert caught.value.message_type == "Fedwire CTR"


def test_unmodelled_tags_are_carried_verbatim() -> None:
    text = ctr_text().replace("{3600}CTR\n", "{3600}CTR\n{3700}SUSD1,50*\n")
    message = parse_fedwire_message(text)
    assert message.other_tags == (("{3700}", "SUSD1,50*"),)
    assert build_fedwire_message(message).decode() == text


# --------------------------------------------------------------------------- builder rules


def test_builder_transliterates_and_rejects() -> None:
    message = dataclasses.replace(sample_ctr(), beneficiary=FedwireParty("D", "123", "Zoë Ångström"))
    assert parse_fedwire_message(build_fedwire_message(message)).beneficiary.name == "Zoe Angstrom"
    with pytest.raises(MessageValidationError) as caught:
        build_fedwire_message(dataclasses.replace(sample_ctr(), beneficiary=FedwireParty("D", "123", "A*B")))
    assert has_error(caught.value.errors, "{4200}.name", "must not contain '*'")
    with pytest.raises(MessageValidationError) as caught:
        build_fedwire_message(dataclasses.replace(sample_ctr(), amount=1_000_000_000_000))
    assert has_error(caught.value.errors, "{2000}", "12 digits")
    with pytest.raises(MessageValidationError):
        build_fedwire_message(dataclasses.replace(sample_ctr(), amount=12.5))


def test_builder_edge_amounts() -> None:
    for amount in (1, 999_999_999_999):
        message = dataclasses.replace(sample_btr(), amount=amount)
        assert parse_fedwire_message(build_fedwire_message(message)).amount == amount


def test_builder_refuses_missing_mandatory_party() -> None:
    with pytest.raises(MessageValidationError) as caught:
        build_fedwire_message(dataclasses.replace(sample_drc(), account_debited_drawdown=None))
    assert has_error(caught.value.errors, "{4400}", "mandatory for business function DRC")


# --------------------------------------------------------------------------- partner messages written by hand

# A customer transfer as another bank's wire system sends it: no line breaks, '*' after every
# variable element, an editor-stripped blank duplication code, {3600} with a blank transaction type.
PARTNER_CTR = (
    "{1500}30        P"
    "{1510}1000"
    "{1520}20240312MMQFMP9B000042"
    "{2000}000250000000"
    "{3100}011000015FRB BOSTON*"
    "{3320}ABC123456789*"
    "{3400}091000019WELLS MPLS*"
    "{3600}CTR   "
    "{4100}F091000019*WELLS FARGO BANK NA*"
    "{4200}D00012345678*GLOBEX CORPORATION*100 INDUSTRIAL WAY*SPRINGFIELD IL 62701*"
    "{5000}D9988776655*INITECH LLC*4120 FREIDRICH LANE*AUSTIN TX 78744*"
    "{6000}PO 7781 FINAL PAYMENT*"
    "{6100}/BNF/CALL BEFORE CREDIT*"
)

PARTNER_BTR_WITH_ERRORS = (
    "{1500}30        P \n"
    "{1510}1600\n"
    "{1520}20240312MMQFMP9B000043\n"
    "{2000}00005000000\n"  # 11 digits
    "{3100}011000015FRB BOSTON*\n"
    "{3400}091000018WELLS MPLS*\n"  # wrong check digit
    "{3600}BTR\n"
    "{4400}D123*NOT ALLOWED*\n"  # drawdown-only tag
)


def test_partner_ctr_without_line_breaks_parses() -> None:
    message = parse_fedwire_message(PARTNER_CTR.encode())
    assert message.amount == 250_000_000
    assert message.imad == Imad(date(2024, 3, 12), "MMQFMP9B", "000042")
    assert message.user_request_correlation == "" and message.message_duplication_code == ""
    assert message.beneficiary.address == ("100 INDUSTRIAL WAY", "SPRINGFIELD IL 62701")
    assert message.receiver_fi_information == ("/BNF/CALL BEFORE CREDIT",)
    assert fedwire.looks_like(PARTNER_CTR.encode())


def test_partner_btr_problems_are_all_reported_with_lines() -> None:
    message_type, errors = fedwire.validate_raw(PARTNER_BTR_WITH_ERRORS.encode())
    assert message_type == "Fedwire BTR"
    assert has_error(errors, "{2000}", "12 digits", line=4)
    assert has_error(errors, "{3400}.aba", "check digit", line=6)
    assert has_error(errors, "{4400}", "only allowed in drawdown requests", line=8)


# --------------------------------------------------------------------------- properties and fuzz

safe_text = st.text(alphabet=string.ascii_uppercase + string.digits + " ./-,", min_size=1, max_size=35)
routing_numbers = st.from_regex(r"[0-9]{8}", fullmatch=True).map(lambda p: p + str(aba_check_digit(p)))


def _fit(limit: int) -> st.SearchStrategy[str]:
    return safe_text.map(lambda s: s[:limit])


@st.composite
def parties(draw: st.DrawFn) -> FedwireParty:
    return FedwireParty(
        id_code="D",
        identifier=draw(_fit(34)),
        name=draw(_fit(35)),
        address=tuple(draw(st.lists(_fit(35), max_size=3))),
    )


@st.composite
def ctr_messages(draw: st.DrawFn) -> FedwireMessage:
    return FedwireMessage(
        type_code=draw(st.sampled_from(["10", "15", "16"])),
        subtype_code="00",
        imad=Imad(
            draw(st.dates(date(2000, 1, 1), date(2099, 12, 31))),
            "QMGFT015",
            draw(st.from_regex(r"[0-9]{6}", fullmatch=True)),
        ),
        amount=draw(st.one_of(st.sampled_from([1, 999_999_999_999]), st.integers(1, 999_999_999_999))),
        sender_aba=draw(routing_numbers),
        receiver_aba=draw(routing_numbers),
        business_function_code="CTR",
        sender_short_name=draw(st.one_of(st.just(""), _fit(18))),
        user_request_correlation=draw(st.from_regex(r"[A-Z0-9]{0,8}", fullmatch=True)),
        sender_reference=draw(st.one_of(st.just(""), _fit(16))),
        beneficiary=draw(parties()),
        originator=draw(parties()),
        originator_to_beneficiary=tuple(draw(st.lists(_fit(35), max_size=4))),
        beneficiary_information=tuple(draw(st.lists(_fit(30), max_size=1))),
    )


@PROPERTY_SETTINGS
@given(ctr_messages(), st.sampled_from(["\n", "\r\n", ""]))
def test_random_ctr_messages_round_trip(message: FedwireMessage, separator: str) -> None:
    assert parse_fedwire_message(build_fedwire_message(message, separator=separator)) == message


@PROPERTY_SETTINGS
@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FFF, exclude_categories=("Cs",)),
        min_size=1,
        max_size=35,
    )
)
def test_non_ascii_names_are_transliterated_or_rejected(name: str) -> None:
    message = dataclasses.replace(sample_ctr(), beneficiary=FedwireParty("D", "123", name))
    try:
        raw = build_fedwire_message(message)
    except MessageValidationError as exc:
        assert {e.field for e in exc.errors} == {"{4200}.name"}
        return
    assert parse_fedwire_message(raw).beneficiary.name == anyascii(name)


def _never_raises_anything_else(raw: bytes) -> None:
    message_type, errors = fedwire.validate_raw(raw)
    assert isinstance(message_type, str)
    try:
        fedwire.parse(raw)
    except MessageValidationError as exc:
        assert exc.errors
    fedwire.looks_like(raw)


@PROPERTY_SETTINGS
@given(st.one_of(st.binary(max_size=600), st.text(alphabet="{}0123456789*ABCD \n", max_size=300).map(str.encode)))
def test_fuzz_arbitrary_input(raw: bytes) -> None:
    _never_raises_anything_else(raw)


@PROPERTY_SETTINGS
@given(
    st.sampled_from(sorted(SAMPLES)),
    st.lists(
        st.tuples(
            st.integers(0, 5000),
            st.sampled_from(b"{}*0123456789AZ \n\xff"),
            st.sampled_from(["set", "insert", "delete"]),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_fuzz_mutations_of_valid_messages(name: str, mutations: list[tuple[int, int, str]]) -> None:
    data = bytearray((GOLDEN / name).read_bytes())
    for position, value, action in mutations:
        position %= len(data) or 1
        if action == "set":
            data[position] = value
        elif action == "insert":
            data.insert(position, value)
        elif data:
            del data[position]
    _never_raises_anything_else(bytes(data))
