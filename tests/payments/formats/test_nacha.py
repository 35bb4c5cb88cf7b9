"""NACHA ACH rules: positive and negative cases, partner-style files written by hand, same-day model."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from apps.payments.formats import nacha
from apps.payments.formats.errors import FieldError, MessageValidationError
from apps.payments.formats.nacha import (
    AchFile,
    Addenda05,
    Addenda98,
    Addenda99,
    Batch,
    EntryDetail,
    aba_check_digit,
    build_ach_file,
    compute_batch_totals,
    is_valid_aba,
    make_trace_number,
    parse_ach_file,
    plan_settlement,
)
from apps.payments.formats.nacha.records import ALL_LAYOUTS

from .test_nacha_golden import (
    GOLDEN,
    ODFI,
    sample_batch_header,
    sample_file_header,
    sample_iat_file,
    sample_ppd_file,
)

EASTERN = ZoneInfo("America/New_York")
NINES = "9" * 94


def golden_lines(name: str = "ppd.ach") -> list[str]:
    return (GOLDEN / name).read_text().splitlines()


def patch(lines: list[str], line_number: int, position: int, text: str) -> bytes:
    """Overwrite ``text`` at 1-based ``position`` of 1-based ``line_number``; return the file bytes."""
    lines = list(lines)
    line = lines[line_number - 1]
    lines[line_number - 1] = line[: position - 1] + text + line[position - 1 + len(text) :]
    return ("\n".join(lines) + "\n").encode()


def errors_of(raw: bytes) -> list[FieldError]:
    message_type, errors = nacha.validate_raw(raw)
    return errors


def has_error(errors: list[FieldError], field: str, reason_part: str = "", line: int | None = None) -> bool:
    return any(e.field == field and reason_part in e.reason and (line is None or e.line == line) for e in errors)


# --------------------------------------------------------------------------- layouts and routing


@pytest.mark.parametrize("name", sorted(ALL_LAYOUTS))
def test_every_layout_covers_positions_1_to_94_without_gaps(name: str) -> None:
    position = 1
    for column in ALL_LAYOUTS[name]:
        assert column.start == position, (name, column.name)
        position = column.end + 1
    assert position == 95


def test_aba_check_digit_uses_weights_3_7_1() -> None:
    assert aba_check_digit("09100001") == 9
    assert aba_check_digit("02100002") == 1
    assert is_valid_aba("011000015")
    assert not is_valid_aba("011000016")
    assert not is_valid_aba("01100001")
    assert not is_valid_aba("0110000１5")  # full-width digit is not an ASCII digit


# --------------------------------------------------------------------------- reading: separators


def test_lf_crlf_and_unseparated_files_read_the_same() -> None:
    lines = golden_lines()
    expected = sample_ppd_file()
    assert parse_ach_file("\n".join(lines) + "\n") == expected
    assert parse_ach_file(("\r\n".join(lines) + "\r\n").encode()) == expected
    assert parse_ach_file("".join(lines).encode()) == expected
    assert parse_ach_file("\n".join(lines)) == expected  # no final newline
    assert parse_ach_file("".join(lines) + "\r\n") == expected  # blocked, one final line break


@pytest.mark.parametrize("line_ending", ["\n", "\r\n", ""])
def test_builder_writes_each_line_ending(line_ending: str) -> None:
    raw = build_ach_file(sample_ppd_file(), line_ending=line_ending)
    assert parse_ach_file(raw) == sample_ppd_file()
    assert len(raw) == 10 * (94 + len(line_ending))


def test_interface_sniff_validate_and_parse() -> None:
    raw = (GOLDEN / "ppd.ach").read_bytes()
    assert nacha.FORMAT_NAME == "NACHA ACH"
    assert nacha.looks_like(raw)
    assert not nacha.looks_like(b"{1500}30")
    assert not nacha.looks_like(b"")
    assert nacha.validate_raw(raw) == ("ACH PPD file", [])
    assert nacha.validate_raw((GOLDEN / "ccd_web_tel.ach").read_bytes()) == ("ACH CCD/TEL/WEB file", [])
    assert isinstance(nacha.parse(raw), AchFile)


# --------------------------------------------------------------------------- reading: record rules


def test_short_record_is_reported_with_its_line() -> None:
    lines = golden_lines()
    lines[2] = lines[2][:93]  # the trace number's last digit is missing
    errors = errors_of(("\n".join(lines) + "\n").encode())
    assert any(e.line == 3 and e.field.endswith("trace_number") for e in errors), errors
    unseparated = "".join(golden_lines())
    errors = errors_of(unseparated[:-1].encode())  # without line breaks a short file cannot be re-blocked
    assert errors


def test_lines_whose_trailing_blanks_were_stripped_are_read_as_the_full_records() -> None:
    lines = [line.rstrip() for line in golden_lines()]
    assert any(len(line) < 94 for line in lines)
    assert errors_of(("\r\n".join(lines) + "\r\n").encode()) == []


def test_non_ascii_byte_is_reported() -> None:
    raw = (GOLDEN / "ppd.ach").read_bytes().replace(b"JOHN SMITH", b"JOHN SMIT\xc9")
    assert has_error(errors_of(raw), "record", "non-ASCII", line=3)


def test_bad_rdfi_routing_check_digit() -> None:
    errors = errors_of(patch(golden_lines(), 3, 12, "7"))
    assert has_error(errors, "entry_detail.rdfi_routing", "fails the ABA check digit (expected 1)", line=3)


def test_bad_immediate_destination_check_digit() -> None:
    errors = errors_of(patch(golden_lines(), 1, 13, "8"))
    assert has_error(errors, "file_header.immediate_destination", "check digit", line=1)


def test_wrong_entry_hash_in_batch_control() -> None:
    errors = errors_of(patch(golden_lines(), 8, 11, "0014400007"))
    assert has_error(errors, "batch_control.entry_hash", "is 14400007, but the batch gives 14400006", line=8)


def test_wrong_entry_hash_in_file_control() -> None:
    errors = errors_of(patch(golden_lines(), 9, 22, "0014400009"))
    assert has_error(errors, "file_control.entry_hash", "but the file gives 14400006", line=9)


def test_wrong_debit_and_credit_totals_are_both_reported() -> None:
    lines = golden_lines()
    raw = patch(lines, 8, 21, "009999999998")
    errors = errors_of(patch(raw.decode().splitlines(), 8, 33, "000000150002"))
    assert has_error(errors, "batch_control.total_debit", "but the batch gives 9999999999", line=8)
    assert has_error(errors, "batch_control.total_credit", "but the batch gives 150001", line=8)


def test_changed_amount_breaks_batch_and_file_totals() -> None:
    errors = errors_of(patch(golden_lines(), 3, 30, "0000150001"))
    assert has_error(errors, "batch_control.total_credit", line=8)
    assert has_error(errors, "file_control.total_credit", line=9)


def test_wrong_entry_addenda_count() -> None:
    errors = errors_of(patch(golden_lines(), 8, 5, "000004"))
    assert has_error(errors, "batch_control.entry_addenda_count", "is 4, but the batch gives 5", line=8)
    errors = errors_of(patch(golden_lines(), 9, 14, "00000006"))
    assert has_error(errors, "file_control.entry_addenda_count", "is 6", line=9)


def test_wrong_batch_count_and_block_count() -> None:
    errors = errors_of(patch(golden_lines(), 9, 2, "000002"))
    assert has_error(errors, "file_control.batch_count", "is 2, but the file gives 1", line=9)
    errors = errors_of(patch(golden_lines(), 9, 8, "000002"))
    assert has_error(errors, "file_control.block_count", "is 2, but the file gives 1", line=9)


def test_missing_padding_is_reported() -> None:
    lines = golden_lines()[:9]
    errors = errors_of(("\n".join(lines) + "\n").encode())
    assert has_error(errors, "file.padding", "has 9 records; it must be padded", line=9)


def test_padding_must_be_all_nines() -> None:
    lines = golden_lines()
    lines[9] = "9" * 93 + "0"
    assert has_error(errors_of(("\n".join(lines) + "\n").encode()), "file.padding", "only 9-filled", line=10)


def test_unsupported_sec_code() -> None:
    errors = errors_of(patch(golden_lines(), 2, 51, "XYZ"))
    assert has_error(errors, "batch_header.standard_entry_class", "unsupported SEC code 'XYZ'", line=2)


def test_bad_service_class_code() -> None:
    errors = errors_of(patch(golden_lines(), 2, 2, "290"))
    assert has_error(errors, "batch_header.service_class_code", "must be 200, 220 or 225", line=2)
    # 280 is ADV's service class: the file is read as an ADV file, whose batch must then be ADV (test_nacha_adv.py)
    errors = errors_of(patch(golden_lines(), 2, 2, "280"))
    assert has_error(errors, "batch_header.standard_entry_class", "a 280 batch is an ADV batch", line=2)


def test_debit_in_credits_only_batch() -> None:
    raw = patch(patch(golden_lines(), 2, 2, "220").decode().splitlines(), 8, 2, "220")
    errors = errors_of(raw)
    assert has_error(errors, "entry_detail.transaction_code", "debit code 27 in a 220", line=6)
    assert has_error(errors, "batch_control.total_debit", "must be zero in a 220", line=8)


def test_unknown_transaction_code() -> None:
    assert has_error(
        errors_of(patch(golden_lines(), 3, 2, "25")), "entry_detail.transaction_code", "unknown transaction code 25"
    )


def test_prenote_with_amount_is_refused() -> None:
    errors = errors_of(patch(golden_lines(), 7, 30, "0000000001"))
    assert has_error(errors, "entry_detail.amount", "must be zero for prenote transaction code 23", line=7)


def test_non_numeric_amount_reports_the_field() -> None:
    errors = errors_of(patch(golden_lines(), 3, 30, "00001500O0"))
    assert str(next(e for e in errors if e.field == "entry_detail.amount")).startswith("line 3: entry_detail.amount: ")


def test_addenda_indicator_must_match_addenda() -> None:
    errors = errors_of(patch(golden_lines(), 4, 79, "0"))
    assert has_error(errors, "entry_detail.addenda_record_indicator", "is 0 but 1 addenda records follow", line=4)
    errors = errors_of(patch(golden_lines(), 3, 79, "1"))
    assert has_error(errors, "entry_detail.addenda_record_indicator", "is 1 but no addenda", line=3)


def test_addenda_sequence_numbers_are_checked() -> None:
    errors = errors_of(patch(golden_lines(), 5, 84, "0002"))
    assert has_error(errors, "addenda_05.sequence_number", "is 2, expected 1", line=5)
    errors = errors_of(patch(golden_lines(), 5, 88, "0000009"))
    assert has_error(errors, "addenda_05.entry_detail_sequence_number", "0000002", line=5)


def test_trace_numbers_must_ascend_and_start_with_odfi() -> None:
    errors = errors_of(patch(golden_lines(), 6, 80, "091000010000001"))
    assert has_error(errors, "entry_detail.trace_number", "must ascend", line=6)
    errors = errors_of(patch(golden_lines(), 3, 80, "021000020000001"))
    assert has_error(errors, "entry_detail.trace_number", "must start with the ODFI identification 09100001", line=3)


def test_record_order_problems() -> None:
    lines = golden_lines()
    errors = errors_of(("\n".join([lines[1], *lines[1:]]) + "\n").encode())
    assert has_error(errors, "file_header", "must start with a file header", line=1)
    without_batch_control = lines[:7] + lines[8:] + [NINES]
    errors = errors_of(("\n".join(without_batch_control) + "\n").encode())
    assert has_error(errors, "batch_control", "has no batch control", line=8)
    entry_first = [lines[0], lines[2], *lines[1:]]
    assert has_error(
        errors_of(("\n".join(entry_first[:10]) + "\n").encode()), "entry_detail", "outside a batch", line=2
    )
    assert has_error(errors_of(("\n".join(lines[:8]) + "\n").encode()), "file_control", "no file control")


def test_unknown_record_type_and_addenda_type() -> None:
    assert has_error(errors_of(patch(golden_lines(), 5, 1, "4")), "record_type", "unknown record type '4'", line=5)
    assert has_error(errors_of(patch(golden_lines(), 5, 2, "42")), "addenda.addenda_type_code", "'42'", line=5)


def test_every_problem_is_reported_at_once() -> None:
    raw = patch(golden_lines(), 3, 12, "7")
    raw = patch(raw.decode().splitlines(), 2, 51, "XYZ")
    raw = patch(raw.decode().splitlines(), 9, 2, "000007")
    with pytest.raises(MessageValidationError) as caught:
        parse_ach_file(raw)
    fields = {e.field for e in caught.value.errors}
    assert {"entry_detail.rdfi_routing", "batch_header.standard_entry_class", "file_control.batch_count"} <= fields
    assert [e.line for e in caught.value.errors] == sorted(e.line for e in caught.value.errors)


def test_empty_and_garbage_input() -> None:
    assert errors_of(b"") == [FieldError("file", "is empty")]
    with pytest.raises(MessageValidationError):
        parse_ach_file(b"hello")


# --------------------------------------------------------------------------- SEC-specific rules


def test_web_entries_need_a_payment_type_code() -> None:
    lines = (GOLDEN / "ccd_web_tel.ach").read_text().splitlines()
    errors = errors_of(patch(lines, 6, 77, "X"))
    assert has_error(errors, "entry_detail.discretionary_data", "WEB payment type code must be 'R' or 'S'", line=6)


def test_tel_batches_carry_debits_only() -> None:
    batch = Batch(
        sample_batch_header("TEL", 200, 1),
        [EntryDetail(22, "021000021", "1", 100, "X", make_trace_number(ODFI, 1))],
    )
    with pytest.raises(MessageValidationError) as caught:
        build_ach_file(AchFile(sample_file_header(), [batch]))
    assert has_error(caught.value.errors, "entry_detail.transaction_code", "TEL batches carry debit entries only")


def test_ppd_entry_carries_at_most_one_addenda() -> None:
    entry = EntryDetail(
        22, "021000021", "1", 100, "X", make_trace_number(ODFI, 1), addenda=(Addenda05("A"), Addenda05("B"))
    )
    with pytest.raises(MessageValidationError) as caught:
        build_ach_file(AchFile(sample_file_header(), [Batch(sample_batch_header("PPD"), [entry])]))
    assert has_error(caught.value.errors, "entry_detail.addenda", "at most one addenda")


def test_ctx_number_of_addenda_must_match() -> None:
    lines = (GOLDEN / "ctx.ach").read_text().splitlines()
    errors = errors_of(patch(lines, 3, 55, "0002"))
    assert has_error(errors, "ctx_entry_detail.number_of_addenda", "is 2, but 3 addenda records follow", line=3)


def test_iat_entry_needs_the_seven_mandatory_addenda() -> None:
    lines = (GOLDEN / "iat.ach").read_text().splitlines()
    del lines[5]  # addenda 12
    errors = errors_of(("\n".join(lines) + "\n").encode())
    assert has_error(errors, "iat_entry_detail.addenda", "addenda 10 to 16 in order", line=3)
    assert has_error(errors, "iat_entry_detail.number_of_addenda", "is 9, but 8")


def test_iat_header_rules() -> None:
    lines = (GOLDEN / "iat.ach").read_text().splitlines()
    errors = errors_of(patch(lines, 2, 21, "XX"))
    assert has_error(errors, "iat_batch_header.foreign_exchange_indicator", "FV, VF or FF", line=2)
    errors = errors_of(patch(lines, 2, 64, "ZZZ"))
    assert has_error(errors, "iat_batch_header.iso_originating_currency_code", "unknown ISO 4217", line=2)


def test_iat_round_trip_keeps_every_addenda() -> None:
    parsed = parse_ach_file(build_ach_file(sample_iat_file()))
    assert parsed == sample_iat_file()
    assert len(parsed.batches[0].entries[0].addenda) == 9


# --------------------------------------------------------------------------- returns and NOCs


def test_unknown_return_reason_and_change_codes() -> None:
    lines = (GOLDEN / "return_and_noc.ach").read_text().splitlines()
    assert has_error(errors_of(patch(lines, 4, 4, "R99")), "addenda_99.return_reason_code", "R99", line=4)
    assert has_error(errors_of(patch(lines, 8, 4, "C99")), "addenda_98.change_code", "C99", line=8)


def test_date_of_death_only_for_r14_and_r15() -> None:
    lines = (GOLDEN / "return_and_noc.ach").read_text().splitlines()
    errors = errors_of(patch(lines, 4, 22, "231231"))
    assert has_error(errors, "addenda_99.date_of_death", "only be given for R14 and R15", line=4)
    assert errors_of(patch(patch(lines, 4, 22, "231231").decode().splitlines(), 4, 4, "R15")) == []


def test_cor_entry_must_be_zero_amount_with_addenda_98() -> None:
    lines = (GOLDEN / "return_and_noc.ach").read_text().splitlines()
    errors = errors_of(patch(lines, 7, 30, "0000000100"))
    assert has_error(errors, "entry_detail.amount", "must be zero for a notification of change", line=7)


def test_return_code_without_addenda_99_is_refused() -> None:
    entry = EntryDetail(26, "021000021", "1", 100, "X", make_trace_number(ODFI, 1))
    with pytest.raises(MessageValidationError) as caught:
        build_ach_file(AchFile(sample_file_header(), [Batch(sample_batch_header("PPD"), [entry])]))
    assert has_error(caught.value.errors, "entry_detail.transaction_code", "needs an addenda 98 or 99")


def test_return_helper_maps_transaction_codes_and_quotes_the_original() -> None:
    original = EntryDetail(22, "021000021", "1", 100, "X", make_trace_number(ODFI, 5))
    returned = nacha.return_entry_for(
        original, return_reason_code="R03", returning_dfi_identification="02100002", sequence=9
    )
    assert returned.transaction_code == 21
    assert returned.trace_number == "021000020000009"
    assert returned.addenda == (Addenda99("R03", "091000010000005", "02100002"),)
    with pytest.raises(MessageValidationError):
        nacha.return_entry_for(returned, return_reason_code="R01", returning_dfi_identification=ODFI, sequence=1)


def test_noc_helper_builds_a_zero_amount_cor_entry() -> None:
    original = EntryDetail(32, "021000021", "1", 100, "X", make_trace_number(ODFI, 5))
    noc = nacha.notification_of_change_for(
        original, change_code="C05", corrected_data="22", returning_dfi_identification="02100002", sequence=1
    )
    assert (noc.transaction_code, noc.amount) == (31, 0)
    assert noc.addenda == (Addenda98("C05", "091000010000005", "02100002", "22"),)


# --------------------------------------------------------------------------- builder rules


def _one_entry_file(**entry_overrides) -> AchFile:
    values = dict(
        transaction_code=22,
        rdfi_routing="021000021",
        account_number="1",
        amount=100,
        receiver_name="X",
        trace_number=make_trace_number(ODFI, 1),
    )
    values.update(entry_overrides)
    return AchFile(sample_file_header(), [Batch(sample_batch_header("PPD"), [EntryDetail(**values)])])


def test_builder_refuses_float_and_oversized_amounts() -> None:
    with pytest.raises(MessageValidationError) as caught:
        build_ach_file(_one_entry_file(amount=1.5))
    assert has_error(caught.value.errors, "entry_detail.amount", "must be an integer, not float", line=3)
    with pytest.raises(MessageValidationError) as caught:
        build_ach_file(_one_entry_file(amount=10_000_000_000))
    assert has_error(caught.value.errors, "entry_detail.amount", "does not fit in 10 digits")


def test_builder_accepts_one_cent_and_the_largest_ten_digit_amount() -> None:
    for amount in (1, 9_999_999_999):
        assert parse_ach_file(build_ach_file(_one_entry_file(amount=amount))).batches[0].entries[0].amount == amount


def test_builder_transliterates_non_ascii_names() -> None:
    parsed = parse_ach_file(build_ach_file(_one_entry_file(receiver_name="Zoë Müller-Øst")))
    assert parsed.batches[0].entries[0].receiver_name == "Zoe Muller-Ost"


def test_builder_rejects_names_too_long_after_transliteration_and_control_characters() -> None:
    with pytest.raises(MessageValidationError) as caught:
        build_ach_file(_one_entry_file(receiver_name="北京" * 4))  # "BeiJing" x4 = 28 characters
    assert has_error(caught.value.errors, "entry_detail.receiver_name", "is 28 characters, at most 22")
    with pytest.raises(MessageValidationError) as caught:
        build_ach_file(_one_entry_file(receiver_name="BELL\x07"))
    assert has_error(caught.value.errors, "entry_detail.receiver_name", "cannot be written as ASCII")


def test_builder_rejects_bad_routing_number() -> None:
    with pytest.raises(MessageValidationError) as caught:
        build_ach_file(_one_entry_file(rdfi_routing="021000022"))
    assert has_error(caught.value.errors, "entry_detail.rdfi_routing", "check digit", line=3)


def test_compute_batch_totals_keeps_rightmost_ten_digits_of_the_hash() -> None:
    entries = [EntryDetail(22, "999999994", "1", 1, "X", make_trace_number(ODFI, i)) for i in range(1, 201)]
    totals = compute_batch_totals(Batch(sample_batch_header("PPD"), entries))
    assert totals.entry_hash == (99999999 * 200) % 10**10
    assert (totals.entry_addenda_count, totals.total_credit, totals.total_debit) == (200, 200, 0)


# --------------------------------------------------------------------------- partner files written by hand

PARTNER_CCD = [
    # file header: priority 01, destination/origin, 2024-01-05 12:00, modifier A, 094, 10, 1, names, reference
    "101 091000019 0210000212401051200A094101QENEX BANK             PARTNER BANK NA                ",
    # batch header: 220 credits only, CCD
    "5220PARTNER CORP                        9876543210CCDSUPPLIERS 240105240108   1021000020000001",
    "622091000019000123456789     0000125000INV2024-0001   ACME SUPPLY CO          0021000020000001",
    "632011000015445566778899     0000067550INV2024-0002   WIDGETS LLC             1021000020000002",
    "705" + "PAYMENT FOR INVOICE 2024-0002 NET 30".ljust(80) + "00010000002",
    # batch control: 3 records, hash 09100001+01100001, credits 1925.50
    "822000000300102000020000000000000000001925509876543210" + " " * 19 + " " * 6 + "021000020000001",
    "9000001000001000000030010200002000000000000000000192550" + " " * 39,
    NINES,
    NINES,
    NINES,
]

PARTNER_RETURNS = [
    "101 091000019 0210000212401100815B094101QENEX BANK             PARTNER BANK NA                ",
    "5200ACME CORP                           1234567890PPDPAYROLL         2401090101021000020000001",
    # return of our 27 debit (code 26), R03 no account
    "626091000019555000111        0000004500CUST0001       BOB JONES               1021000020000011",
    "799R03091000010000003      09100001" + "NO SUCH ACCOUNT".ljust(44) + "021000020000011",
    "820000000200091000010000000045000000000000001234567890" + " " * 25 + "021000020000001",
    # NOC batch: C02 new routing number
    "5200ACME CORP                           1234567890CORNOC             2401090101021000020000002",
    "621091000019555000112        0000000000CUST0002       ALICE JONES             1021000020000012",
    "798C02091000010000004      09100001" + "011000015".ljust(29) + " " * 15 + "021000020000012",
    "820000000200091000010000000000000000000000001234567890" + " " * 25 + "021000020000002",
    "9000002000001000000040018200002000000004500000000000000" + " " * 39,
]


def test_partner_files_are_typed_correctly() -> None:
    for record in PARTNER_CCD + PARTNER_RETURNS:
        assert len(record) == 94, record


def test_partner_ccd_file_with_crlf_parses() -> None:
    ach_file = parse_ach_file(("\r\n".join(PARTNER_CCD) + "\r\n").encode())
    batch = ach_file.batches[0]
    assert ach_file.header.immediate_origin == "021000021"
    assert batch.header.standard_entry_class == "CCD"
    assert [e.amount for e in batch.entries] == [125000, 67550]
    assert batch.entries[1].addenda == (Addenda05("PAYMENT FOR INVOICE 2024-0002 NET 30"),)
    assert nacha.validate_raw("".join(PARTNER_CCD).encode()) == ("ACH CCD file", [])


def test_partner_return_and_noc_file_parses() -> None:
    ach_file = parse_ach_file("\n".join(PARTNER_RETURNS).encode())
    returned, noc = ach_file.batches[0].entries[0], ach_file.batches[1].entries[0]
    assert returned.addenda[0].return_reason_code == "R03"
    assert returned.addenda[0].original_trace_number == "091000010000003"
    assert ach_file.batches[0].header.settlement_date == "010"
    assert noc.addenda == (Addenda98("C02", "091000010000004", "09100001", "011000015"),)


def test_partner_return_file_unpadded_is_refused_precisely() -> None:
    """The partner's file has 10 records, exactly one block; dropping one record breaks counts and padding."""
    lines = PARTNER_RETURNS[:3] + PARTNER_RETURNS[4:]
    errors = errors_of("\n".join(lines).encode())
    assert has_error(errors, "entry_detail.addenda_record_indicator", "no addenda", line=3)
    assert has_error(errors, "batch_control.entry_addenda_count", "is 2, but the batch gives 1", line=4)
    assert has_error(errors, "file.padding", "has 9 records")


# --------------------------------------------------------------------------- same-day ACH


def _same_day_batch(amount: int = 100, effective: date = date(2024, 1, 8)) -> Batch:
    return Batch(
        sample_batch_header("PPD", effective_entry_date=effective),
        [EntryDetail(22, "021000021", "1", amount, "X", make_trace_number(ODFI, 1))],
    )


@pytest.mark.parametrize(
    ("clock", "window"),
    [(time(9, 0), 1), (time(10, 30), 1), (time(10, 31), 2), (time(14, 45), 2), (time(16, 45), 3)],
)
def test_same_day_windows(clock: time, window: int) -> None:
    plan = plan_settlement(_same_day_batch(), datetime.combine(date(2024, 1, 8), clock, EASTERN))
    assert (plan.settlement_date, plan.same_day, plan.window) == (date(2024, 1, 8), True, window)
    assert plan.julian_settlement_date == "008"


def test_after_the_last_window_settles_next_banking_day() -> None:
    plan = plan_settlement(_same_day_batch(), datetime(2024, 1, 12, 17, 0, tzinfo=EASTERN))  # a Friday
    assert (plan.settlement_date, plan.same_day) == (date(2024, 1, 15), False)


def test_future_effective_date_is_not_same_day() -> None:
    plan = plan_settlement(_same_day_batch(effective=date(2024, 1, 10)), datetime(2024, 1, 8, 9, 0, tzinfo=EASTERN))
    assert (plan.settlement_date, plan.same_day) == (date(2024, 1, 10), False)


def test_over_one_million_and_iat_are_not_same_day() -> None:
    submitted = datetime(2024, 1, 8, 9, 0, tzinfo=EASTERN)
    assert not plan_settlement(_same_day_batch(amount=100_000_001), submitted).same_day
    assert plan_settlement(_same_day_batch(amount=100_000_000), submitted).same_day
    iat = sample_iat_file().batches[0]
    assert not plan_settlement(iat, submitted).same_day


def test_holidays_and_utc_submissions() -> None:
    holiday = frozenset({date(2024, 1, 15)})
    plan = plan_settlement(
        _same_day_batch(effective=date(2024, 1, 15)),
        datetime(2024, 1, 15, 14, 0, tzinfo=ZoneInfo("UTC")),
        holidays=holiday,
    )
    assert (plan.settlement_date, plan.same_day) == (date(2024, 1, 16), True)
    with pytest.raises(MessageValidationError):
        plan_settlement(_same_day_batch(), datetime(2024, 1, 8, 9, 0))  # noqa: DTZ001 - naive on purpose
