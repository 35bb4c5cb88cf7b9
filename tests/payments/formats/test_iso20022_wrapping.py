"""What partners wrap around an ISO 20022 message: AppHdr versions, envelopes, CDATA, prefixes, transport bytes.

Every variant must give the same domain object as the bare Document, and a broken one an error naming the
field (and the line in the file as received).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from lxml import etree

from apps.payments.formats.detect import validate_file
from apps.payments.formats.errors import MessageValidationError
from apps.payments.formats.iso20022 import (
    AppHdr,
    BusinessMessage,
    build_app_hdr,
    parse,
    parse_app_hdr,
    parse_business_message,
    validate_raw,
)

GOLDEN = Path(__file__).parent / "golden" / "iso20022"


def _document(name: str) -> bytes:
    """A golden Document without its XML declaration (to embed it)."""
    return (GOLDEN / name).read_bytes().split(b"?>", 1)[1].strip()


def _app_hdr(
    version: str, definition: str, *, prefix: str = "", service: str = "qenex.partner.01", practice: str = "PARTNER-1"
) -> bytes:
    """An AppHdr; by default for a bilateral service (no CBPR+ rules), see test_iso20022_cbpr.py for CBPR+."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f"xmlns:{prefix}" if prefix else "xmlns"
    market = (
        f"<{p}MktPrctc><{p}Regy>partner.example</{p}Regy><{p}Id>{practice}</{p}Id></{p}MktPrctc>"
        if version >= "head.001.001.03"
        else ""
    )
    return (
        f'<{p}AppHdr {xmlns}="urn:iso:std:iso:20022:tech:xsd:{version}">'
        f"<{p}Fr><{p}FIId><{p}FinInstnId><{p}BICFI>COBADEFFXXX</{p}BICFI></{p}FinInstnId></{p}FIId></{p}Fr>"
        f"<{p}To><{p}FIId><{p}FinInstnId><{p}BICFI>NWBKGB2LXXX</{p}BICFI></{p}FinInstnId></{p}FIId></{p}To>"
        f"<{p}BizMsgIdr>BIZ-0001</{p}BizMsgIdr><{p}MsgDefIdr>{definition}</{p}MsgDefIdr>"
        f"<{p}BizSvc>{service}</{p}BizSvc>{market}"
        f"<{p}CreDt>2026-03-02T10:30:00Z</{p}CreDt></{p}AppHdr>"
    ).encode()


DOCUMENTS = {
    "pacs.008.001.02": "versions/pacs.008.001.02.xml",
    "pacs.008.001.08": "pacs.008.001.08.xml",
    "pain.001.001.05": "versions/pain.001.001.05.xml",
    "pacs.002.001.03": "versions/pacs.002.001.03.xml",
    "camt.056.001.08": None,
}
WRAPPERS = {
    "swift Envelope": (b'<Envelope xmlns="urn:swift:xsd:envelope">', b"</Envelope>"),
    "BizMsgEnvlp without namespace": (b"<BizMsgEnvlp>", b"</BizMsgEnvlp>"),
    "SWIFTNet DataPDU": (
        b'<Saa:DataPDU xmlns:Saa="urn:swift:saa:xsd:saa.2.0"><Saa:Revision>2.0.14</Saa:Revision><Saa:Body>',
        b"</Saa:Body></Saa:DataPDU>",
    ),
}


@pytest.mark.parametrize("head", ["head.001.001.01", "head.001.001.02", "head.001.001.03", "head.001.001.04"])
@pytest.mark.parametrize("wrapper", sorted(WRAPPERS))
@pytest.mark.parametrize("message_type", ["pacs.008.001.02", "pacs.008.001.08", "pain.001.001.05", "pacs.002.001.03"])
def test_any_apphdr_version_in_any_wrapper_reads_the_document_of_its_own_version(
    head: str, wrapper: str, message_type: str
) -> None:
    document = _document(DOCUMENTS[message_type])
    start, end = WRAPPERS[wrapper]
    raw = b'<?xml version="1.0" encoding="UTF-8"?>\n' + start + _app_hdr(head, message_type) + document + end
    assert validate_raw(raw) == (message_type, [])
    message = parse(raw)
    assert isinstance(message, BusinessMessage)
    assert message.header.version == head
    assert message.header.message_definition_id == message_type
    assert message.header.market_practice == ("PARTNER-1" if head >= "head.001.001.03" else None)
    assert message.message_type == f"{head}+document"
    assert message.document == parse(document)
    assert parse_business_message(raw) == message


def test_prefixed_apphdr_and_document_read_like_default_namespace_ones() -> None:
    plain = (GOLDEN / "versions/pacs.008.001.02.xml").read_bytes()
    tree = etree.fromstring(plain)
    ns = etree.QName(tree).namespace
    prefixed_root = etree.Element(f"{{{ns}}}Document", nsmap={"ns2": ns})
    prefixed_root.extend(list(tree))
    prefixed = etree.tostring(prefixed_root)
    assert b"<ns2:GrpHdr>" in prefixed
    assert parse(prefixed) == parse(plain)
    raw = b"<Envelope>" + _app_hdr("head.001.001.02", "pacs.008.001.02", prefix="h") + prefixed + b"</Envelope>"
    assert b"<h:BizMsgIdr>" in raw
    assert parse(raw).document == parse(plain)


def test_one_line_and_tab_indented_documents_read_the_same() -> None:
    pretty = (GOLDEN / "versions/pain.001.001.05.xml").read_bytes()
    one_line = etree.tostring(etree.fromstring(pretty, etree.XMLParser(remove_blank_text=True)))
    tabs = pretty.replace(b"  ", b"\t").replace(b"\n", b"\r\n")
    assert b"\n" not in one_line
    assert parse(one_line) == parse(tabs) == parse(pretty)


# --------------------------------------------------------------------------- CDATA / escaped XML in a wrapper
def test_document_in_cdata_reads_and_its_errors_carry_the_file_lines() -> None:
    document = (GOLDEN / "versions/pacs.008.001.05.xml").read_bytes()
    raw = (
        b'<?xml version="1.0"?>\n<Message>\n  <Sender>X</Sender>\n  <Payload><![CDATA[\n'
        + document
        + b"]]></Payload>\n</Message>\n"
    )
    assert validate_raw(raw) == ("pacs.008.001.05", [])
    assert parse(raw) == parse(document)
    assert validate_file(raw).message_type == "pacs.008.001.05"
    broken = raw.replace(b"<NbOfTxs>1</NbOfTxs>", b"<NbOfTxs>7</NbOfTxs>")
    message_type, errors = validate_raw(broken)
    line = next(number for number, text in enumerate(broken.split(b"\n"), 1) if b"<NbOfTxs>" in text)
    assert message_type == "pacs.008.001.05"
    assert [(e.field, e.line) for e in errors] == [("GrpHdr/NbOfTxs", line)]
    with pytest.raises(MessageValidationError) as caught:
        parse(broken)
    assert caught.value.errors[0].line == line


def test_escaped_xml_text_is_read_like_cdata() -> None:
    document = _document("pacs.002.001.10.xml")
    escaped = document.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;")
    raw = b"<Response><Status>OK</Status><Body>" + escaped + b"</Body></Response>"
    assert validate_raw(raw) == ("pacs.002.001.10", [])
    assert parse(raw) == parse(document)


def test_cdata_holding_something_else_is_not_taken_for_a_message() -> None:
    raw = b"<Message><Payload><![CDATA[hello urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08]]></Payload></Message>"
    message_type, errors = validate_raw(raw)
    assert message_type == "ISO 20022"
    assert "not an ISO 20022 message" in errors[0].reason


# --------------------------------------------------------------------------- transport bytes around the file
@pytest.mark.parametrize(
    ("label", "before", "after"),
    [
        ("blank lines before the declaration", b"\r\n\r\n  ", b""),
        ("BOM then a blank line", b"\xef\xbb\xbf\n", b""),
        ("DOS end-of-file", b"", b"\x1a"),
        ("NUL-padded record", b"", b"\x00" * 40),
        ("blanks and NULs", b"\n", b"\n\n\x00\x1a"),
    ],
)
def test_transport_bytes_around_the_xml_are_tolerated_and_lines_kept(label: str, before: bytes, after: bytes) -> None:
    document = (GOLDEN / "versions/pain.008.001.05.xml").read_bytes()
    raw = before + document + after
    assert validate_raw(raw) == ("pain.008.001.05", []), label
    assert parse(raw) == parse(document)
    broken = raw.replace(b"<NbOfTxs>", b"<NbOfTxs>9", 1)
    line = next(number for number, text in enumerate(broken.split(b"\n"), 1) if b"<NbOfTxs>9" in text)
    assert [(e.field, e.line) for e in validate_raw(broken)[1]] == [("GrpHdr/NbOfTxs", line)]


def test_text_after_the_root_element_is_still_refused() -> None:
    document = (GOLDEN / "pacs.008.001.08.xml").read_bytes()
    errors = validate_raw(document + b"trailing garbage")[1]
    assert errors[0].field == "document" and "not well-formed" in errors[0].reason


# --------------------------------------------------------------------------- broken envelopes name the field
def test_envelope_errors_name_the_apphdr_field() -> None:
    document = _document("versions/pain.001.001.05.xml")
    raw = b"<BizMsgEnvlp>\n" + _app_hdr("head.001.001.04", "pain.001.001.09") + b"\n" + document + b"</BizMsgEnvlp>"
    message_type, errors = validate_raw(raw)
    assert message_type == "pain.001.001.05"
    assert [(e.field, e.line) for e in errors] == [("AppHdr/MsgDefIdr", 2)]
    missing_id = raw.replace(b"<BizMsgIdr>BIZ-0001</BizMsgIdr>", b"")
    errors = validate_raw(missing_id.replace(b"pain.001.001.09", b"pain.001.001.05"))[1]
    assert [(e.field, e.line) for e in errors] == [("MsgDefIdr", 2)]
    assert errors[0].reason.startswith("XSD:") and "BizMsgIdr" in errors[0].reason


def test_an_apphdr_version_we_do_not_read_is_refused() -> None:
    document = _document("pacs.008.001.08.xml")
    raw = (
        b"<Envelope>"
        + _app_hdr("head.001.001.02", "pacs.008.001.08").replace(b"head.001.001.02", b"head.001.001.09")
        + document
        + b"</Envelope>"
    )
    errors = validate_raw(raw)[1]
    assert errors[0].field == "AppHdr"
    assert "head.001.001.01-04" in errors[0].reason


def test_an_envelope_with_a_document_we_do_not_read_names_it() -> None:
    raw = (
        b"<Envelope>"
        + _app_hdr("head.001.001.02", "pacs.008.001.01")
        + (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.01"/>')
        + b"</Envelope>"
    )
    errors = validate_raw(raw)[1]
    assert [e.field for e in errors] == ["Document"]
    assert "got pacs.008.001.01" in errors[0].reason


# --------------------------------------------------------------------------- AppHdr on its own
@pytest.mark.parametrize("head", ["head.001.001.01", "head.001.001.03", "head.001.001.04"])
def test_standalone_apphdr_of_each_version(head: str) -> None:
    raw = _app_hdr(head, "pacs.008.001.08")
    header = parse_app_hdr(raw)
    assert isinstance(header, AppHdr)
    assert (header.version, header.sender.bic, header.business_message_id) == (head, "COBADEFFXXX", "BIZ-0001")
    assert parse(raw) == header
    assert validate_raw(raw) == (head, [])
    with pytest.raises(MessageValidationError) as caught:
        build_app_hdr(header)
    assert caught.value.errors[0].field == "version"
    rebuilt = dataclasses.replace(header, version="head.001.001.02", market_practice=None)
    assert parse_app_hdr(build_app_hdr(rebuilt)) == rebuilt
