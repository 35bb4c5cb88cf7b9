"""Business Application Header (AppHdr, head.001) and the AppHdr + Document envelope.

CBPR+ (SWIFT cross-border on ISO 20022) and several instant rails send every message as an
AppHdr followed by the Document. ISO defines no schema for the wrapper; we build the one in SWIFT's
CBPR+ sample files, ``<Envelope xmlns="urn:swift:xsd:envelope">`` holding AppHdr then Document, and
read any wrapper partners use (``Envelope``, ``BizMsgEnvlp``, a SWIFTNet ``DataPDU``/``Body``, a
vendor's own element, in any namespace or none) that holds an AppHdr and a Document, however deep.
Each part is validated against its own version's XSD (AppHdr head.001.001.01 - .04, the Document any
version we read), and the header's MsgDefIdr must name the Document; when the header declares CBPR+, the
CBPR+ usage rules of :mod:`.cbpr` are checked too (warnings). We build head.001.001.02.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
    version_of,
)
from .pacs008 import Pacs008
from .pacs009 import Pacs009
from .schemas import (
    ALL_MESSAGE_TYPES,
    ENVELOPE_NAMESPACE,
    PARSED_VERSIONS,
    describe_versions,
    message_type_of_namespace,
    namespace_for,
    parse_xml_bytes,
)

MESSAGE_TYPE = "head.001.001.02"
#: AppHdr versions read (each with its own XSD); :data:`MESSAGE_TYPE` is the one built.
HEAD_VERSIONS = PARSED_VERSIONS["head.001"]
#: Documents read inside an envelope: every message we read on its own.
ENVELOPED_TYPES = tuple(t for t in ALL_MESSAGE_TYPES if not t.startswith("head."))
CBPR_PLUS_SERVICE = "swift.cbprplus.02"


@dataclass(frozen=True)
class AppHdr:
    """The business application header: who sends what to whom, and when.

    ``sender``/``receiver`` are Fr/FIId and To/FIId (CBPR+ uses BICs here); ``message_definition_id``
    is the wrapped message (pacs.008.001.08); ``business_service`` e.g. swift.cbprplus.02;
    ``market_practice`` MktPrctc/Id (head.001.001.03 on); ``version`` the AppHdr version read.
    """

    sender: Agent
    receiver: Agent
    business_message_id: str
    message_definition_id: str
    created: datetime
    business_service: str | None = CBPR_PLUS_SERVICE
    possible_duplicate: bool | None = None
    market_practice: str | None = None
    version: str = MESSAGE_TYPE

    @property
    def message_type(self) -> str:
        return self.version

    def to_xml(self) -> bytes:
        return build_app_hdr(self)


@dataclass(frozen=True)
class BusinessMessage:
    """AppHdr + Document, as exchanged on CBPR+ (built: a pacs.008/pacs.009; read: any message we read)."""

    header: AppHdr
    document: Pacs008 | Pacs009 | Any

    @property
    def message_type(self) -> str:
        return f"{self.header.message_type}+document"

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
    if header.version != MESSAGE_TYPE or header.market_practice is not None:
        raise MessageValidationError.single(
            header.version, "version", f"the AppHdr is built in {MESSAGE_TYPE} only (other versions are read)"
        )
    raw = serialise(_app_hdr_element(header))
    tree = parse_xml_bytes(raw, MESSAGE_TYPE)
    errors = validate_document_tree(tree.getroot(), MESSAGE_TYPE)
    if errors:
        raise MessageValidationError(MESSAGE_TYPE, errors)
    return raw


def read_app_hdr(element: etree._Element) -> AppHdr:
    """Read an XSD-valid AppHdr of any version (all name the BIC BICFI)."""
    return AppHdr(
        sender=read_agent(find(element, "Fr/FIId"), V2019) or Agent(),
        receiver=read_agent(find(element, "To/FIId"), V2019) or Agent(),
        business_message_id=req_text(element, "BizMsgIdr"),
        message_definition_id=req_text(element, "MsgDefIdr"),
        created=read_datetime(element, "CreDt"),
        business_service=text(element, "BizSvc"),
        possible_duplicate=read_bool(element, "PssblDplct"),
        market_practice=text(element, "MktPrctc/Id"),
        version=version_of(element),
    )


def parse_app_hdr(raw: bytes | str) -> AppHdr:
    """Parse and validate a standalone AppHdr."""
    tree = parse_xml_bytes(raw, MESSAGE_TYPE)
    root = tree.getroot()
    version = version_of(root)
    if version not in HEAD_VERSIONS or etree.QName(root).localname != "AppHdr":
        raise MessageValidationError.single(
            MESSAGE_TYPE, "AppHdr", f"not a {describe_versions(HEAD_VERSIONS)} AppHdr", root.sourceline
        )
    errors = validate_document_tree(root, version)
    if errors:
        raise MessageValidationError(version, errors)
    return run_reader(version, read_app_hdr, root)


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


def _is_iso(element: etree._Element) -> bool:
    return message_type_of_namespace(etree.QName(element).namespace) is not None


def _envelope_parts(envelope: etree._Element) -> tuple[etree._Element | None, etree._Element | None]:
    """The first AppHdr and the first Document in an ISO 20022 namespace anywhere below the wrapper."""
    header = document = None
    for child in envelope.iter(etree.Element):
        if child is envelope or not _is_iso(child):
            continue
        local = etree.QName(child).localname
        if local == "AppHdr" and header is None:
            header = child
        elif local == "Document" and document is None:
            document = child
    return header, document


def is_envelope(root: etree._Element) -> bool:
    """True for a wrapper (any element that is not itself an ISO 20022 AppHdr/Document) holding either."""
    if _is_iso(root) and etree.QName(root).localname in ("AppHdr", "Document"):
        return False
    header, document = _envelope_parts(root)
    return header is not None or document is not None


def envelope_message_type(envelope: etree._Element) -> str | None:
    """Return the message type of the Document inside an envelope, if there is one."""
    _, document = _envelope_parts(envelope)
    return message_type_of_namespace(etree.QName(document).namespace) if document is not None else None


def envelope_errors(envelope: etree._Element) -> list[FieldError]:
    """Validate both halves of an envelope, each with its own version's XSD, and that they agree."""
    header, document = _envelope_parts(envelope)
    errors: list[FieldError] = []
    header_type = version_of(header) if header is not None else None
    if header is None or header_type not in HEAD_VERSIONS:
        errors.append(
            FieldError("AppHdr", f"envelope needs a {describe_versions(HEAD_VERSIONS)} AppHdr", envelope.sourceline)
        )
    else:
        errors.extend(validate_document_tree(header, header_type))
    document_type = version_of(document) if document is not None else None
    if document is None or document_type not in ENVELOPED_TYPES:
        found = f", got {document_type}" if document_type else ""
        errors.append(
            FieldError(
                "Document",
                f"envelope needs a Document of {describe_versions(ENVELOPED_TYPES)}{found}",
                document.sourceline if document is not None else envelope.sourceline,
            )
        )
    else:
        errors.extend(validate_document_tree(document, document_type))
        declared = text(header, "MsgDefIdr") if header is not None else None
        if declared is not None and declared.strip() != document_type:
            node = find(header, "MsgDefIdr")
            errors.append(
                FieldError(
                    "AppHdr/MsgDefIdr",
                    f"AppHdr names {declared} but the Document is {document_type}",
                    node.sourceline if node is not None else None,
                )
            )
    if not errors and header is not None and document is not None:
        from .cbpr import cbpr_errors  # local: cbpr reads with helpers that import this package's modules

        errors.extend(cbpr_errors(header, document))
    return errors


def parse_business_message(raw: bytes | str) -> BusinessMessage:
    """Parse an AppHdr + Document envelope; raise MessageValidationError listing every problem."""
    root = parse_xml_bytes(raw, MESSAGE_TYPE).getroot()
    return read_business_message(root)


def read_business_message(root: etree._Element) -> BusinessMessage:
    """Validate and read a parsed envelope; raise MessageValidationError listing every problem."""
    if not is_envelope(root):
        raise MessageValidationError.single(
            MESSAGE_TYPE, "Envelope", "not an AppHdr + Document envelope", root.sourceline
        )
    errors = envelope_errors(root)
    if errors:
        raise MessageValidationError(MESSAGE_TYPE, errors)
    from . import document_reader  # local: the package's reader table imports this module

    header, document = _envelope_parts(root)
    document_type = version_of(document)
    return BusinessMessage(
        header=run_reader(version_of(header), read_app_hdr, header),
        document=run_reader(document_type, document_reader(document_type), document),
    )
