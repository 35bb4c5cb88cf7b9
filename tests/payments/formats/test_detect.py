"""Format detection: every golden file is claimed by its own format only; anything else is "unknown format"."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.payments.formats import detect
from apps.payments.formats.detect import UNKNOWN_FORMAT, detect_format, validate_file

from .broken import GOLDEN, INVALID_GOLDEN, broken_messages, expected_format, golden_files


@pytest.mark.parametrize("path", golden_files(), ids=lambda p: str(p.relative_to(GOLDEN)))
def test_each_golden_file_is_detected_as_its_own_format_and_no_other(path: Path) -> None:
    raw = path.read_bytes()
    claims = [module.FORMAT_NAME for module in detect.FORMATS if module.looks_like(raw)]
    assert claims == [expected_format(path)]
    assert detect_format(raw).FORMAT_NAME == expected_format(path)


@pytest.mark.parametrize("path", golden_files(), ids=lambda p: str(p.relative_to(GOLDEN)))
def test_each_golden_file_validates_with_its_format(path: Path) -> None:
    report = validate_file(path.read_bytes())
    assert report.format_name == expected_format(path)
    assert report.message_type
    assert report.valid is (str(path.relative_to(GOLDEN)) not in INVALID_GOLDEN)


@pytest.mark.parametrize("label", sorted(broken_messages()))
def test_broken_message_is_detected_and_its_errors_reported(label: str) -> None:
    format_name, raw = broken_messages()[label]
    report = validate_file(raw)
    assert report.format_name == format_name
    assert not report.valid
    assert all(error.reason for error in report.errors)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "the file is empty"),
        (b"  \r\n\t", "the file holds only whitespace"),
        (b"garbage, not a payment", "not recognised as any of ISO 20022, SWIFT MT"),
        (b"\x00\xff\xfe" * 50, "not recognised"),
        (b'{"amount": "10.00"}', "not recognised"),
        (b"<?xml version='1.0'?><Document xmlns='urn:example'/>", "not recognised"),
    ],
)
def test_garbage_and_empty_input_are_unknown_format_with_a_clear_message(raw: bytes, reason: str) -> None:
    report = validate_file(raw)
    assert report.format_name == UNKNOWN_FORMAT
    assert not report.valid and not report.known_format
    [error] = report.errors
    assert error.field == "file"
    assert error.reason.startswith(f"{UNKNOWN_FORMAT}: ") and reason in error.reason
    assert detect_format(raw) is None


def test_text_input_is_encoded_as_utf8() -> None:
    text = (GOLDEN / "fedwire" / "ctr.txt").read_text()
    assert validate_file(text).format_name == "Fedwire FAIM"


def test_a_sniffer_that_raises_does_not_claim_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(raw: bytes) -> bool:
        raise RuntimeError("boom")

    monkeypatch.setattr(detect.iso20022, "looks_like", explode)
    assert detect_format(b"{1500}30") is not None
