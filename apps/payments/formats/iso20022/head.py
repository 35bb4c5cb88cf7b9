"""head.001.001.02 Business Application Header (AppHdr) and the AppHdr + Document envelope.

CBPR+ (SWIFT cross-border on ISO 20022) and several instant rails send every message as an
AppHdr followed by the Document. ISO defines no schema for the wrapper; we use the one in SWIFT's
CBPR+ sample files, ``<Envelope xmlns="urn:swift:xsd:envelope">`` holding AppHdr then Document.
Each child is validated against its own XSD, and the header's MsgDefIdr must name the Document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from lxml import etree

from ..errors import FieldError, MessageValidationError
from .common import (
    V2019,
    Agent,
    add_agent,
    find,
    format_value,
    opt,
    read_agent,
    read_bool,
    read_datetime,
    req_text,
    run_reader,
    serialise,
    sub,
    text,
    validate_document_tree,
)
from .pacs008 import Pacs008, read_pacs008
from .pacs009 import Pacs009, read_pacs009
from .schemas import ENVELOPE_NAMESPACE, message_type_of_namespace, namespace_for, parse_xml_bytes

MESSAGE_TYPE = "head.001.001.02"
ENVELOPED_TYPES = ("pacs.008.001.08", "pacs.009.001.08")
CBPR_PLUS_SERVICE = "swift.cbprplus.02"


@dataclass(frozen=True)
class AppHdr:
    """The business application header: who sends what to whom, and when.

    ``sender``/``receiver`` are Fr/FIId and To/FIId (CBPR+ uses BICs here); ``message_definition_id``
    is the wrapped message (pacs.008.001.08); ``business_service`` e.g. swift.cbprplus.02.
    """

    message_type: ClassVar[str] = MESSAGE_TYPE

    sender: Agent
    receiver: Agent
    business_message_id: str
    message_definition_id: str
    created: datetime
    business_service: str | None = CBPR_PLUS_SERVICE
    possible_duplicate: bool | None = None

    def to_xml(self) -> bytes:
        return build_app_hdr(self)


@dataclass(frozen=True)
class BusinessMessage:
    """AppHdr + Document, as exchanged on CBPR+."""

    message_type: ClassVar[str] = "head.001.001.02+document"

    header: AppHdr
    document: Pacs008 | Pacs009

    def to_xml(self) -> bytes:
        return build_business_message(self)


def _app_hdr_element(header: AppHdr) -> etree._Element:
    ns = namespace_for(MESSAGE_TYPE)
    element = etree.Element(f"{{{ns}}}AppHdr", nsmap={None: ns})
    add_agent(sub(element, "Fr"), "FIId", header.sender, V2019)
    add_agent(sub(element, "To"), "FIId", header.receiver, V2019)
    sub(element, "BizMsgIdr", header.business_message_id)
    sub(element, "MsgDefIdr", header.message_definition_id)
    opt(element, "BizSvc", header.business_service)
    sub(element, "CreDt", format_value(header.created))
    opt(element, "PssblDplct", header.possible_duplicate)
    return element


def build_app_hdr(header: AppHdr) -> bytes:
    """Build an XSD-valid head.001.001.02 AppHdr on its own; raise MessageValidationError otherwise."""
    raw = serialise(_app_hdr_element(header))
    tree = parse_xml_bytes(raw, MESSAGE_TYPE)
    errors = validate_document_tree(tree.getroot(), MESSAGE_TYPE)
    if errors:
        raise MessageValidationError(MESSAGE_TYPE, errors)
    return raw


def read_app_hdr(element: etree._Element) -> AppHdr:
    return AppHdr(
        sender=read_agent(find(element, "Fr/FIId"), V2019) or Agent(),
        receiver=read_agent(find(element, "To/FIId"), V2019) or Agent(),
        business_message_id=req_text(element, "BizMsgIdr"),
        message_definition_id=req_text(element, "MsgDefIdr"),
        created=read_datetime(element, "CreDt"),
        business_service=text(element, "BizSvc"),
        possible_duplicate=read_bool(element, "PssblDplct"),
    )


def parse_app_hdr(raw: bytes | str) -> AppHdr:
    """Parse and validate a standalone AppHdr."""
    tree = parse_xml_bytes(raw, MESSAGE_TYPE)
    root = tree.getroot()
    if etree.QName(root).namespace != namespace_for(MESSAGE_TYPE) or etree.QName(root).localname != "AppHdr":
        raise MessageValidationError.single(MESSAGE_TYPE, "AppHdr", "not a head.001.001.02 AppHdr", root.sourceline)
    errors = validate_document_tree(root, MESSAGE_TYPE)
    if errors:
        raise MessageValidationError(MESSAGE_TYPE, errors)
    return run_reader(MESSAGE_TYPE, read_app_hdr, root)


def build_business_message(message: BusinessMessage) -> bytes:
    """Build the CBPR+ style envelope: AppHdr + Document, each validated against its XSD."""
    document_bytes = message.document.to_xml()  # validates the Document on its own
    if message.header.message_definition_id != message.document.message_type:
        raise MessageValidationError.single(
            MESSAGE_TYPE,
            "MsgDefIdr",
            f"AppHdr names {message.header.message_definition_id} but the Document is {message.document.message_type}",
        )
    build_app_hdr(message.header)
    envelope = etree.Element(f"{{{ENVELOPE_NAMESPACE}}}Envelope", nsmap={None: ENVELOPE_NAMESPACE})
    envelope.append(_app_hdr_element(message.header))
    envelope.append(etree.fromstring(document_bytes, etree.XMLParser(resolve_entities=False, no_network=True)))
    etree.indent(envelope, space="  ")
    raw = serialise(envelope)
    errors = envelope_errors(parse_xml_bytes(raw, MESSAGE_TYPE).getroot())
    if errors:  # pragma: no cover - both halves were validated above
        raise MessageValidationError(MESSAGE_TYPE, errors)
    return raw


def _envelope_parts(envelope: etree._Element) -> tuple[etree._Element | None, etree._Element | None]:
    header = document = None
    for child in envelope:
        if not isinstance(child.tag, str):
            continue
        local = etree.QName(child).localname
        if local == "AppHdr" and header is None:
            header = child
        elif local == "Document" and document is None:
            document = child
    return header, document


def envelope_message_type(envelope: etree._Element) -> str | None:
    """Return the message type of the Document inside an envelope, if there is one."""
    _, document = _envelope_parts(envelope)
    return message_type_of_namespace(etree.QName(document).namespace) if document is not None else None


def envelope_errors(envelope: etree._Element) -> list[FieldError]:
    """Validate both halves of an envelope and that they agree."""
    header, document = _envelope_parts(envelope)
    errors: list[FieldError] = []
    if header is None or etree.QName(header).namespace != namespace_for(MESSAGE_TYPE):
        errors.append(FieldError("AppHdr", "envelope needs a head.001.001.02 AppHdr", envelope.sourceline))
    else:
        errors.extend(validate_document_tree(header, MESSAGE_TYPE))
    document_type = message_type_of_namespace(etree.QName(document).namespace) if document is not None else None
    if document is None or document_type not in ENVELOPED_TYPES:
        errors.append(
            FieldError("Document", f"envelope needs a Document of {', '.join(ENVELOPED_TYPES)}", envelope.sourceline)
        )
    else:
        errors.extend(validate_document_tree(document, document_type))
        declared = text(header, "MsgDefIdr") if header is not None else None
        if declared is not None and declared != document_type:
            node = find(header, "MsgDefIdr")
            errors.append(
                FieldError(
                    "AppHdr/MsgDefIdr",
                    f"AppHdr names {declared} but the Document is {document_type}",
                    node.sourceline if node is not None else None,
                )
            )
    return errors


def parse_business_message(raw: bytes | str) -> BusinessMessage:
    """Parse an AppHdr + Document envelope; raise MessageValidationError listing every problem."""
    root = parse_xml_bytes(raw, MESSAGE_TYPE).getroot()
    if etree.QName(root).localname != "Envelope":
        raise MessageValidationError.single(
            MESSAGE_TYPE, "Envelope", "not an AppHdr + Document envelope", root.sourceline
        )
    errors = envelope_errors(root)
    if errors:
        raise MessageValidationError(MESSAGE_TYPE, errors)
    header, document = _envelope_parts(root)
    document_type = message_type_of_namespace(etree.QName(document).namespace)
    reader = read_pacs008 if document_type == "pacs.008.001.08" else read_pacs009
    return BusinessMessage(
        header=run_reader(MESSAGE_TYPE, read_app_hdr, header),
        document=run_reader(document_type, reader, document),
    )
