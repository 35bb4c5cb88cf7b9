"""Every field rule of the MT parsers, each with a passing and a failing case.

Messages are written as text (like a partner bank would send them) from a minimal valid MT103,
with one field changed, added or removed per case; the assertion names the field tag and the reason.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from apps.payments.formats.errors import FieldError, MessageValidationError
from apps.payments.formats.swift_mt import MT103, MT202COV, MT940, Institution, Party, parse

UETR = "eb6305c9-1f7f-49de-aed0-16487c27b42d"
MT103_ORDER = [
    "20",
    "13C",
    "23B",
    "23E",
    "26T",
    "32A",
    "33B",
    "36",
    "50K",
    "50A",
    "50F",
    "51A",
    "52A",
    "52D",
    "53A",
    "53B",
    "54A",
    "55A",
    "56A",
    "56C",
    "57A",
    "57B",
    "57D",
    "59",
    "59A",
    "59F",
    "70",
    "71A",
    "71F",
    "71G",
    "72",
    "77B",
]
MINIMAL_MT103 = {
    "20": "REF1",
    "23B": "CRED",
    "32A": "240315USD1000,00",
    "50K": "/123\nACME",
    "59": "/456\nMUSTER",
    "71A": "SHA",
}


def fin(block4: list[tuple[str, str]], *, mt: str = "103", block3: str | None = None) -> str:
    """Return a FIN message with LF line endings, as many partner systems write it."""
    header3 = block3 if block3 is not None else f"{{3:{{121:{UETR}}}}}"
    body = "\n".join(f":{tag}:{value}" for tag, value in block4)
    return f"{{1:F01CHASUS33AXXX0000000000}}{{2:I{mt}DEUTDEFFXXXXN}}{header3}{{4:\n{body}\n-}}"


def mt103_text(block3: str | None = None, **changes: str | None) -> str:
    """Minimal valid MT103 with fields replaced (value), added (new tag) or removed (None)."""
    fields = dict(MINIMAL_MT103)
    for key, value in changes.items():
        tag = key.removeprefix("f")
        if value is None:
            fields.pop(tag, None)
        else:
            fields[tag] = value
    ordered = sorted(fields.items(), key=lambda item: MT103_ORDER.index(item[0]))
    return fin(ordered, block3=block3)


def errors_of(text: str) -> list[FieldError]:
    with pytest.raises(MessageValidationError) as caught:
        parse(text)
    return caught.value.errors


def assert_error(text: str, field: str, reason: str) -> None:
    errors = errors_of(text)
    assert any(e.field == field and reason in e.reason for e in errors), errors


def test_minimal_mt103_is_valid() -> None:
    message = parse(mt103_text())
    assert isinstance(message, MT103)
    assert message.amount == Decimal("1000.00")


# --------------------------------------------------------------------------- :32A: and amounts

VALID_32A = [
    ("240315USD1000,00", date(2024, 3, 15), "USD", Decimal("1000")),
    ("240315USD1,5", date(2024, 3, 15), "USD", Decimal("1.5")),
    ("240315USD0,01", date(2024, 3, 15), "USD", Decimal("0.01")),
    ("240315USD1000,", date(2024, 3, 15), "USD", Decimal("1000")),
    ("240315JPY1000,", date(2024, 3, 15), "JPY", Decimal("1000")),
    ("240315KWD1,234", date(2024, 3, 15), "KWD", Decimal("1.234")),
    ("240315USD123456789012,34", date(2024, 3, 15), "USD", Decimal("123456789012.34")),
    ("991231EUR5,", date(1999, 12, 31), "EUR", Decimal("5")),
    ("240229EUR5,", date(2024, 2, 29), "EUR", Decimal("5")),
]


@pytest.mark.parametrize(("text", "value_date", "currency", "amount"), VALID_32A)
def test_valid_32a_is_read(text: str, value_date: date, currency: str, amount: Decimal) -> None:
    message = parse(mt103_text(f32A=text))
    assert (message.value_date, message.currency, message.amount) == (value_date, currency, amount)


INVALID_32A = [
    ("240315USD1000", "must contain a decimal comma"),
    ("240315USD1000.00", "must use a comma as decimal separator"),
    ("240315USD1,000,00", "must be digits with one decimal comma"),
    ("240315USD,50", "must be digits with one decimal comma"),
    ("240315JPY1000,5", "JPY allows at most 0 decimal places"),
    ("240315JPY1000,0", "JPY allows at most 0 decimal places"),
    ("240315KWD1,2345", "KWD allows at most 3 decimal places"),
    ("240315USD1,001", "USD allows at most 2 decimal places"),
    ("240315USD1234567890123,45", "longer than 15 characters"),
    ("240315USD0,00", "amount must not be zero"),
    ("240230USD1,00", "not a valid calendar date"),
    ("240315ABC1,00", "unknown ISO 4217 currency 'ABC'"),
    ("240315usd1,00", "expected YYMMDD, currency and amount"),
    ("2403USD1,00", "expected YYMMDD, currency and amount"),
]


@pytest.mark.parametrize(("text", "reason"), INVALID_32A)
def test_invalid_32a_is_refused_with_reason(text: str, reason: str) -> None:
    assert_error(mt103_text(f32A=text), ":32A:", reason)


def test_32a_error_carries_its_line_number() -> None:
    errors = errors_of(mt103_text(f32A="240315USD1.00"))
    assert [(e.field, e.line) for e in errors] == [(":32A:", 4)]


@pytest.mark.parametrize(
    ("tag", "text", "reason"),
    [
        ("33B", "EUR1,", None),
        ("33B", "EUR1.00", "must use a comma"),
        ("33B", "EU1,00", "expected currency and amount"),
        ("33B", "ABC1,00", "unknown ISO 4217 currency"),
        ("71F", "USD0,", None),
        ("71F", "JPY1,5", "JPY allows at most 0 decimal places"),
    ],
)
def test_currency_amount_fields(tag: str, text: str, reason: str | None) -> None:
    extra = {"f36": "1,1"} if tag == "33B" else {"f33B": "USD1000,"}
    message_text = mt103_text(**{f"f{tag}": text}, **extra)
    if reason is None:
        parse(message_text)
    else:
        assert_error(message_text, f":{tag}:", reason)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0,9", None),
        ("1,08518", None),
        ("1.5", "must use a comma"),
        ("12345678901,5", "longer than 12"),
        ("0,", "zero"),
    ],
)
def test_36_exchange_rate_format(text: str, reason: str | None) -> None:
    message_text = mt103_text(f33B="EUR900,", f36=text)
    if reason is None:
        assert parse(message_text).exchange_rate == Decimal(text.replace(",", "."))
    else:
        assert_error(message_text, ":36:", reason)


# --------------------------------------------------------------------------- references and codes


@pytest.mark.parametrize("text", ["REF1", "ABC/123", "A-B?C:D(E).F,G'H", "(+)", "1234567890123456"])
def test_valid_20_reference(text: str) -> None:
    assert parse(mt103_text(f20=text)).sender_reference == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("/ABC", "must not start or end with '/'"),
        ("ABC/", "must not start or end with '/'"),
        ("A//B", "contain '//'"),
        ("12345678901234567", "longer than 16 characters"),
    ],
)
def test_invalid_20_reference(text: str, reason: str) -> None:
    assert_error(mt103_text(f20=text), ":20:", reason)


@pytest.mark.parametrize("code", ["CRED", "SPAY", "SPRI", "SSTD"])
def test_23b_accepts_bank_operation_codes(code: str) -> None:
    assert parse(mt103_text(f23B=code)).bank_operation_code == code


def test_23b_refuses_other_codes() -> None:
    assert_error(mt103_text(f23B="CRTX"), ":23B:", "'CRTX' is not one of CRED, SPAY, SPRI, SSTD")


@pytest.mark.parametrize("code", ["OUR", "SHA"])
def test_71a_accepts_charges_codes(code: str) -> None:
    assert parse(mt103_text(f71A=code)).details_of_charges == code


def test_71a_ben_needs_71f() -> None:
    assert parse(mt103_text(f71A="BEN", f71F="USD1,", f33B="USD1001,")).details_of_charges == "BEN"
    assert_error(mt103_text(f71A="BEN"), ":71F:", "at least one :71F: is mandatory when :71A: is BEN")


def test_71a_refuses_other_codes() -> None:
    assert_error(mt103_text(f71A="ALL"), ":71A:", "'ALL' is not one of BEN, OUR, SHA")


@pytest.mark.parametrize(("text", "reason"), [("K90", None), ("001", None), ("k90", "3 upper-case"), ("K9", "3 upper")])
def test_26t_transaction_type_code(text: str, reason: str | None) -> None:
    if reason is None:
        assert parse(mt103_text(f26T=text)).transaction_type_code == text
    else:
        assert_error(mt103_text(f26T=text), ":26T:", reason)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("/SNDTIME/1015+0100", None),
        ("/CLSTIME/2359-1300", None),
        ("SNDTIME/1015+0100", "expected /CODE/HHMM+HHMM"),
        ("/SNDTIME/2415+0100", "invalid time or UTC offset"),
    ],
)
def test_13c_time_indication(text: str, reason: str | None) -> None:
    if reason is None:
        parse(mt103_text(f13C=text))
    else:
        assert_error(mt103_text(f13C=text), ":13C:", reason)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("INTC", None),
        ("PHON/0049691234", None),
        ("XXXX", "instruction code 'XXXX' is not one of"),
        ("PHON/", "additional information after '/' must be 1 to 30"),
    ],
)
def test_23e_instruction_code(text: str, reason: str | None) -> None:
    if reason is None:
        parse(mt103_text(f23E=text))
    else:
        assert_error(mt103_text(f23E=text), ":23E:", reason)


# --------------------------------------------------------------------------- parties and institutions


@pytest.mark.parametrize(
    ("tag", "text", "expected"),
    [
        (
            "50K",
            "/123456789\nACME CORP\n1 MAIN STREET\nNEW YORK\nUS",
            Party("K", "123456789", None, ("ACME CORP", "1 MAIN STREET", "NEW YORK", "US")),
        ),
        ("50K", "ACME CORP", Party("K", None, None, ("ACME CORP",))),
        ("50A", "/123\nCHASUS33XXX", Party("A", "123", "CHASUS33XXX")),
        ("50A", "CHASUS33", Party("A", None, "CHASUS33")),
        (
            "50F",
            "/DE89370400440532013000\n1/HANS MEIER\n3/DE/BERLIN",
            Party("F", "DE89370400440532013000", None, ("1/HANS MEIER", "3/DE/BERLIN")),
        ),
        ("50F", "CCPT/DE/X1234567\n1/HANS MEIER", Party("F", None, None, ("1/HANS MEIER",), "CCPT/DE/X1234567")),
    ],
)
def test_valid_50a_options(tag: str, text: str, expected: Party) -> None:
    message = parse(mt103_text(**{"f50K": None, f"f{tag}": text}))
    assert message.ordering_customer == expected


@pytest.mark.parametrize(
    ("tag", "text", "reason"),
    [
        ("50K", "/1\nA\nB\nC\nD\nE", "at most 4 lines of name and address allowed, got 5"),
        ("50K", "/1\n" + "N" * 36, "is 36 characters, at most 35 allowed"),
        ("50K", "/" + "1" * 35 + "\nACME", "account is 35 characters, at most 34 allowed"),
        ("50K", "/123", "name and address line is missing"),
        ("50A", "CHAS1S33", "BIC must be 8 or 11 upper-case"),
        ("50A", "XXXXXX33", "Invalid country code"),
        ("50A", "/1\nCHASUS33\nEXTRA", "exactly one BIC line"),
        ("50F", "/123\n9/NAME", "option F line must be n/33x"),
        ("50F", "/123\n2/STREET 1", "must give the name (line number 1) first"),
        ("50F", "JUST A NAME\n1/NAME", "party identifier must be /account or CODE/CC/identifier"),
    ],
)
def test_invalid_50a_options(tag: str, text: str, reason: str) -> None:
    assert_error(mt103_text(**{"f50K": None, f"f{tag}": text}), f":{tag}:", reason)


@pytest.mark.parametrize(
    ("tag", "text", "expected"),
    [
        ("59", "MUSTER GMBH", Party("", None, None, ("MUSTER GMBH",))),
        ("59A", "/DE44500105175407324931\nCOBADEFFXXX", Party("A", "DE44500105175407324931", "COBADEFFXXX")),
        (
            "59F",
            "/123\n1/JANE DOE\n2/MAIN ST 1\n3/GB/LONDON",
            Party("F", "123", None, ("1/JANE DOE", "2/MAIN ST 1", "3/GB/LONDON")),
        ),
    ],
)
def test_valid_59a_options(tag: str, text: str, expected: Party) -> None:
    assert parse(mt103_text(**{"f59": None, f"f{tag}": text})).beneficiary_customer == expected


def test_59_option_k_is_not_allowed() -> None:
    text = mt103_text().replace(":59:", ":59K:")
    assert_error(text, ":59K:", "option K is not allowed here (allowed: no letter, A, F)")


@pytest.mark.parametrize(
    ("tag", "text", "expected"),
    [
        ("52A", "CHASUS33", Institution("A", bic="CHASUS33")),
        ("52A", "/D/12345\nCHASUS33", Institution("A", account="12345", dc_mark="D", bic="CHASUS33")),
        ("52D", "/12345\nSMALL BANK\nTOWN", Institution("D", account="12345", name_address=("SMALL BANK", "TOWN"))),
        ("53B", "/C/998877\nNEW YORK", Institution("B", account="998877", dc_mark="C", location="NEW YORK")),
        ("53B", "/998877", Institution("B", account="998877")),
        ("56C", "//FW021000018", Institution("C", account="/FW021000018")),
        ("57D", "SOME BANK\nSOMEWHERE", Institution("D", name_address=("SOME BANK", "SOMEWHERE"))),
    ],
)
def test_valid_institution_options(tag: str, text: str, expected: Institution) -> None:
    extra = {"f57A": "DEUTDEFF"} if tag.startswith("56") else {}
    message = parse(mt103_text(**{f"f{tag}": text}, **extra))
    attribute = {
        "52": "ordering_institution",
        "53": "senders_correspondent",
        "56": "intermediary_institution",
        "57": "account_with_institution",
    }[tag[:2]]
    assert getattr(message, attribute) == expected


@pytest.mark.parametrize(
    ("tag", "text", "reason"),
    [
        ("52A", "CHASUS3", "BIC must be 8 or 11"),
        ("52A", "/1\nCHASUS33\nX", "exactly one BIC line"),
        ("53B", "/1\nA\nB", "one location line"),
        ("56C", "NOACCOUNT", "option C must be /account"),
        ("57D", "/1", "name and address line is missing"),
    ],
)
def test_invalid_institution_options(tag: str, text: str, reason: str) -> None:
    extra = {"f57A": "DEUTDEFF"} if tag.startswith("56") else {}
    assert_error(mt103_text(**{f"f{tag}": text}, **extra), f":{tag}:", reason)


def test_option_not_allowed_for_52_in_mt103() -> None:
    text = mt103_text(f52A="CHASUS33").replace(":52A:", ":52B:")
    assert_error(text, ":52B:", "option B is not allowed here (allowed: A, D)")


# --------------------------------------------------------------------------- narrative fields


@pytest.mark.parametrize(
    ("tag", "lines", "reason"),
    [
        ("70", 4, None),
        ("70", 5, "at most 4 lines of 35 characters allowed, got 5 lines"),
        ("72", 6, None),
        ("72", 7, "at most 6 lines of 35 characters allowed, got 7 lines"),
        ("77B", 3, None),
        ("77B", 4, "at most 3 lines of 35 characters allowed, got 4 lines"),
    ],
)
def test_narrative_line_counts(tag: str, lines: int, reason: str | None) -> None:
    text = mt103_text(**{f"f{tag}": "\n".join(f"LINE {n}" for n in range(lines))})
    if reason is None:
        parse(text)
    else:
        assert_error(text, f":{tag}:", reason)


def test_narrative_line_longer_than_35_is_refused() -> None:
    assert_error(mt103_text(f70="X" * 36), ":70:", "line 1 is 36 characters, at most 35 allowed")
    assert parse(mt103_text(f70="X" * 35)).remittance_information == ("X" * 35,)


# --------------------------------------------------------------------------- X character set


@pytest.mark.parametrize(
    ("value", "character", "column"),
    [
        ("/1\nMÜLLER", "'Ü' (U+00DC)", 2),
        ("/1\nA@B", "'@' (U+0040)", 2),
        ("/1\nA_B", "'_' (U+005F)", 2),
        ("/1\nA&B", "'&'", 2),
    ],
)
def test_characters_outside_x_set_are_refused_with_column(value: str, character: str, column: int) -> None:
    errors = errors_of(mt103_text(f50K=value))
    assert any(
        e.field == ":50K:" and f"character {character}" in e.reason and f"column {column}" in e.reason and e.line == 6
        for e in errors
    ), errors


def test_every_x_character_is_accepted() -> None:
    message = parse(mt103_text(f70="abcXYZ019/-?:().,'+ end"))
    assert message.remittance_information == ("abcXYZ019/-?:().,'+ end",)


@pytest.mark.parametrize("line", ["-LEADING DASH", ":LEADING COLON"])
def test_continuation_line_must_not_start_with_dash_or_colon(line: str) -> None:
    errors = errors_of(mt103_text(f70=f"FIRST\n{line}"))
    assert any(e.field == ":70:" and "must not start with" in e.reason for e in errors), errors


# --------------------------------------------------------------------------- field order and presence


def test_missing_mandatory_field_is_reported() -> None:
    assert_error(mt103_text(f32A=None), ":32A:", "mandatory field is missing")
    assert_error(mt103_text(f71A=None), ":71A:", "mandatory field is missing")


def test_field_out_of_order_is_reported() -> None:
    text = mt103_text().replace(":23B:CRED\n", "").replace(":71A:SHA", ":71A:SHA\n:23B:CRED")
    assert_error(text, ":23B:", "field is repeated or out of order for MT103")


def test_unknown_field_is_reported() -> None:
    text = mt103_text().replace(":71A:SHA", ":71A:SHA\n:99Z:HELLO")
    assert_error(text, ":99Z:", "field is not allowed in MT103")


def test_repeated_non_repeatable_field_is_reported() -> None:
    text = mt103_text().replace(":71A:SHA", ":70:ONE\n:70:TWO\n:71A:SHA")
    assert_error(text, ":70:", "repeated or out of order")


def test_all_problems_are_collected_in_one_error() -> None:
    errors = errors_of(mt103_text(f20="/X", f32A="240315JPY1,5", f71A="XXX", f70="A\nB\nC\nD\nE"))
    assert {e.field for e in errors} >= {":20:", ":32A:", ":71A:", ":70:"}
    assert [e.line for e in errors] == sorted(e.line for e in errors)


# --------------------------------------------------------------------------- MT103 network rules


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"f33B": "EUR900,"}, ":36:", "exchange rate is mandatory when the :33B: currency differs"),
        ({"f33B": "USD1000,", "f36": "1,"}, ":36:", "not allowed when :33B: and :32A: have the same currency"),
        ({"f36": "1,2"}, ":36:", "not allowed without :33B:"),
        ({"f71A": "OUR", "f71F": "USD1,", "f33B": "USD1001,"}, ":71F:", "not allowed when :71A: is OUR"),
        ({"f71G": "USD1,", "f33B": "USD999,"}, ":71G:", "not allowed when :71A: is SHA"),
        ({"f71F": "USD1,"}, ":33B:", "mandatory when :71F: or :71G: is present"),
        ({"f23B": "SSTD", "f23E": "INTC"}, ":23E:", "not allowed when :23B: is SSTD"),
        ({"f23B": "SPRI", "f23E": "HOLD"}, ":23E:", "with :23B: SPRI only SDVA, TELB, PHOB and INTC"),
        ({"f56A": "INGBNL2A"}, ":57a:", "mandatory when :56a: intermediary is present"),
        ({"f55A": "INGBNL2A"}, ":53a:", "mandatory when :55a:"),
    ],
)
def test_mt103_network_rules(changes: dict[str, str], field: str, reason: str) -> None:
    assert_error(mt103_text(**changes), field, reason)


@pytest.mark.parametrize(
    "changes",
    [
        {"f33B": "EUR900,", "f36": "1,1111"},
        {"f71A": "OUR", "f71G": "USD5,", "f33B": "USD995,"},
        {"f23B": "SPRI", "f23E": "SDVA"},
        {"f56A": "INGBNL2A", "f57A": "DEUTDEFF"},
        {"f55A": "INGBNL2A", "f53A": "CITIUS33", "f54A": "DEUTDEFF"},
    ],
)
def test_mt103_network_rules_pass_when_respected(changes: dict[str, str]) -> None:
    assert isinstance(parse(mt103_text(**changes)), MT103)


STP = f"{{3:{{119:STP}}{{121:{UETR}}}}}"


def test_mt103_stp_valid() -> None:
    message = parse(mt103_text(block3=STP, f23E="SDVA", f52A="CHASUS33", f57A="DEUTDEFF"))
    assert message.is_stp


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"f52D": "SOME BANK"}, ":52D:", "option D is not allowed in MT103 STP"),
        ({"f57D": "SOME BANK"}, ":57D:", "option D is not allowed in MT103 STP"),
        ({"f51A": "CHASUS33"}, ":51A:", "not allowed in MT103 STP"),
        ({"f23E": "HOLD"}, ":23E:", "MT103 STP allows only CORT, INTC, SDVA, REPA"),
        ({"f59": "NO ACCOUNT"}, ":59a:", "requires the beneficiary customer's account"),
        ({"f53B": "NEW YORK"}, ":53B:", "option B needs the party identifier"),
        ({"f72": "/REJT/99"}, ":72:", "REJT and RETN are not allowed"),
    ],
)
def test_mt103_stp_restrictions(changes: dict[str, str], field: str, reason: str) -> None:
    assert_error(mt103_text(block3=STP, **changes), field, reason)


# --------------------------------------------------------------------------- blocks 1, 2, 3 and 5


@pytest.mark.parametrize(
    ("block3", "field", "reason"),
    [
        ("", "{121:}", "UETR (block 3 field 121) is mandatory for MT103"),
        ("{3:{108:ABC}}", "{121:}", "UETR (block 3 field 121) is mandatory"),
        (f"{{3:{{121:{UETR.upper()}}}}}", "{121:}", "lower-case UUID version 4"),
        ("{3:{121:eb6305c9-1f7f-19de-aed0-16487c27b42d}}", "{121:}", "UUID version 4"),
        ("{3:{121:eb6305c9-1f7f-49de-7ed0-16487c27b42d}}", "{121:}", "UUID version 4"),
        (f"{{3:{{119:COV}}{{121:{UETR}}}}}", "{119:}", "validation flag COV is not allowed in MT103"),
        (f"{{3:{{119:FAST}}{{121:{UETR}}}}}", "{119:}", "validation flag must be one of"),
        (f"{{3:{{121:{UETR}}}{{108:MUR}}}}", "{3:}", "not in the order"),
        (f"{{3:{{108:MY REF}}{{121:{UETR}}}}}", "{108:}", "1 to 16 characters without spaces"),
        (f"{{3:{{121:{UETR}}}{{121:{UETR}}}}}", "{121:}", "more than once"),
        (f"{{3:{{999:X}}{{121:{UETR}}}}}", "{999:}", "unknown block 3 field"),
    ],
)
def test_block_3_rules(block3: str, field: str, reason: str) -> None:
    assert_error(mt103_text(block3=block3), field, reason)


def test_block_3_with_mur_and_service_type() -> None:
    message = parse(mt103_text(block3=f"{{3:{{108:MUR-1}}{{111:001}}{{121:{UETR}}}}}"))
    assert (message.header.message_user_reference, message.uetr) == ("MUR-1", UETR)


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"),
    [
        ("{1:F01CHASUS33AXXX0000000000}", "{1:F01CHASUS33AXX0000000000}", "{1:}", "expected F01"),
        ("{1:F01CHASUS33AXXX0000000000}", "{1:A01CHASUS33AXXX0000000000}", "{1:}", "must be F01"),
        ("{1:F01CHASUS33AXXX0000000000}", "{1:F01CHASXX33AXXX0000000000}", "{1:}", "Invalid country code"),
        ("{2:I103DEUTDEFFXXXXN}", "{2:I103DEUTDEFFXXXXZ}", "{2:}", "expected an input (I...) or output (O...)"),
        ("{2:I103DEUTDEFFXXXXN}", "", "{2:}", "block 2 is missing"),
        ("{2:I103DEUTDEFFXXXXN}", "{2:I195DEUTDEFFXXXXN}", "{2:}", "message type MT195 is not supported"),
    ],
)
def test_block_1_and_2_rules(old: str, new: str, field: str, reason: str) -> None:
    assert_error(mt103_text().replace(old, new), field, reason)


@pytest.mark.parametrize("block2", ["I103DEUTDEFFXXXXU3003", "I103DEUTDEFFXXXX", "I103DEUTDEFFXXXXS1"])
def test_block_2_input_forms(block2: str) -> None:
    assert isinstance(parse(mt103_text().replace("{2:I103DEUTDEFFXXXXN}", f"{{2:{block2}}}")), MT103)


def test_block_2_output_form_gives_sender_from_mir() -> None:
    text = mt103_text().replace("{2:I103DEUTDEFFXXXXN}", "{2:O1031215240315BNPAFRPPAXXX44441234562403151216N}")
    message = parse(text)
    assert (message.sender_bic, message.receiver_bic) == ("BNPAFRPPXXX", "CHASUS33XXX")


@pytest.mark.parametrize(
    ("trailer", "reason"),
    [
        ("{5:{CHK:3916EF336FF7}}", None),
        ("{5:{CHK:3916ef336ff7}}", "12 upper-case hex"),
        ("{5:{CHK:12}}", "12 upper-case hex"),
        ("{5:{XYZ:1}}", "unknown trailer tag"),
    ],
)
def test_block_5_trailer(trailer: str, reason: str | None) -> None:
    text = mt103_text() + trailer
    if reason is None:
        assert parse(text).header.trailer == (("CHK", "3916EF336FF7"),)
    else:
        errors = errors_of(text)
        assert any(reason in e.reason for e in errors), errors


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [
        (lambda t: t.replace("\n-}", "\n"), "{4:}", "must end with a line '-}'"),
        (lambda t: t.replace("{4:\n", "{4:"), "{4:}", "must start with a line break"),
        (lambda t: t.replace("{4:\n", "{4:\nJUNK\n"), "{4:}", "text before the first field tag"),
        (lambda t: t.replace(f"{{3:{{121:{UETR}}}}}", "") + "{3:{108:X}}", "{3:}", "out of order"),
        (lambda t: t + "{3:{108:X}}", "{3:}", "more than once"),
        (lambda t: "GARBAGE" + t, "message", "expected a block"),
    ],
)
def test_block_structure_errors(mutate, field: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    assert_error(mutate(mt103_text()), field, reason)


def test_crlf_and_lf_are_both_accepted() -> None:
    lf = mt103_text()
    assert parse(lf) == parse(lf.replace("\n", "\r\n"))


# --------------------------------------------------------------------------- other message types


def mt202_text(extra: list[tuple[str, str]] | None = None, block3: str | None = None) -> str:
    fields = [("20", "T1"), ("21", "NONREF"), ("32A", "240315EUR10,"), ("58A", "DEUTDEFF")] + (extra or [])
    return fin(fields, mt="202", block3=block3)


def test_mt202_rules() -> None:
    assert parse(mt202_text()).message_type == "MT202"
    assert_error(
        mt202_text([("72", "/BNF/X")]).replace(":58A:DEUTDEFF\n", ":56A:INGBNL2A\n:58A:DEUTDEFF\n"),
        ":57a:",
        "mandatory when :56a:",
    )
    assert_error(mt202_text([("50K", "ACME")]), ":50K:", "field is not allowed in MT202")
    assert_error(mt202_text(block3=f"{{3:{{119:STP}}{{121:{UETR}}}}}"), "{119:}", "not allowed in MT202")


COV = f"{{3:{{119:COV}}{{121:{UETR}}}}}"


def test_mt202cov_needs_sequence_b() -> None:
    assert_error(mt202_text(block3=COV), ":50a:", "mandatory field is missing")
    message = parse(mt202_text([("50K", "ACME"), ("59", "/1\nBENE")], block3=COV))
    assert isinstance(message, MT202COV)
    assert message.underlying.beneficiary_customer == Party("", "1", None, ("BENE",))
    assert_error(
        mt202_text([("50K", "ACME"), ("56A", "INGBNL2A"), ("59", "BENE")], block3=COV), ":57a:", "mandatory when :56a:"
    )


def confirmation_text(mt: str, extra: list[tuple[str, str]]) -> str:
    fields = [("20", "C1"), ("21", "R1"), ("25", "12345"), ("32A", "240315USD10,")] + extra
    return fin(fields, mt=mt, block3="")


def test_mt900_and_mt910_rules() -> None:
    assert parse(confirmation_text("900", [])).message_type == "MT900"
    assert_error(confirmation_text("910", []), ":50a:", "either :50a: ordering customer or :52a: ordering institution")
    assert parse(confirmation_text("910", [("52A", "CHASUS33")])).message_type == "MT910"
    assert_error(confirmation_text("900", [("50K", "X")]), ":50K:", "not allowed in MT900")
    text = confirmation_text("900", []).replace(":25:12345", ":25P:12345\nNOTABIC")
    assert_error(text, ":25P:", "BIC must be 8 or 11")
    text = confirmation_text("900", []).replace(":21:R1", ":21:R1\n:13D:2403151435+0100").replace(":25:12345\n", "")
    assert_error(text, ":25a:", "mandatory field is missing")


@pytest.mark.parametrize(
    ("text", "reason"),
    [("2403151435+0100", None), ("2403151435", "expected YYMMDDHHMM+HHMM"), ("2403152435+0100", "invalid time")],
)
def test_13d_date_time_indication(text: str, reason: str | None) -> None:
    message_text = confirmation_text("900", []).replace(":25:12345", f":25:12345\n:13D:{text}")
    if reason is None:
        assert parse(message_text).date_time_indication.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
    else:
        assert_error(message_text, ":13D:", reason)


def statement_text(
    lines: list[tuple[str, str]], opening: str = "C240314EUR100,", closing: str = "C240315EUR100,"
) -> str:
    fields = [("20", "S1"), ("25", "ACC1"), ("28C", "1/1"), ("60F", opening), *lines, ("62F", closing)]
    return fin(fields, mt="940", block3="")


def test_statement_line_forms() -> None:
    message = parse(
        statement_text(
            [
                ("61", "2403150315CR10,5NTRFREF1//BANK1\nSUPP"),
                ("86", "INFO"),
                ("61", "240315RD5,S202NONREF"),
                ("61", "240315D15,5FCHGNONREF"),
            ]
        )
    )
    assert isinstance(message, MT940)
    first, second, third = message.statement_lines
    assert (first.entry_date, first.mark, first.funds_code, first.amount) == (
        date(2024, 3, 15),
        "C",
        "R",
        Decimal("10.5"),
    )
    assert (first.bank_reference, first.supplementary_details, first.information) == ("BANK1", "SUPP", ("INFO",))
    assert (second.mark, second.signed_amount, second.information) == ("RD", Decimal(5), ())
    assert third.signed_amount == Decimal("-15.5")


def test_entry_date_across_year_end_takes_next_year() -> None:
    text = statement_text([("61", "2312310102C1,NTRFX")], opening="C231231EUR0,", closing="C240102EUR1,")
    assert parse(text).statement_lines[0].entry_date == date(2024, 1, 2)


@pytest.mark.parametrize(
    ("lines", "closing", "field", "reason"),
    [
        ([("61", "240315X10,NTRFREF")], "C240315EUR100,", ":61:", "expected value date"),
        ([("61", "240315C10,5NTRF" + "R" * 17)], "C240315EUR110,5", ":61:", "1 to 16 characters"),
        ([("61", "240315C10,555NTRFREF")], "C240315EUR100,", ":61:", "EUR allows at most 2 decimal places"),
        ([("61", "2403151340C10,NTRFREF")], "C240315EUR110,", ":61:", "entry date '1340' is not a valid MMDD date"),
        ([("61", "240315C10,NTRFREF")], "C240315EUR100,", ":62a:", "does not equal opening balance plus entries"),
        ([], "C240315USD100,", ":62a:", "differs from the opening balance currency EUR"),
        ([("61", "240315C10,NTRFREF"), ("86", "X" * 66)], "C240315EUR110,", ":86:", "66 characters, at most 65"),
    ],
)
def test_statement_errors(lines: list[tuple[str, str]], closing: str, field: str, reason: str) -> None:
    assert_error(statement_text(lines, closing=closing), field, reason)


@pytest.mark.parametrize(
    ("text", "reason"), [("00001/001", None), ("7", None), ("123456", "5n[/5n]"), ("1/", "5n[/5n]")]
)
def test_28c_statement_number(text: str, reason: str | None) -> None:
    message_text = statement_text([]).replace(":28C:1/1", f":28C:{text}")
    if reason is None:
        parse(message_text)
    else:
        assert_error(message_text, ":28C:", reason)


@pytest.mark.parametrize(
    ("text", "reason"), [("X240314EUR100,", "mark must be C or D"), ("C240314EUR100", "decimal comma")]
)
def test_balance_format(text: str, reason: str) -> None:
    assert_error(statement_text([], opening=text), ":60F:", reason)


def test_mt950_has_no_86() -> None:
    text = statement_text([("61", "240315C10,NTRFREF"), ("86", "INFO")], closing="C240315EUR110,").replace(
        "{2:I940", "{2:I950"
    )
    assert_error(text, ":86:", "field is not allowed in MT950")


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"),
    [
        (":21:NONREF", ":21:A//B", ":21:", "contain '//'"),
        (":21:NONREF", ":21:12345678901234567", ":21:", "longer than 16"),
        (":58A:DEUTDEFF", ":58B:DEUTDEFF", ":58B:", "option B is not allowed here (allowed: A, D)"),
        (":58A:DEUTDEFF", ":58D:/1", ":58D:", "name and address line is missing"),
    ],
)
def test_mt202_field_rules(old: str, new: str, field: str, reason: str) -> None:
    assert_error(mt202_text().replace(old, new), field, reason)


def test_25_account_identification_length() -> None:
    assert parse(confirmation_text("900", []).replace(":25:12345", ":25:" + "A" * 35)).account.account == "A" * 35
    assert_error(confirmation_text("900", []).replace(":25:12345", ":25:" + "A" * 36), ":25:", "1 to 35 characters")


def test_64_and_65_must_be_in_account_currency() -> None:
    text = statement_text([]).replace(
        ":62F:C240315EUR100,", ":62F:C240315EUR100,\n:64:C240315EUR100,\n:65:C240316USD1,"
    )
    assert_error(text, ":65:", "differs from the opening balance currency EUR")
    ok = statement_text([]).replace(":62F:C240315EUR100,", ":62F:C240315EUR100,\n:64:C240315EUR100,\n:65:C240316EUR1,")
    assert len(parse(ok).forward_available_balances) == 1
