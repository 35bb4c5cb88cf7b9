"""SEPA rulebook checks (EPC SCT, SCT Inst and SDD Core/B2B) on top of the ISO 20022 XSD.

The EPC's restricted XSDs (EPC132-08, EPC130/131-08, EPC122/124-16) are not shipped with the product,
so the rules they add to the ISO base schemas are implemented here as checks on the validated
tree. They run whenever a pain.001, pacs.008 or pain.008 declares ``SvcLvl/Cd`` = ``SEPA``,
both on messages we build and on messages we parse, so one implementation serves both directions.

Rules (each has a positive and negative test in tests/payments/formats/test_sepa_rules.py):

* ``charset``        every text value uses the EPC Latin set ``a-z A-Z 0-9 / - ? : ( ) . , ' + space``
* ``identifier``     MsgId, PmtInfId, InstrId, EndToEndId, TxId, MndtId: no leading/trailing ``/``, no ``//``
* ``currency``       EUR only (every Ccy attribute)
* ``service-level``  every SvcLvl/Cd is SEPA, and every transaction is covered by one
* ``amount-range``   each transaction amount is 0.01 .. 999 999 999.99 EUR
* ``inst-cap``       SCT Inst (LclInstrm INST): each amount <= 100 000.00 EUR (the EPC maximum since 2020)
* ``mandatory``      debtor name, creditor name, debtor IBAN, creditor IBAN on every transaction
* ``charge-bearer``  ChrgBr, where present, is SLEV
* ``remittance``     at most one Ustrd (max 140 chars), and not both Ustrd and Strd
* ``name-length``    party names at most 70 characters, at most 2 AdrLine
* ``agent-bic``      interbank (pacs.008): debtor and creditor agents identified by BICFI (IBAN-only
                     is a customer-to-bank convenience; between banks the BIC is mandatory)
* ``sdd-*``          mandate id, date of signature, sequence type FRST/RCUR/OOFF/FNAL, local instrument
                     CORE/B2B, creditor scheme id (SchmeNm/Prtry SEPA, valid ISO 7064 check digits)

Character conversion (:func:`to_epc_latin`): the EPC character-set guidance (EPC217-08) lets each
community convert other characters to the Latin set. We transliterate with ``anyascii`` (so ``ä -> a``,
``ß -> ss``, ``Ł -> L``, Greek/Cyrillic/CJK to their Latin readings) because that is what most
banks across the eurozone do and keeps names short; the German DK convention ``ä -> ae``,
``ö -> oe``, ``ü -> ue`` is available with ``umlauts_as_digraphs=True``. ``&`` becomes ``+``
(the common EPC recommendation), ``_`` becomes ``-``, ``"`` becomes ``'``; any other character still
outside the set becomes a space, runs of spaces are collapsed.
"""

from __future__ import annotations

import dataclasses
import re
import string
from decimal import Decimal

from anyascii import anyascii
from lxml import etree

from ..errors import ERROR, WARNING, FieldError
from .common import find, find_all, read_decimal, text
from .schemas import element_path

SEPA_FAMILIES = ("pacs.008", "pain.001", "pain.008")
EPC_LATIN_CHARACTERS = frozenset(string.ascii_letters + string.digits + "/-?:().,'+ ")
SCT_INST_MAX_AMOUNT = Decimal("100000.00")
SEPA_MIN_AMOUNT = Decimal("0.01")
SEPA_MAX_AMOUNT = Decimal("999999999.99")
SEPA_SEQUENCE_TYPES = ("FRST", "RCUR", "OOFF", "FNAL")
SEPA_DIRECT_DEBIT_SCHEMES = ("CORE", "B2B")
MAX_REMITTANCE_LENGTH = 140
MAX_NAME_LENGTH = 70

_IDENTIFIER_TAGS = {"MsgId", "PmtInfId", "InstrId", "EndToEndId", "TxId", "MndtId"}
_NAME_HOLDERS = {"Dbtr", "Cdtr", "UltmtDbtr", "UltmtCdtr", "InitgPty"}
_TRANSACTION_TAGS = {"CdtTrfTxInf", "DrctDbtTxInf"}
_UMLAUT_DIGRAPHS = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
_PUNCTUATION = {"&": "+", "_": "-", '"': "'", "`": "'", "[": "(", "]": ")", "{": "(", "}": ")", ";": ",", "!": "."}
_CREDITOR_ID = re.compile(r"^([A-Z]{2})(\d{2})([A-Za-z0-9]{3})([A-Za-z0-9]{1,28})$")


# --------------------------------------------------------------------------- character set
def is_epc_latin(value: str) -> bool:
    """Return True when every character of ``value`` is in the EPC SEPA Latin character set."""
    return all(char in EPC_LATIN_CHARACTERS for char in value)


def to_epc_latin(value: str, *, umlauts_as_digraphs: bool = False) -> str:
    """Convert free text (names, remittance) to the EPC Latin set; see the module docstring for the choices."""
    if umlauts_as_digraphs:
        value = "".join(_UMLAUT_DIGRAPHS.get(char, char) for char in value)
    converted = anyascii(value)
    converted = "".join(_PUNCTUATION.get(char, char) for char in converted)
    converted = "".join(char if char in EPC_LATIN_CHARACTERS else " " for char in converted)
    return re.sub(r" {2,}", " ", converted).strip()


def creditor_identifier_problem(value: str) -> str | None:
    """Return why ``value`` is not a valid SEPA creditor identifier (EPC262-08), or None.

    Layout: country code, 2 check digits, 3-character creditor business code (ignored by the check),
    national identifier. Check digits: ISO 7064 MOD 97-10 over national id + country + "00".
    """
    match = _CREDITOR_ID.match(value or "")
    if not match:
        return f"malformed SEPA creditor identifier {value!r}"
    country, check, _business_code, national = match.groups()
    digits = "".join(str(int(char, 36)) for char in (national + country).upper()) + "00"
    expected = 98 - int(digits) % 97
    if int(check) != expected:
        return f"creditor identifier {value!r} has check digits {check}, expected {expected:02d}"
    return None


# --------------------------------------------------------------------------- checks
def declares_sepa(document: etree._Element) -> bool:
    """Return True if any PmtTpInf in the Document names service level SEPA."""
    ns = etree.QName(document).namespace
    return any(
        (node.text or "").strip() == "SEPA" for node in document.iter(f"{{{ns}}}Cd") if _parent_name(node) == "SvcLvl"
    )


def _parent_name(node: etree._Element) -> str:
    parent = node.getparent()
    return etree.QName(parent).localname if parent is not None else ""


def _error(element: etree._Element, rule: str, reason: str, field: str | None = None) -> FieldError:
    """An EPC rule broken: a network-rule warning (``errors.WARNING``); check digits stay errors (see callers)."""
    return FieldError(field or element_path(element), f"SEPA {rule}: {reason}", element.sourceline, WARNING)


def sepa_errors(document: etree._Element, message_type: str) -> list[FieldError]:
    """Return every SEPA rulebook violation of a pain.001 / pacs.008 / pain.008 Document."""
    if message_type[:8] not in SEPA_FAMILIES:
        return []
    errors: list[FieldError] = []
    errors.extend(_charset_and_identifier_errors(document))
    errors.extend(_currency_errors(document))
    errors.extend(_service_level_errors(document))
    errors.extend(_transaction_errors(document, message_type))
    errors.extend(_party_errors(document))
    if message_type.startswith("pain.008"):
        errors.extend(_direct_debit_errors(document))
    if message_type.startswith("pacs.008"):
        errors.extend(_interbank_agent_errors(document))
    return errors


def _interbank_agent_errors(document: etree._Element) -> list[FieldError]:
    errors = []
    for tx in _transactions(document):
        for agent in ("DbtrAgt", "CdtrAgt"):
            if not text(tx, f"{agent}/FinInstnId/BICFI"):
                errors.append(
                    _error(tx, "agent-bic", f"{agent} must be identified by its BIC", f"{agent}/FinInstnId/BICFI")
                )
    return errors


def _charset_and_identifier_errors(document: etree._Element) -> list[FieldError]:
    errors: list[FieldError] = []
    for element in document.iter(etree.Element):
        if len(element) or element.text is None:
            continue
        value = element.text
        bad = sorted({char for char in value if char not in EPC_LATIN_CHARACTERS})
        if bad:
            shown = "".join(bad)
            errors.append(_error(element, "charset", f"characters {shown!r} are outside the EPC Latin character set"))
        local = etree.QName(element).localname
        if local in _IDENTIFIER_TAGS and (value.startswith("/") or value.endswith("/") or "//" in value):
            errors.append(_error(element, "identifier", f"{local} may not start or end with '/' or contain '//'"))
    return errors


def _currency_errors(document: etree._Element) -> list[FieldError]:
    return [
        _error(element, "currency", f"only EUR is allowed, got {element.get('Ccy')}")
        for element in document.iter(etree.Element)
        if element.get("Ccy") is not None and element.get("Ccy") != "EUR"
    ]


def _service_level_errors(document: etree._Element) -> list[FieldError]:
    errors: list[FieldError] = []
    ns = etree.QName(document).namespace
    for service_level in document.iter(f"{{{ns}}}SvcLvl"):
        code = text(service_level, "Cd")
        if code != "SEPA":
            errors.append(_error(service_level, "service-level", f"service level must be SEPA, got {code or 'none'}"))
    for tx in _transactions(document):
        holders = [tx, *_ancestors(tx)]
        if not any(text(holder, "PmtTpInf/SvcLvl/Cd") == "SEPA" for holder in holders):
            errors.append(_error(tx, "service-level", "transaction is not covered by PmtTpInf/SvcLvl/Cd SEPA"))
    return errors


def _transactions(document: etree._Element) -> list[etree._Element]:
    ns = etree.QName(document).namespace
    return [node for tag in _TRANSACTION_TAGS for node in document.iter(f"{{{ns}}}{tag}")]


def _ancestors(element: etree._Element) -> list[etree._Element]:
    """The enclosing PmtInf and the message's GrpHdr: where payment-type info can be inherited from."""
    holders: list[etree._Element] = []
    parent = element.getparent()
    if parent is not None and etree.QName(parent).localname == "PmtInf":
        holders.append(parent)
        parent = parent.getparent()
    header = find(parent, "GrpHdr")
    if header is not None:
        holders.append(header)
    return holders


def _inherited(tx: etree._Element, path: str) -> etree._Element | None:
    for holder in [tx, *_ancestors(tx)]:
        node = find(holder, path)
        if node is not None:
            return node
    return None


def _transaction_errors(document: etree._Element, message_type: str) -> list[FieldError]:
    errors: list[FieldError] = []
    for tx in _transactions(document):
        amount_node = find(tx, "IntrBkSttlmAmt") if message_type.startswith("pacs") else None
        if amount_node is None:
            amount_node = find(tx, "Amt/InstdAmt") if message_type.startswith("pain.001") else find(tx, "InstdAmt")
        amount = read_decimal(amount_node)
        if amount_node is not None and amount is not None:
            if not SEPA_MIN_AMOUNT <= amount <= SEPA_MAX_AMOUNT:
                errors.append(_error(amount_node, "amount-range", f"amount {amount} is outside 0.01 .. 999999999.99"))
            local_instrument = _inherited(tx, "PmtTpInf/LclInstrm/Cd")
            if local_instrument is not None and local_instrument.text == "INST" and amount > SCT_INST_MAX_AMOUNT:
                errors.append(
                    _error(amount_node, "inst-cap", f"SCT Inst amount {amount} exceeds {SCT_INST_MAX_AMOUNT} EUR")
                )
        elif message_type.startswith("pain.001") and find(tx, "Amt/EqvtAmt") is not None:
            errors.append(_error(tx, "amount-range", "SEPA requires Amt/InstdAmt, not EqvtAmt"))
        for party, label in (("Dbtr", "debtor"), ("Cdtr", "creditor")):
            holder = _inherited(tx, party)
            if holder is None or not (text(holder, "Nm") or "").strip():
                errors.append(_error(tx, "mandatory", f"{label} name is mandatory", f"{party}/Nm"))
            account = _inherited(tx, f"{party}Acct")
            if account is None or find(account, "Id/IBAN") is None:
                errors.append(_error(tx, "mandatory", f"{label} IBAN is mandatory", f"{party}Acct/Id/IBAN"))
        for charge_bearer in [
            node for node in (find(tx, "ChrgBr"), find(tx.getparent(), "ChrgBr")) if node is not None
        ]:
            if (charge_bearer.text or "").strip() != "SLEV":
                errors.append(
                    _error(charge_bearer, "charge-bearer", f"charge bearer must be SLEV, got {charge_bearer.text}")
                )
        errors.extend(_remittance_errors(tx))
    return _dedupe(errors)


def _dedupe(errors: list[FieldError]) -> list[FieldError]:
    seen: set[FieldError] = set()
    unique = []
    for error in errors:
        if error not in seen:
            seen.add(error)
            unique.append(error)
    return unique


def _remittance_errors(tx: etree._Element) -> list[FieldError]:
    remittance = find(tx, "RmtInf")
    if remittance is None:
        return []
    errors = []
    unstructured = find_all(remittance, "Ustrd")
    if len(unstructured) > 1:
        errors.append(_error(remittance, "remittance", "at most one unstructured remittance line (Ustrd) is allowed"))
    for line in unstructured:
        if len(line.text or "") > MAX_REMITTANCE_LENGTH:
            errors.append(
                _error(line, "remittance", f"unstructured remittance exceeds {MAX_REMITTANCE_LENGTH} characters")
            )
    if unstructured and find(remittance, "Strd") is not None:
        errors.append(_error(remittance, "remittance", "use either Ustrd or Strd remittance, not both"))
    return errors


def _party_errors(document: etree._Element) -> list[FieldError]:
    errors = []
    for element in document.iter(etree.Element):
        local = etree.QName(element).localname
        if local == "Nm" and _parent_name(element) in _NAME_HOLDERS and len(element.text or "") > MAX_NAME_LENGTH:
            errors.append(_error(element, "name-length", f"name exceeds {MAX_NAME_LENGTH} characters"))
        if local == "PstlAdr" and len(find_all(element, "AdrLine")) > 2:
            errors.append(_error(element, "name-length", "at most 2 AdrLine are allowed"))
    return errors


def _direct_debit_errors(document: etree._Element) -> list[FieldError]:
    errors: list[FieldError] = []
    ns = etree.QName(document).namespace
    for tx in document.iter(f"{{{ns}}}DrctDbtTxInf"):
        sequence = _inherited(tx, "PmtTpInf/SeqTp")
        if sequence is None or sequence.text not in SEPA_SEQUENCE_TYPES:
            got = sequence.text if sequence is not None else "none"
            errors.append(
                _error(
                    tx,
                    "sdd-sequence-type",
                    f"sequence type must be one of FRST/RCUR/OOFF/FNAL, got {got}",
                    "PmtTpInf/SeqTp",
                )
            )
        scheme = _inherited(tx, "PmtTpInf/LclInstrm/Cd")
        if scheme is None or scheme.text not in SEPA_DIRECT_DEBIT_SCHEMES:
            got = scheme.text if scheme is not None else "none"
            errors.append(
                _error(tx, "sdd-scheme", f"local instrument must be CORE or B2B, got {got}", "PmtTpInf/LclInstrm/Cd")
            )
        if not text(tx, "DrctDbtTx/MndtRltdInf/MndtId"):
            errors.append(_error(tx, "sdd-mandate", "mandate id is mandatory", "DrctDbtTx/MndtRltdInf/MndtId"))
        if not text(tx, "DrctDbtTx/MndtRltdInf/DtOfSgntr"):
            errors.append(
                _error(tx, "sdd-mandate", "mandate date of signature is mandatory", "DrctDbtTx/MndtRltdInf/DtOfSgntr")
            )
        scheme_id = find(tx, "DrctDbtTx/CdtrSchmeId")
        if scheme_id is None:
            scheme_id = find(tx.getparent(), "CdtrSchmeId")
        if scheme_id is None:
            errors.append(_error(tx, "sdd-creditor-id", "creditor scheme identifier is mandatory", "CdtrSchmeId"))
            continue
        identifier = find(scheme_id, "Id/PrvtId/Othr/Id")
        if identifier is None:
            errors.append(_error(scheme_id, "sdd-creditor-id", "creditor scheme id must be in Id/PrvtId/Othr/Id"))
            continue
        if text(scheme_id, "Id/PrvtId/Othr/SchmeNm/Prtry") != "SEPA":
            errors.append(_error(scheme_id, "sdd-creditor-id", "creditor scheme id SchmeNm/Prtry must be SEPA"))
        problem = creditor_identifier_problem((identifier.text or "").strip())
        if problem:
            # the identifier's ISO 7064 check digits: a broken identifier is unusable, not a network-rule matter
            errors.append(dataclasses.replace(_error(identifier, "sdd-creditor-id", problem), severity=ERROR))
    return _dedupe(errors)


def sct_inst_errors(document: etree._Element) -> list[FieldError]:
    """SCT Inst specifics for a pacs.008: local instrument INST and acceptance time on every transaction."""
    errors: list[FieldError] = []
    ns = etree.QName(document).namespace
    for tx in document.iter(f"{{{ns}}}CdtTrfTxInf"):
        local_instrument = _inherited(tx, "PmtTpInf/LclInstrm/Cd")
        if local_instrument is None or local_instrument.text != "INST":
            errors.append(
                _error(tx, "inst-local-instrument", "SCT Inst requires LclInstrm/Cd INST", "PmtTpInf/LclInstrm/Cd")
            )
        if find(tx, "AccptncDtTm") is None:
            errors.append(_error(tx, "inst-acceptance-time", "SCT Inst requires AccptncDtTm", "AccptncDtTm"))
    return errors
