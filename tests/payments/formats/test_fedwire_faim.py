"""Fedwire FAIM: the two tag orders other software writes, every business function code (CTP, drawdowns, service
messages), and both the "*"-delimited and the fixed-width layouts."""

from __future__ import annotations

import dataclasses

import pytest

from apps.payments.formats import fedwire
from apps.payments.formats.detect import validate_file
from apps.payments.formats.errors import WARNING
from apps.payments.formats.fedwire import (
    BUSINESS_FUNCTIONS,
    MANDATORY_TAGS,
    build_fedwire_message,
    parse_fedwire_message,
)
from apps.payments.formats.fedwire.message import tag_order_problems

from .test_fedwire_golden import GOLDEN, sample_ctr, sample_drc


def _lines() -> list[str]:
    return (GOLDEN / "ctr.txt").read_text().splitlines()


def _text(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _problems(lines: list[str]) -> list:
    return fedwire.validate_raw(_text(lines))[1]


# --------------------------------------------------------------------------- tag order


def test_ascending_order_and_mandatory_tags_first_are_both_accepted() -> None:
    lines = _lines()
    assert _problems(lines) == []
    mandatory_first = [line for line in lines if line[:6] in MANDATORY_TAGS] + [
        line for line in lines if line[:6] not in MANDATORY_TAGS
    ]
    assert mandatory_first != lines  # {3320} moved after {3600}: not ascending any more
    assert _problems(mandatory_first) == []
    assert parse_fedwire_message(_text(mandatory_first)) == parse_fedwire_message(_text(lines))


@pytest.mark.parametrize(
    ("order", "wrong"),
    [
        (["{1510}", "{1500}", "{1520}", "{2000}", "{3100}", "{3400}", "{3600}"], "{1500}"),
        (["{1500}", "{1510}", "{2000}", "{1520}", "{3100}", "{3400}", "{3600}"], "{1520}"),
        (["{1500}", "{1510}", "{1520}", "{2000}", "{3400}", "{3100}", "{3600}"], "{3100}"),
        (["{1500}", "{1510}", "{1520}", "{2000}", "{3100}", "{3400}", "{3600}", "{5000}", "{4200}"], "{4200}"),
        (["{1500}", "{1510}", "{1520}", "{2000}", "{3100}", "{4200}", "{3400}", "{3600}", "{5000}"], "{3400}"),
    ],
)
def test_other_orders_are_refused_naming_the_tag(order: list[str], wrong: str) -> None:
    problems = tag_order_problems([(tag, line) for line, tag in enumerate(order, 1)])
    assert problems and problems[0].field == wrong and "out of order" in problems[0].reason
    assert problems[0].line == order.index(wrong) + 1
    assert problems[0].severity == "error"


def test_a_refused_order_in_a_whole_message() -> None:
    lines = _lines()
    swapped = [*lines[:9], lines[11], lines[10], lines[9], *lines[12:]]  # {5000} {4320} {4200}: optional tags descend
    assert any(e.field == "{4320}" and "optional tags must ascend" in e.reason for e in _problems(swapped))


# --------------------------------------------------------------------------- business function codes


def _for_code(code: str) -> fedwire.FedwireMessage:
    type_subtype = sorted(BUSINESS_FUNCTIONS[code])[0]
    base = sample_drc() if code in ("DRB", "DRC") else sample_ctr()
    message = dataclasses.replace(
        base, business_function_code=code, type_code=type_subtype[:2], subtype_code=type_subtype[2:]
    )
    if type_subtype[2:] in ("02", "08"):
        message = dataclasses.replace(message, previous_imad="20240104QMGFT015000099")
    if code == "DRB":
        message = dataclasses.replace(message, beneficiary=None, originator=None)
    if code not in ("CTR", "CTP", "DRW", "DRC"):
        message = dataclasses.replace(message, beneficiary=None if code != "DRB" else message.beneficiary)
    return message


@pytest.mark.parametrize("code", sorted(BUSINESS_FUNCTIONS))
def test_every_business_function_code_builds_parses_and_validates(code: str) -> None:
    message = _for_code(code)
    raw = build_fedwire_message(message)
    assert fedwire.validate_raw(raw) == (f"Fedwire {code}", [])
    assert parse_fedwire_message(raw) == message
    report = validate_file(raw)
    assert (report.format_name, report.message_type, report.valid) == ("Fedwire FAIM", f"Fedwire {code}", True)


def test_ctp_customer_transfer_plus() -> None:
    assert "CTP" in BUSINESS_FUNCTIONS
    message = dataclasses.replace(
        sample_ctr(),
        business_function_code="CTP",
        transaction_type_code="COV",
        other_tags=(("{3610}", "COVS"), ("{8200}", "REMITTANCE FREE TEXT*")),
    )
    raw = build_fedwire_message(message)
    assert fedwire.validate_raw(raw) == ("Fedwire CTP", [])
    assert parse_fedwire_message(raw).other_tags == (("{3610}", "COVS"), ("{8200}", "REMITTANCE FREE TEXT*"))
    # COV belongs to CTP: in a CTR it is a FAIM business rule broken (a warning), as is a CTP without a beneficiary
    ctr_cov = raw.replace(b"{3600}CTPCOV", b"{3600}CTRCOV")
    assert [(e.field, e.severity) for e in fedwire.validate_raw(ctr_cov)[1]] == [
        ("{3600}.transaction_type_code", WARNING)
    ]
    no_beneficiary = b"\n".join(line for line in raw.split(b"\n") if not line.startswith(b"{4200}"))
    assert any(e.field == "{4200}" and e.is_warning for e in fedwire.validate_raw(no_beneficiary)[1])


def test_drawdown_request_and_payment() -> None:
    request = (GOLDEN / "drc.txt").read_bytes()
    assert fedwire.validate_raw(request) == ("Fedwire DRC", [])
    payment = _for_code("DRW")
    assert (payment.type_code, payment.subtype_code) == ("10", "32")
    assert fedwire.validate_raw(build_fedwire_message(payment)) == ("Fedwire DRW", [])
    # the drawdown-only tags are refused (as a FAIM rule) outside drawdown requests
    with_4400 = build_fedwire_message(payment).replace(b"{5000}", b"{4400}D111222333*ACME*\n{5000}")
    assert any(e.field == "{4400}" and "drawdown" in e.reason for e in fedwire.validate_raw(with_4400)[1])


def test_service_message_with_zero_amount() -> None:
    service = dataclasses.replace(
        _for_code("SVC"), type_code="10", subtype_code="90", amount=0, additional_fi_to_fi=("PLEASE ADVISE STATUS",)
    )
    raw = build_fedwire_message(service)
    assert fedwire.validate_raw(raw) == ("Fedwire SVC", [])


# --------------------------------------------------------------------------- layouts


@pytest.mark.parametrize("sample", [sample_ctr, sample_drc])
def test_fixed_width_layout_reads_as_the_delimited_one(sample) -> None:
    message = sample()
    delimited = build_fedwire_message(message)
    fixed = build_fedwire_message(message, layout="fixed")
    assert b"*" not in fixed and fixed != delimited
    assert parse_fedwire_message(fixed) == parse_fedwire_message(delimited) == message
    assert build_fedwire_message(parse_fedwire_message(fixed), layout="fixed") == fixed  # byte-stable
    assert validate_file(fixed).valid


def test_fixed_width_positions() -> None:
    fixed = build_fedwire_message(sample_ctr(), layout="fixed").decode()
    beneficiary = next(line for line in fixed.splitlines() if line.startswith("{4200}"))[6:]
    assert beneficiary[0] == "D"
    assert beneficiary[1:35].rstrip() == "123456789" and beneficiary[35:70].rstrip() == "JOHN SMITH"
    assert beneficiary[70:105].rstrip() == "1 MAIN STREET"
    sender = next(line for line in fixed.splitlines() if line.startswith("{3100}"))[6:]
    assert sender == "121000248" + "WELLS FARGO NA".ljust(18)
    # a fixed-width element longer than its slot spills into the next: one element too many
    too_long = fixed.replace(beneficiary, beneficiary + " " * 40 + "EXTRA LINE")
    assert any(e.field == "{4200}" and "at most 5" in e.reason for e in fedwire.validate_raw(too_long.encode())[1])


def test_unknown_layout_is_refused() -> None:
    with pytest.raises(fedwire.MessageValidationError):
        build_fedwire_message(sample_ctr(), layout="csv")
