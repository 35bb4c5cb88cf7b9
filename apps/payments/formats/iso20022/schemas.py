"""Hardened XML parsing and XSD validation for ISO 20022 messages.

The official ISO 20022 schemas are shipped with the product in ``xsd/`` (copied unmodified
from the iso20022.org catalogue) so validation never depends on a shared folder or the network.
Compiling an XSD with lxml takes tens of milliseconds, so each schema is compiled once per
process and cached.

Every partner file goes through :func:`parse_xml_bytes`, which refuses DOCTYPE declarations and
entities before lxml sees them and parses with entity resolution and network access disabled:
XXE and billion-laughs payloads are impossible by construction.
"""

from __future__ import annotations

import copy
import re
import threading
from functools import cache
from pathlib import Path

from lxml import etree

from ..errors import FieldError, MessageValidationError

ISO_NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"
XSD_DIR = Path(__file__).resolve().parent / "xsd"

#: Message definitions whose official XSD ships with the product.
SUPPORTED_MESSAGE_TYPES: tuple[str, ...] = (
    "pacs.008.001.08",
    "pacs.009.001.08",
    "pacs.002.001.10",
    "pacs.004.001.09",
    "pain.001.001.09",
    "pain.001.001.03",
    "pain.002.001.10",
    "pain.002.001.03",
    "pain.008.001.08",
    "pain.008.001.02",
    "camt.052.001.08",
    "camt.053.001.08",
    "camt.054.001.08",
    "camt.056.001.08",
    "camt.029.001.09",
    "head.001.001.02",
)

#: Payment message versions read (parsed and validated with their own official XSD) onto the same domain
#: objects as the version we build (pacs.008.001.08, ...). 2009 (.02/.03) through the newest in use; the
#: pre-2009 layouts (root element named after the message, e.g. pain.001.001.02) are not among them.
PARSED_VERSIONS: dict[str, tuple[str, ...]] = {
    "pacs.008": tuple(f"pacs.008.001.{v:02d}" for v in range(2, 14)),
    "pacs.009": tuple(f"pacs.009.001.{v:02d}" for v in range(2, 12)),
    "pacs.002": tuple(f"pacs.002.001.{v:02d}" for v in range(3, 15)),
    # pacs.004.001.12 is published only with normalised line endings and not shipped (see xsd/README.md).
    "pacs.004": tuple(f"pacs.004.001.{v:02d}" for v in (*range(2, 12), 13)),
    # pain.001.001.03.ch.02: the Swiss Payment Standards (SIX) variant of .03, in SIX's own namespace.
    "pain.001": (*(f"pain.001.001.{v:02d}" for v in range(3, 13)), "pain.001.001.03.ch.02"),
    "pain.002": tuple(f"pain.002.001.{v:02d}" for v in range(3, 15)),
    "pain.008": tuple(f"pain.008.001.{v:02d}" for v in range(2, 12)),
    "head.001": tuple(f"head.001.001.{v:02d}" for v in range(1, 5)),
    # camt.056.001.09 was published as camt.056.001.09_0.xsd; camt.029.001.01 (pre-2009 layout) and .02
    # (never found) are not read.
    "camt.056": tuple(f"camt.056.001.{v:02d}" for v in range(1, 12)),
    "camt.029": tuple(f"camt.029.001.{v:02d}" for v in range(3, 14)),
}

#: Market variants in a namespace of their own (Swiss Payment Standards, ``xsd/six/``): namespace -> message type.
SIX_NAMESPACES: dict[str, str] = {
    "http://www.six-interbank-clearing.com/de/pain.001.001.03.ch.02.xsd": "pain.001.001.03.ch.02",
}
SIX_NAMESPACE_PREFIX = "http://www.six-interbank-clearing.com/de/"
#: Market variants that restrict an ISO message in the ISO namespace: checked when the document names the
#: variant's schema in ``xsi:schemaLocation`` (as Swiss software writes it). ISO message type -> variant.
SIX_RESTRICTIONS: dict[str, str] = {"pain.001.001.09": "pain.001.001.09.ch.03"}

#: Every message definition whose official XSD ships with the product (built ones and parsed-only ones).
ALL_MESSAGE_TYPES: tuple[str, ...] = tuple(
    dict.fromkeys((*SUPPORTED_MESSAGE_TYPES, *(v for versions in PARSED_VERSIONS.values() for v in versions)))
)

#: Root element of the generic envelope carrying an AppHdr and a Document (as in CBPR+ samples).
ENVELOPE_NAMESPACE = "urn:swift:xsd:envelope"

# An XMLSchema keeps its error_log on the instance, so one validation at a time per process.
_VALIDATION_LOCK = threading.Lock()
_FORBIDDEN_MARKUP = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_NS_IN_MESSAGE = re.compile(r"\{[^}]*\}")


def namespace_for(message_type: str) -> str:
    """Return the XML namespace of an ISO 20022 message definition (e.g. pacs.008.001.08)."""
    for namespace, variant in SIX_NAMESPACES.items():
        if variant == message_type:
            return namespace
    return ISO_NAMESPACE_PREFIX + message_type


def message_type_of_namespace(namespace: str | None) -> str | None:
    """Return the message definition id carried by an ISO 20022 (or SIX variant) namespace, or None."""
    if namespace in SIX_NAMESPACES:
        return SIX_NAMESPACES[namespace]
    if not namespace or not namespace.startswith(ISO_NAMESPACE_PREFIX):
        return None
    return namespace[len(ISO_NAMESPACE_PREFIX) :]


def xsd_path(message_type: str) -> Path:
    """Where the official XSD of ``message_type`` ships (SIX variants under ``xsd/six/``)."""
    return XSD_DIR / "six" / f"{message_type}.xsd" if ".ch." in message_type else XSD_DIR / f"{message_type}.xsd"


@cache
def load_schema(message_type: str) -> etree.XMLSchema:
    """Compile (once per process) and return the official XSD of ``message_type``."""
    if message_type not in ALL_MESSAGE_TYPES and message_type not in SIX_RESTRICTIONS.values():
        raise KeyError(message_type)
    parser = _hardened_parser()
    schema_doc = etree.parse(str(xsd_path(message_type)), parser)
    return etree.XMLSchema(schema_doc)


def describe_versions(message_types: tuple[str, ...] | list[str]) -> str:
    """Name message types briefly: runs of a family's versions collapse (pacs.004.001.02-11/13, camt.056.001.08)."""
    families: dict[str, list[int]] = {}
    variants: list[str] = []
    for message_type in message_types:
        if not re.fullmatch(r"[a-z]{4}\.\d{3}\.\d{3}\.\d{2}", message_type):
            variants.append(message_type)  # a market variant such as pain.001.001.03.ch.02
            continue
        families.setdefault(message_type[:-3], []).append(int(message_type[-2:]))
    parts = []
    for family, numbers in families.items():
        runs: list[list[int]] = []
        for number in sorted(set(numbers)):
            if runs and number == runs[-1][-1] + 1:
                runs[-1].append(number)
            else:
                runs.append([number])
        parts.append(
            f"{family}." + "/".join(f"{run[0]:02d}" if len(run) == 1 else f"{run[0]:02d}-{run[-1]:02d}" for run in runs)
        )
    return ", ".join(parts)


@cache
def uses_2009_names(message_type: str) -> bool:
    """True when the version's XSD names BICs ``BIC``/``BICOrBEI`` (2009), False for ``BICFI``/``AnyBIC``."""
    return 'name="BICFI"' not in xsd_path(message_type).read_text(encoding="utf-8")


def _hardened_parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers are not thread-safe when shared.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def parse_xml_bytes(raw: bytes | str, message_type: str = "ISO 20022") -> etree._ElementTree:
    """Parse untrusted XML safely; raise MessageValidationError for anything that is not plain XML.

    A DOCTYPE or ENTITY declaration is refused outright (ISO 20022 messages never need one),
    so external entities and entity-expansion bombs cannot be used against us.
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if not isinstance(raw, bytes | bytearray):
        raise MessageValidationError.single(message_type, "document", "input must be bytes or str")
    raw = _transport_trimmed(bytes(raw))
    if not raw.strip():
        raise MessageValidationError.single(message_type, "document", "empty input")
    if _FORBIDDEN_MARKUP.search(raw):
        raise MessageValidationError.single(message_type, "document", "DOCTYPE/ENTITY declarations are not allowed")
    parser = _hardened_parser()
    try:
        root = etree.fromstring(raw, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        raise MessageValidationError.single(message_type, "document", f"not well-formed XML: {exc}", line) from None
    if root is None:
        raise MessageValidationError.single(message_type, "document", "no root element")
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise MessageValidationError.single(message_type, "document", "DOCTYPE declarations are not allowed")
    return tree


_LEADING_BLANKS = re.compile(rb"^(\xef\xbb\xbf)?([ \t\r\n]+)(<\?xml[^>]*\?>)")
_TRAILING_PADDING = b" \t\r\n\x00\x1a"


def _transport_trimmed(raw: bytes) -> bytes:
    """Undo what file transfer adds around a message, keeping every line number of the message.

    Blank lines before the XML declaration (which XML allows only at the very start) are moved after it;
    NUL, Ctrl-Z and blanks after the root element (padded records, DOS end-of-file) are dropped.
    """
    leading = _LEADING_BLANKS.match(raw)
    if leading:
        bom, blanks, declaration = leading.groups()
        raw = (bom or b"") + declaration + blanks + raw[leading.end() :]
    if not raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 ends in NUL bytes of its own
        raw = raw.rstrip(_TRAILING_PADDING)
    return raw


def element_path(element: etree._Element) -> str:
    """Return the slash-separated local-name path below Document/AppHdr, e.g. GrpHdr/NbOfTxs."""
    names: list[str] = []
    node: etree._Element | None = element
    while node is not None and isinstance(node.tag, str):
        local = etree.QName(node).localname
        if node.getparent() is None or local in ("Document", "AppHdr") and _is_iso(node):
            break
        names.append(local)
        node = node.getparent()
    names.reverse()
    # Drop the message root (FIToFICstmrCdtTrf, CstmrCdtTrfInitn, ...) for shorter, familiar paths.
    if len(names) > 1 and _is_message_root(element, names):
        names = names[1:]
    return "/".join(names) if names else etree.QName(element).localname


def _is_iso(node: etree._Element) -> bool:
    return message_type_of_namespace(etree.QName(node).namespace) is not None


def _is_message_root(element: etree._Element, names: list[str]) -> bool:
    node = element
    for _ in range(len(names) - 1):
        node = node.getparent()
    parent = node.getparent()
    return parent is not None and etree.QName(parent).localname == "Document"


def schema_errors(element: etree._Element, message_type: str) -> list[FieldError]:
    """Validate ``element`` (a Document or AppHdr) against its XSD; return every error with its line."""
    schema = load_schema(message_type)
    # An AppHdr or Document inside an envelope is validated as a document of its own; deepcopy keeps
    # the source line numbers.
    subtree = etree.ElementTree(copy.deepcopy(element)) if element.getparent() is not None else element.getroottree()
    with _VALIDATION_LOCK:
        if schema.validate(subtree):
            return []
        log = list(schema.error_log)
    errors: list[FieldError] = []
    for entry in log:
        field = "document"
        try:
            located = subtree.xpath(entry.path) if entry.path else []
        except etree.XPathError:
            located = []
        if located and isinstance(located[0], etree._Element):
            field = element_path(located[0])
        errors.append(FieldError(field=field, reason="XSD: " + _NS_IN_MESSAGE.sub("", entry.message), line=entry.line))
    return errors
