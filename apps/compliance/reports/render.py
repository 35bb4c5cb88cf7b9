"""A readable HTML rendering of a regulatory report: its figures, its parties and its batch XML. Reads only."""

from __future__ import annotations

from django.template.loader import render_to_string
from lxml import etree

from ..aml_models import AmlReport
from .fincen import NS


def _text(node, name: str) -> str:
    found = node.find(f"{{{NS}}}{name}")
    return found.text or "" if found is not None else ""


PARTY_ROLES = {
    "35": "Transmitter",
    "37": "Transmitter contact",
    "30": "Reporting / filing institution",
    "8": "Contact office",
    "34": "Institution where the activity occurred",
    "50": "Person involved",
    "33": "Subject",
    "15": "Filer",
    "41": "Financial institution",
}


def report_parties(report: AmlReport) -> list[dict[str, str]]:
    root = etree.fromstring(report.xml.encode())
    parties = []
    for party in root.iter(f"{{{NS}}}Party"):
        code = _text(party, "ActivityPartyTypeCode")
        name = party.find(f"{{{NS}}}PartyName")
        label = ""
        if name is not None:
            label = " ".join(
                t
                for t in (
                    _text(name, "RawIndividualFirstName"),
                    _text(name, "RawEntityIndividualLastName"),
                    _text(name, "RawPartyFullName"),
                )
                if t
            )
        parties.append({"code": code, "role": PARTY_ROLES.get(code, code), "name": label})
    return parties


def report_html(report: AmlReport) -> str:
    return render_to_string(
        "compliance/report.html",
        {"report": report, "parties": report_parties(report), "figures": sorted(report.figures.items())},
    )
