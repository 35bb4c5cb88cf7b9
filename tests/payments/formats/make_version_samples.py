"""Write one sample per pacs/pain version read by the formats library (run by hand; output committed).

Each sample (``golden/iso20022/versions/<version>.xml``) is one of our golden files
(``golden/iso20022/<source>.xml``, built by our own builders in the version we build) rewritten the way
that version spells the same content, then validated with that version's official XSD; a sample that
does not validate is not written. The rewrite:

* the namespace becomes the target version's;
* the 2009 versions name BICs ``BIC``/``BICOrBEI``, later ones ``BICFI``/``AnyBIC``;
* elements the target version does not define at all are dropped (UETR, OrgnlUETR and LEI before 2019,
  OrgnlIntrBkSttlmDt in pacs.004 before 001.08);
* pacs.009 up to 001.03 has the message root FinInstnCdtTrf; up to 001.07 PmtId/TxId is mandatory;
* pacs.008.001.02 names the charging agent ChrgsInf/Pty; pacs.008.001.13 moves AccptncDtTm into AddtlDtTm;
* the Swiss pain.001.001.03.ch.02 is .03 in SIX's namespace, validated with SIX's schema (``xsd/six/``).

These are not partner files: they prove that each version's structure is read onto the same model.
Partner files live under ``golden/iso20022/partner/`` and ``interop/``.

    .venv/bin/python tests/payments/formats/make_version_samples.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from lxml import etree

from apps.payments.formats.iso20022.schemas import namespace_for, xsd_path

GOLDEN = Path(__file__).resolve().parent / "golden" / "iso20022"
HERE = GOLDEN / "versions"
NS = "urn:iso:std:iso:20022:tech:xsd:"

#: target version -> golden file it is rewritten from
SOURCES: dict[str, str] = {
    **{f"pacs.008.001.{v:02d}": "pacs.008.001.08.xml" for v in range(2, 14) if v != 8},
    **{f"pacs.009.001.{v:02d}": "pacs.009.001.08.xml" for v in range(2, 12) if v != 8},
    **{f"pacs.002.001.{v:02d}": "pacs.002.001.10.xml" for v in range(3, 15) if v != 10},
    **{f"pacs.004.001.{v:02d}": "pacs.004.001.09.xml" for v in (*range(2, 12), 13) if v != 9},
    **{f"pain.001.001.{v:02d}": "pain.001.001.03.xml" for v in range(4, 8)},
    **{f"pain.001.001.{v:02d}": "pain.001.001.09.xml" for v in (8, 10, 11, 12)},
    **{f"pain.002.001.{v:02d}": "pain.002.001.03.xml" for v in range(4, 10)},
    **{f"pain.002.001.{v:02d}": "pain.002.001.10.xml" for v in range(11, 15)},
    **{f"pain.008.001.{v:02d}": "pain.008.001.02.xml" for v in range(3, 8)},
    **{f"pain.008.001.{v:02d}": "pain.008.001.08.xml" for v in range(9, 12)},
    "pain.001.001.03.ch.02": "pain.001.001.03.xml",  # Swiss Payment Standards, SIX's own namespace
    **{f"camt.056.001.{v:02d}": "camt.056.001.08.xml" for v in range(1, 12) if v != 8},
    **{f"camt.029.001.{v:02d}": "camt.029.001.09.xml" for v in range(3, 14) if v != 9},
}


def _defines(xsd_text: str, name: str) -> bool:
    return f'name="{name}"' in xsd_text


def rewrite(source: bytes, target: str) -> bytes:
    root = etree.fromstring(source, etree.XMLParser(remove_blank_text=True))
    old_type = etree.QName(root).namespace[len(NS) :]
    xsd_text = xsd_path(target).read_text(encoding="utf-8")
    old_2009 = not _defines(xsd_path(old_type).read_text(encoding="utf-8"), "BICFI")
    new_2009 = not _defines(xsd_text, "BICFI")
    ns = namespace_for(target)
    renames = {}
    if new_2009 and not old_2009:
        renames = {"BICFI": "BIC", "AnyBIC": "BICOrBEI"}
    elif old_2009 and not new_2009:
        renames = {"BIC": "BICFI", "BICOrBEI": "AnyBIC"}
    for element in root.iter(etree.Element):
        name = etree.QName(element).localname
        element.tag = f"{{{ns}}}{renames.get(name, name)}"
    _version_rules(root, target, ns)
    for element in list(root.iter(etree.Element)):
        if not _defines(xsd_text, etree.QName(element).localname) and element.getparent() is not None:
            element.getparent().remove(element)
    document = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})  # the default namespace, as the source
    document.extend(list(root))
    etree.cleanup_namespaces(document)
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _version_rules(root: etree._Element, target: str, ns: str) -> None:
    family, version = target[:8], int(target[13:15])

    def q(name: str) -> str:
        return f"{{{ns}}}{name}"

    if family == "pacs.009" and version <= 3:
        root[0].tag = q("FinInstnCdtTrf")
    if family == "pacs.009" and version <= 7:
        for payment_id in root.iter(q("PmtId")):
            if payment_id.find(q("TxId")) is None:
                tx_id = etree.SubElement(payment_id, q("TxId"))
                tx_id.text = "TX-" + payment_id.findtext(q("EndToEndId"))
    if family == "pacs.008" and version == 2:
        for agent in root.iter(q("Agt")):
            if etree.QName(agent.getparent()).localname == "ChrgsInf":
                agent.tag = q("Pty")
    if family == "pacs.008" and version >= 13:
        for tx in root.iter(q("CdtTrfTxInf")):
            acceptance = tx.find(q("AccptncDtTm"))
            if acceptance is not None:
                index = list(tx).index(acceptance)
                holder = etree.Element(q("AddtlDtTm"))
                holder.append(acceptance)
                tx.insert(index, holder)


def main() -> int:
    failed = 0
    for target, source in sorted(SOURCES.items()):
        raw = rewrite((GOLDEN / source).read_bytes(), target)
        schema = etree.XMLSchema(etree.parse(str(xsd_path(target))))
        if not schema.validate(etree.ElementTree(etree.fromstring(raw))):
            failed += 1
            print(f"{target}: not XSD-valid, not written: {schema.error_log.last_error}", file=sys.stderr)
            continue
        (HERE / f"{target}.xml").write_bytes(raw)
        print(f"{target}.xml  <- {source}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
