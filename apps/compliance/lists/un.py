"""The UN Security Council Consolidated List XML (``CONSOLIDATED_LIST`` of ``INDIVIDUAL`` and ``ENTITY``).

Parsed with lxml, entities and network access off. The entry id is the UN reference number (``CDi.001``);
names are FIRST_NAME .. FOURTH_NAME in order; aliases carry a QUALITY (Good / a.k.a. -> aka, Low -> weak_aka,
f.k.a. -> fka).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from lxml import etree

from . import ListFileError, ParsedEntry, ParsedList, ParsedName, unique

ALIAS_KINDS = {"good": "aka", "a.k.a.": "aka", "low": "weak_aka", "f.k.a.": "fka", "n.k.a.": "nka"}
NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")


def _text(node, path: str) -> str:
    found = node.find(path)
    return " ".join((found.text or "").split()) if found is not None and found.text else ""


def _texts(node, path: str) -> list[str]:
    return [" ".join(n.text.split()) for n in node.iterfind(path) if n.text and n.text.strip()]


def _dates_of_birth(node) -> list[str]:
    dates = []
    for dob in node.iterfind("INDIVIDUAL_DATE_OF_BIRTH"):
        approx = "~" if _text(dob, "TYPE_OF_DATE").upper() == "APPROXIMATELY" else ""
        if date := _text(dob, "DATE"):
            dates.append(approx + date[:10])
        elif year := _text(dob, "YEAR"):
            dates.append(approx + year)
        elif (low := _text(dob, "FROM_YEAR")) and (high := _text(dob, "TO_YEAR")):
            dates.append(f"{approx}{low}..{high}")
    return dates


def _entry(node, entity_type: str) -> ParsedEntry:
    reference = _text(node, "REFERENCE_NUMBER")
    primary = " ".join(p for p in (_text(node, part) for part in NAME_PARTS) if p)
    if not reference or not primary:
        raise ListFileError(f"UN entry DATAID {_text(node, 'DATAID')!r} has no reference number or name")
    entry = ParsedEntry(
        entry_id=reference,
        entity_type=entity_type,
        primary_name=primary,
        names=[ParsedName("primary", primary)],
        programs=unique([_text(node, "UN_LIST_TYPE")]),
        remarks=_text(node, "COMMENTS1"),
    )
    if original := _text(node, "NAME_ORIGINAL_SCRIPT"):
        entry.names.append(ParsedName("original_script", original))
    alias_tag = "INDIVIDUAL_ALIAS" if entity_type == "individual" else "ENTITY_ALIAS"
    for alias in node.iterfind(alias_tag):
        if name := _text(alias, "ALIAS_NAME"):
            entry.names.append(ParsedName(ALIAS_KINDS.get(_text(alias, "QUALITY").lower(), "aka"), name))
    entry.dates_of_birth = unique(_dates_of_birth(node))
    entry.nationalities = unique(_texts(node, "NATIONALITY/VALUE"))
    entry.countries = unique(
        _texts(node, "INDIVIDUAL_ADDRESS/COUNTRY")
        + _texts(node, "ENTITY_ADDRESS/COUNTRY")
        + _texts(node, "INDIVIDUAL_PLACE_OF_BIRTH/COUNTRY")
    )
    return entry


def parse_un(path: Path) -> ParsedList:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ListFileError(f"{path}: cannot read: {exc.strerror}") from exc
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise ListFileError(f"{path}: not well-formed XML: {exc}") from exc
    if root.tag != "CONSOLIDATED_LIST":
        raise ListFileError(f"{path}: root element is {root.tag!r}, expected CONSOLIDATED_LIST (UN list XML)")
    entries = [_entry(n, "individual") for n in root.iterfind("INDIVIDUALS/INDIVIDUAL")]
    entries += [_entry(n, "entity") for n in root.iterfind("ENTITIES/ENTITY")]
    return ParsedList(
        entries=entries,
        sources=[path.name],
        sha256=hashlib.sha256(raw).hexdigest(),
        published=root.get("dateGenerated", "")[:40],
    )
