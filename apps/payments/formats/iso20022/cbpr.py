"""CBPR+ usage rules (SWIFT cross-border payments and reporting on ISO 20022), on top of the ISO XSDs.

A business message whose AppHdr names a CBPR+ business service (``BizSvc`` ``swift.cbprplus.*``) or market
practice (``MktPrctc/Id`` starting with ``CBPRPlus``) is held to the CBPR+ rules we check here. SWIFT's
own usage-guideline schemas (MyStandards) are not public, so these are the rules of the CBPR+ usage
guidelines that do not need them; each is a network-rule warning (``errors.WARNING``): the message is
readable ISO 20022, but the SWIFT network would refuse it. ``validate_message --strict`` counts them.

* the Document is a message CBPR+ carries, in the version CBPR+ uses (pacs.008.001.08, pacs.009.001.08,
  pacs.004.001.09, pacs.002.001.10, camt.056.001.08, camt.029.001.09, camt.052/053/054.001.08,
  pain.001.001.09), under a head.001.001.02 AppHdr;
* AppHdr Fr and To are financial institutions identified by BIC (``FIId/FinInstnId/BICFI``);
* a pacs.008/pacs.009 carries exactly one transaction (``GrpHdr/NbOfTxs`` 1), settles by INDA or INGA (a pacs.008 also
  COVE), and
  every transaction has a UETR; a pacs.008 charge bearer is DEBT, CRED or SHAR (SLEV is SEPA's);
* every creation time (``CreDt``, ``CreDtTm``) states its UTC offset.

The EPC SEPA rules are :mod:`.sepa`; a message may declare both (SEPA over CBPR+ is unusual, not refused).
"""

from __future__ import annotations

import re

from lxml import etree

from ..errors import FieldError, network_rule
from .common import find, find_all, message_root, text, version_of
from .schemas import element_path

CBPR_MESSAGES = (
    "pacs.008.001.08",
    "pacs.009.001.08",
    "pacs.004.001.09",
    "pacs.002.001.10",
    "camt.056.001.08",
    "camt.029.001.09",
    "camt.052.001.08",
    "camt.053.001.08",
    "camt.054.001.08",
    "pain.001.001.09",
)
CBPR_HEADER = "head.001.001.02"
_OFFSET = re.compile(r"(Z|[+-]\d\d:\d\d)$")


def declares_cbpr(header: etree._Element | None) -> bool:
    """True when the AppHdr names a CBPR+ business service or market practice."""
    if header is None:
        return False
    service = (text(header, "BizSvc") or "").strip().lower()
    practice = (text(header, "MktPrctc/Id") or "").strip().lower()
    return service.startswith("swift.cbprplus") or practice.startswith("cbprplus")


def _rule(element: etree._Element, reason: str, field: str | None = None) -> FieldError:
    return network_rule(field or element_path(element), f"CBPR+: {reason}", element.sourceline)


def cbpr_errors(header: etree._Element, document: etree._Element) -> list[FieldError]:
    """Every CBPR+ rule the AppHdr + Document break (warnings); [] when the header does not declare CBPR+."""
    if not declares_cbpr(header):
        return []
    errors: list[FieldError] = []
    header_type, document_type = version_of(header), version_of(document)
    if header_type != CBPR_HEADER:
        errors.append(_rule(header, f"the AppHdr must be {CBPR_HEADER}, got {header_type}", "AppHdr"))
    if document_type not in CBPR_MESSAGES:
        family = [m for m in CBPR_MESSAGES if m[:8] == document_type[:8]]
        expected = f"CBPR+ uses {family[0]}" if family else "not a CBPR+ message"
        errors.append(_rule(document, f"{document_type}: {expected}", "Document"))
    for side in ("Fr", "To"):
        party = find(header, side)
        if party is not None and find(party, "FIId/FinInstnId/BICFI") is None:
            errors.append(_rule(party, "sender and receiver are identified by BIC (FIId/FinInstnId/BICFI)", side))
    for node in (find(header, "CreDt"), *document.iter(f"{{{etree.QName(document).namespace}}}CreDtTm")):
        if node is not None and node.text and not _OFFSET.search(node.text.strip()):
            errors.append(_rule(node, f"{node.text.strip()} must state its UTC offset (Z or +hh:mm)"))
    root = message_root(document)
    if root is not None and document_type[:8] in ("pacs.008", "pacs.009"):
        errors.extend(_credit_transfer_errors(root, document_type))
    return errors


def _credit_transfer_errors(root: etree._Element, document_type: str) -> list[FieldError]:
    errors: list[FieldError] = []
    count = find(root, "GrpHdr/NbOfTxs")
    if count is not None and (count.text or "").strip() != "1":
        errors.append(_rule(count, f"exactly one transaction per message, NbOfTxs is {(count.text or '').strip()}"))
    method = find(root, "GrpHdr/SttlmInf/SttlmMtd")
    # A customer credit transfer may also settle by cover (COVE: the funds travel in a pacs.009 COV through the
    # correspondents); the cover itself, a bank transfer, settles over an account (INDA/INGA). No CLRG: CBPR+ runs
    # over correspondent accounts, not a clearing system.
    allowed = ("INDA", "INGA", "COVE") if document_type.startswith("pacs.008") else ("INDA", "INGA")
    if method is not None and (method.text or "").strip() not in allowed:
        got = (method.text or "").strip()
        errors.append(_rule(method, f"settlement method must be {' or '.join(allowed)}, got {got}"))
    for tx in find_all(root, "CdtTrfTxInf"):
        payment_id = find(tx, "PmtId")
        if payment_id is not None and find(payment_id, "UETR") is None:
            errors.append(_rule(payment_id, "every transaction carries a UETR", element_path(payment_id) + "/UETR"))
        bearer = find(tx, "ChrgBr")
        if document_type.startswith("pacs.008") and bearer is not None and (bearer.text or "").strip() == "SLEV":
            errors.append(_rule(bearer, "charge bearer must be DEBT, CRED or SHAR (SLEV is for SEPA)"))
    return errors
