"""NACHA ADV (automated accounting advice) files: service class 280 with ADV's own entry and control layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.payments.formats import nacha
from apps.payments.formats.detect import validate_file
from apps.payments.formats.nacha.adv import AdvFile

ADV = Path(__file__).parent / "interop" / "nacha" / "files" / "adv-read.ach"


def _lines() -> list[str]:
    return ADV.read_text().splitlines()


def _errors(lines: list[str]) -> list:
    return nacha.validate_raw(("\n".join(lines) + "\n").encode())[1]


def _put(line: str, start: int, text: str) -> str:
    return line[: start - 1] + text + line[start - 1 + len(text) :]


def test_moov_adv_file_is_read_with_its_own_layouts() -> None:
    assert nacha.validate_raw(ADV.read_bytes()) == ("ACH ADV file", [])
    report = validate_file(ADV.read_bytes())
    assert (report.format_name, report.message_type, report.valid) == ("NACHA ACH", "ACH ADV file", True)
    parsed = nacha.parse_adv_file(ADV.read_bytes())
    assert isinstance(parsed, AdvFile)
    # parse()/parse_ach_file() return payment files, whose entries their callers post: an advice is refused there
    with pytest.raises(nacha.MessageValidationError) as caught:
        nacha.parse(ADV.read_bytes())
    assert "parse_adv_file" in caught.value.errors[0].reason
    with pytest.raises(nacha.MessageValidationError):
        nacha.parse_adv_file((Path(__file__).parent / "golden" / "nacha" / "ppd.ach").read_bytes())
    [batch] = parsed.batches
    assert batch.header["service_class_code"] == 280
    first, second = batch.entries
    assert (first.transaction_code, first.amount, first.is_credit) == (81, 50000, True)
    assert (second.transaction_code, second.amount, second.is_credit) == (82, 250000, False)
    assert (first.account_number, first.advice_routing_number, first.julian_date_created) == (
        "744-5678-99",
        "121042882",
        50,
    )


def test_adv_totals_are_checked_in_20_digits() -> None:
    lines = _lines()
    control = next(i for i, line in enumerate(lines) if line.startswith("8"))
    lines[control] = _put(lines[control], 21, "00000000000000250001")
    assert any(e.field == "adv_batch_control.total_debit" for e in _errors(lines))
    lines = _lines()
    file_control = next(i for i, line in enumerate(lines) if line.startswith("9") and not line.startswith("99"))
    lines[file_control] = _put(lines[file_control], 52, "00000000000000050001")
    assert any(e.field == "adv_file_control.total_credit" for e in _errors(lines))


def test_adv_entry_rules() -> None:
    lines = _lines()
    entry = next(i for i, line in enumerate(lines) if line.startswith("6"))
    wrong_code = [*lines[:entry], _put(lines[entry], 2, "22"), *lines[entry + 1 :]]
    assert any(e.field == "adv_entry_detail.transaction_code" and "81-88" in e.reason for e in _errors(wrong_code))
    with_addenda = [*lines[: entry + 1], "705" + " " * 91, *lines[entry + 1 :]]
    assert any("no addenda" in e.reason for e in _errors(with_addenda))
    repeated_sequence = [*lines[: entry + 1], _put(lines[entry + 1], 91, "0001"), *lines[entry + 2 :]]
    assert any(e.field == "adv_entry_detail.sequence_number" for e in _errors(repeated_sequence))
    unpadded = lines[:-1]  # one padding record less: 9 records
    assert any(e.field == "file.padding" for e in _errors(unpadded))


def test_an_adv_file_holds_only_adv_batches() -> None:
    lines = _lines()
    header = next(i for i, line in enumerate(lines) if line.startswith("5"))
    lines[header] = _put(lines[header], 51, "PPD")
    assert any(e.field == "batch_header.standard_entry_class" for e in _errors(lines))
