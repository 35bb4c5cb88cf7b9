"""CBPR+ usage rules on a business message whose AppHdr declares CBPR+ (warnings, errors with --strict)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from apps.payments.formats.detect import validate_file
from apps.payments.formats.errors import WARNING
from apps.payments.formats.iso20022 import build_pacs008, validate_raw
from tests.payments.formats.test_iso20022_samples import sample_pacs008
from tests.payments.formats.test_iso20022_wrapping import _app_hdr, _document

GOLDEN = Path(__file__).parent / "golden" / "iso20022"
CBPR_ENVELOPE = (GOLDEN / "cbpr-envelope-pacs.008.001.08.xml").read_bytes()


def _envelope(document: bytes, header: bytes) -> bytes:
    return b'<Envelope xmlns="urn:swift:xsd:envelope">\n' + header + b"\n" + document + b"\n</Envelope>\n"


def _cbpr(document: bytes, version: str, *, head: str = "head.001.001.02", **kwargs: str) -> bytes:
    return _envelope(document, _app_hdr(head, version, service="swift.cbprplus.02", **kwargs))


def test_our_cbpr_envelope_keeps_the_rules() -> None:
    assert validate_raw(CBPR_ENVELOPE) == ("pacs.008.001.08", [])


def test_the_same_message_for_a_bilateral_service_is_not_held_to_cbpr() -> None:
    document = _document("versions/pacs.008.001.02.xml")
    assert validate_raw(_envelope(document, _app_hdr("head.001.001.04", "pacs.008.001.02"))) == (
        "pacs.008.001.02",
        [],
    )


def test_an_old_version_under_cbpr_breaks_its_version_rules() -> None:
    raw = _cbpr(_document("versions/pacs.008.001.02.xml"), "pacs.008.001.02", head="head.001.001.04")
    message_type, errors = validate_raw(raw)
    assert message_type == "pacs.008.001.02"
    assert {e.severity for e in errors} == {WARNING}
    assert [e.field for e in errors] == ["AppHdr", "Document", "CdtTrfTxInf/PmtId/UETR"]
    assert "CBPR+ uses pacs.008.001.08" in errors[1].reason
    report = validate_file(raw)
    assert report.usable and not report.valid


def test_market_practice_alone_declares_cbpr() -> None:
    header = _app_hdr("head.001.001.03", "pacs.002.001.03", practice="CBPRPlus-2.0")
    errors = validate_raw(_envelope(_document("versions/pacs.002.001.03.xml"), header))[1]
    assert [e.field for e in errors] == ["AppHdr", "Document"]


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"),
    [
        (b"<SttlmMtd>INDA</SttlmMtd>", b"<SttlmMtd>CLRG</SttlmMtd>", "GrpHdr/SttlmInf/SttlmMtd", "INDA or INGA"),
        (b"<ChrgBr>SHAR</ChrgBr>", b"<ChrgBr>SLEV</ChrgBr>", "CdtTrfTxInf/ChrgBr", "DEBT, CRED or SHAR"),
        (
            b"<CreDtTm>2026-03-02T10:30:00+00:00</CreDtTm>",
            b"<CreDtTm>2026-03-02T10:30:00</CreDtTm>",
            "GrpHdr/CreDtTm",
            "UTC offset",
        ),
        (b"<CreDt>2026-03-02T10:30:00+00:00</CreDt>", b"<CreDt>2026-03-02T10:30:00</CreDt>", "CreDt", "UTC offset"),
    ],
)
def test_each_credit_transfer_rule_names_its_field_and_line(old: bytes, new: bytes, field: str, reason: str) -> None:
    assert old in CBPR_ENVELOPE
    raw = CBPR_ENVELOPE.replace(old, new, 1)
    line = next(number for number, text in enumerate(raw.split(b"\n"), 1) if new in text)
    errors = validate_raw(raw)[1]
    assert [(e.field, e.line, e.severity) for e in errors] == [(field, line, WARNING)]
    assert reason in errors[0].reason


def test_more_than_one_transaction_is_a_cbpr_warning() -> None:
    message = sample_pacs008()
    two = dataclasses.replace(message, transactions=message.transactions * 2)
    document = build_pacs008(two).split(b"?>", 1)[1].strip()
    errors = validate_raw(_cbpr(document, "pacs.008.001.08"))[1]
    assert [(e.field, e.severity) for e in errors] == [("GrpHdr/NbOfTxs", WARNING)]
    assert "exactly one transaction" in errors[0].reason
