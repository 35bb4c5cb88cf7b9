"""Every SEPA rulebook rule we add on top of the ISO XSD: one passing and one failing case each.

Rules apply to messages declaring PmtTpInf/SvcLvl/Cd SEPA, in both directions: the same checks run
on what we build and on what we parse (validate_raw).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

import pytest
from lxml import etree

from apps.payments.formats.errors import WARNING, FieldError, MessageValidationError
from apps.payments.formats.iso20022 import (
    SEPAProtocol,
    creditor_identifier_problem,
    is_epc_latin,
    parse,
    sct_inst_errors,
    to_epc_latin,
    validate_raw,
)
from tests.payments.formats.test_iso20022_samples import (
    CREATED,
    sample_pacs008,
    sample_pain001,
    sample_pain008,
)

E = "{*}"


def _mutate(raw: bytes, change: Callable[[etree._Element], object]) -> bytes:
    root = etree.fromstring(raw)
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _first(root: etree._Element, path: str) -> etree._Element:
    element = root.find(".//" + "/".join(E + part for part in path.split("/")))
    assert element is not None, path
    return element


def _set_text(path: str, value: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        _first(root, path).text = value

    return change


def _remove(path: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        element = _first(root, path)
        element.getparent().remove(element)

    return change


def _sepa_errors(raw: bytes, rule: str) -> list[FieldError]:
    return [error for error in validate_raw(raw)[1] if error.reason.startswith(f"SEPA {rule}:")]


def _sct() -> bytes:
    return sample_pain001().to_xml()


def _inst(amount: str = "100000.00") -> bytes:
    protocol = SEPAProtocol(clock=lambda: CREATED, id_factory=lambda: "ID-1")
    message = protocol.create_sct_inst(
        debtor_iban="DE89370400440532013000",
        debtor_name="Max Mustermann",
        creditor_iban="FR1420041010050500013M02606",
        creditor_name="Pierre Dupont",
        amount=Decimal("100.00"),
        reference="INST-1",
    )
    return (
        message.to_xml()
        .replace(b">100.00<", f">{amount}<".encode())
        .replace(b"<CtrlSum>100.00<", f"<CtrlSum>{amount}<".encode())
    )


def test_valid_samples_have_no_sepa_errors() -> None:
    for raw in (
        _sct(),
        sample_pain001("pain.001.001.03").to_xml(),
        sample_pain008().to_xml(),
        sample_pain008("pain.008.001.02").to_xml(),
        _inst(),
    ):
        assert validate_raw(raw)[1] == []


# --------------------------------------------------------------------------- charset
def test_charset_rejects_characters_outside_the_epc_latin_set() -> None:
    raw = _mutate(_sct(), _set_text("Cdtr/Nm", "Zoë Ågren & Co"))
    errors = _sepa_errors(raw, "charset")
    assert [error.field for error in errors] == ["PmtInf/CdtTrfTxInf/Cdtr/Nm"]
    assert "'&Åë'" in errors[0].reason


def test_charset_accepts_every_epc_latin_character() -> None:
    raw = _mutate(_sct(), _set_text("Cdtr/Nm", "aZ09 /-?:().,'+"))
    assert _sepa_errors(raw, "charset") == []


def test_charset_is_not_applied_to_non_sepa_messages() -> None:
    message = sample_pacs008()
    tx = replace(message.transactions[0], creditor=replace(message.transactions[0].creditor, name="Zoë & Co"))
    assert parse(replace(message, transactions=(tx,)).to_xml()).transactions[0].creditor.name == "Zoë & Co"


# --------------------------------------------------------------------------- identifiers
@pytest.mark.parametrize("value", ["/E2E-1", "E2E-1/", "E2E//1"])
def test_identifier_may_not_start_or_end_with_slash_or_contain_double_slash(value: str) -> None:
    errors = _sepa_errors(_mutate(_sct(), _set_text("EndToEndId", value)), "identifier")
    assert [error.field for error in errors] == ["PmtInf/CdtTrfTxInf/PmtId/EndToEndId"]


def test_identifier_with_inner_slash_is_accepted() -> None:
    assert _sepa_errors(_mutate(_sct(), _set_text("EndToEndId", "E2E/2026/1")), "identifier") == []


def test_end_to_end_id_longer_than_35_is_refused_by_the_xsd() -> None:
    errors = validate_raw(_mutate(_sct(), _set_text("EndToEndId", "E" * 36)))[1]
    assert errors[0].field == "PmtInf/CdtTrfTxInf/PmtId/EndToEndId" and "maxLength" in errors[0].reason


# --------------------------------------------------------------------------- currency
def test_currency_must_be_eur() -> None:
    raw = _mutate(_sct(), lambda root: _first(root, "InstdAmt").set("Ccy", "USD"))
    errors = _sepa_errors(raw, "currency")
    assert errors == [
        FieldError(
            "PmtInf/CdtTrfTxInf/Amt/InstdAmt",
            "SEPA currency: only EUR is allowed, got USD",
            errors[0].line,
            WARNING,  # an EPC rule, not the XSD: validate_message warns unless --strict
        )
    ]


# --------------------------------------------------------------------------- service level
def test_service_level_other_than_sepa_is_refused_when_mixed() -> None:
    def add_second_service_level(root: etree._Element) -> None:
        tx = _first(root, "CdtTrfTxInf")
        payment_type = etree.Element(f"{{{etree.QName(root).namespace}}}PmtTpInf")
        level = etree.SubElement(
            etree.SubElement(payment_type, f"{{{etree.QName(root).namespace}}}SvcLvl"),
            f"{{{etree.QName(root).namespace}}}Cd",
        )
        level.text = "NURG"
        tx.insert(1, payment_type)

    errors = _sepa_errors(_mutate(_sct(), add_second_service_level), "service-level")
    assert [error.field for error in errors] == ["PmtInf/CdtTrfTxInf/PmtTpInf/SvcLvl"]


def test_transaction_not_covered_by_service_level_sepa_is_refused() -> None:
    # Built by hand from a valid message: our builder would refuse to emit it.
    xml = _sct()

    def duplicate_block_without_service_level(root: etree._Element) -> None:
        block = _first(root, "PmtInf")
        clone = etree.fromstring(etree.tostring(block))
        clone.remove(clone.find(E + "PmtTpInf"))
        clone.find(E + "PmtInfId").text = "PMTINF-0002"
        for tx in clone.findall(E + "CdtTrfTxInf"):
            tx.find(E + "PmtId/" + E + "EndToEndId").text += "-B"
        block.addnext(clone)
        _first(root, "GrpHdr/NbOfTxs").text = "4"
        _first(root, "GrpHdr/CtrlSum").text = "3000.02"

    errors = _sepa_errors(_mutate(xml, duplicate_block_without_service_level), "service-level")
    assert len(errors) == 2
    assert all(error.reason.endswith("not covered by PmtTpInf/SvcLvl/Cd SEPA") for error in errors)


# --------------------------------------------------------------------------- amounts
@pytest.mark.parametrize(
    ("amount", "ok"), [("0.01", True), ("999999999.99", True), ("0.00", False), ("1000000000.00", False)]
)
def test_amount_range(amount: str, ok: bool) -> None:
    def set_amount(root: etree._Element) -> None:
        _first(root, "InstdAmt").text = amount
        _first(root, "GrpHdr/CtrlSum").text = str(Decimal(amount) + Decimal("0.01"))
        _first(root, "PmtInf/CtrlSum").text = str(Decimal(amount) + Decimal("0.01"))

    errors = _sepa_errors(_mutate(_sct(), set_amount), "amount-range")
    assert (errors == []) is ok
    if not ok:
        assert errors[0].field == "PmtInf/CdtTrfTxInf/Amt/InstdAmt"


@pytest.mark.parametrize(("amount", "ok"), [("100000.00", True), ("100000.01", False)])
def test_sct_inst_amount_cap(amount: str, ok: bool) -> None:
    errors = _sepa_errors(_inst(amount), "inst-cap")
    assert (errors == []) is ok
    if not ok:
        assert errors[0].field == "CdtTrfTxInf/IntrBkSttlmAmt"
        assert errors[0].reason == "SEPA inst-cap: SCT Inst amount 100000.01 exceeds 100000.00 EUR"


def test_inst_cap_does_not_apply_to_plain_sct() -> None:
    raw = _mutate(_inst("100000.01"), _remove("GrpHdr/PmtTpInf/LclInstrm"))
    assert validate_raw(raw)[1] == []


def test_sct_inst_needs_local_instrument_inst_and_acceptance_time() -> None:
    assert sct_inst_errors(etree.fromstring(_inst())) == []
    root = etree.fromstring(_mutate(_mutate(_inst(), _remove("GrpHdr/PmtTpInf/LclInstrm")), _remove("AccptncDtTm")))
    assert {error.field for error in sct_inst_errors(root)} == {"PmtTpInf/LclInstrm/Cd", "AccptncDtTm"}


# --------------------------------------------------------------------------- mandatory fields
@pytest.mark.parametrize(
    ("path", "field"),
    [("Cdtr/Nm", "Cdtr/Nm"), ("Dbtr/Nm", "Dbtr/Nm"), ("CdtrAcct", "CdtrAcct/Id/IBAN")],
)
def test_mandatory_fields_the_xsd_leaves_optional(path: str, field: str) -> None:
    errors = _sepa_errors(_mutate(_sct(), _remove(path)), "mandatory")
    assert field in [error.field for error in errors]


def test_account_identified_other_than_by_iban_is_refused() -> None:
    def use_other_id(root: etree._Element) -> None:
        ident = _first(root, "CdtrAcct/Id")
        ns = etree.QName(root).namespace
        ident.remove(ident[0])
        etree.SubElement(etree.SubElement(ident, f"{{{ns}}}Othr"), f"{{{ns}}}Id").text = "12345678"

    errors = _sepa_errors(_mutate(_sct(), use_other_id), "mandatory")
    assert [error.field for error in errors] == ["CdtrAcct/Id/IBAN"]


# --------------------------------------------------------------------------- charge bearer
def test_charge_bearer_must_be_slev() -> None:
    errors = _sepa_errors(_mutate(_sct(), _set_text("PmtInf/ChrgBr", "SHAR")), "charge-bearer")
    assert [error.field for error in errors] == ["PmtInf/ChrgBr"]
    assert _sepa_errors(_sct(), "charge-bearer") == []


# --------------------------------------------------------------------------- remittance
def test_remittance_allows_one_unstructured_line_of_140() -> None:
    assert _sepa_errors(_mutate(_sct(), _set_text("Ustrd", "x" * 140)), "remittance") == []


def test_remittance_with_two_unstructured_lines_is_refused() -> None:
    def add_line(root: etree._Element) -> None:
        line = _first(root, "Ustrd")
        line.addnext(etree.fromstring(etree.tostring(line)))

    errors = _sepa_errors(_mutate(_sct(), add_line), "remittance")
    assert [error.field for error in errors] == ["PmtInf/CdtTrfTxInf/RmtInf"]


def test_remittance_longer_than_140_is_refused() -> None:
    errors = validate_raw(_mutate(_sct(), _set_text("Ustrd", "x" * 141)))[1]
    assert any(error.field == "PmtInf/CdtTrfTxInf/RmtInf/Ustrd" for error in errors)


def test_remittance_both_structured_and_unstructured_is_refused() -> None:
    message = sample_pain001()
    tx = replace(message.payment_infos[0].transactions[1], remittance_info=("Invoice 7",))
    info = replace(message.payment_infos[0], transactions=(message.payment_infos[0].transactions[0], tx))
    with pytest.raises(MessageValidationError, match="use either Ustrd or Strd remittance, not both"):
        replace(message, payment_infos=(info,)).to_xml()


# --------------------------------------------------------------------------- names and addresses
def test_names_are_limited_to_70_characters() -> None:
    assert _sepa_errors(_mutate(_sct(), _set_text("Cdtr/Nm", "N" * 70)), "name-length") == []
    errors = _sepa_errors(_mutate(_sct(), _set_text("Cdtr/Nm", "N" * 71)), "name-length")
    assert [error.field for error in errors] == ["PmtInf/CdtTrfTxInf/Cdtr/Nm"]


def test_at_most_two_address_lines() -> None:
    message = sample_pain001()
    info = message.payment_infos[0]
    two = replace(message, payment_infos=(replace(info, debtor=replace(info.debtor, address_lines=("a", "b"))),))
    assert validate_raw(two.to_xml())[1] == []
    three = replace(message, payment_infos=(replace(info, debtor=replace(info.debtor, address_lines=("a", "b", "c"))),))
    with pytest.raises(MessageValidationError, match="at most 2 AdrLine"):
        three.to_xml()


# --------------------------------------------------------------------------- direct debit
def _sdd() -> bytes:
    return sample_pain008().to_xml()


@pytest.mark.parametrize(
    ("change", "rule", "field"),
    [
        (_remove("SeqTp"), "sdd-sequence-type", "PmtTpInf/SeqTp"),
        (_set_text("SeqTp", "RPRE"), "sdd-sequence-type", "PmtTpInf/SeqTp"),
        (_set_text("LclInstrm/Cd", "COR1"), "sdd-scheme", "PmtTpInf/LclInstrm/Cd"),
        (_remove("MndtId"), "sdd-mandate", "DrctDbtTx/MndtRltdInf/MndtId"),
        (_remove("DtOfSgntr"), "sdd-mandate", "DrctDbtTx/MndtRltdInf/DtOfSgntr"),
        (_remove("CdtrSchmeId"), "sdd-creditor-id", "CdtrSchmeId"),
        (
            _set_text("CdtrSchmeId/Id/PrvtId/Othr/Id", "DE97ZZZ09999999999"),
            "sdd-creditor-id",
            "PmtInf/CdtrSchmeId/Id/PrvtId/Othr/Id",
        ),
        (_set_text("CdtrSchmeId/Id/PrvtId/Othr/SchmeNm/Prtry", "CORE"), "sdd-creditor-id", "PmtInf/CdtrSchmeId"),
    ],
)
def test_direct_debit_rules(change: Callable[[etree._Element], None], rule: str, field: str) -> None:
    errors = _sepa_errors(_mutate(_sdd(), change), rule)
    assert [error.field for error in errors] == [field]


@pytest.mark.parametrize("sequence_type", ["FRST", "RCUR", "OOFF", "FNAL"])
def test_every_sepa_sequence_type_is_accepted(sequence_type: str) -> None:
    assert validate_raw(_mutate(_sdd(), _set_text("SeqTp", sequence_type)))[1] == []


def test_b2b_scheme_is_accepted() -> None:
    assert validate_raw(_mutate(_sdd(), _set_text("LclInstrm/Cd", "B2B")))[1] == []


@pytest.mark.parametrize(
    ("identifier", "problem"),
    [
        ("DE98ZZZ09999999999", None),
        ("DE98ABC09999999999", None),  # the business code is not part of the check
        ("DE97ZZZ09999999999", "has check digits 97, expected 98"),
        ("DE98ZZZ", "malformed"),
        ("de98ZZZ09999999999", "malformed"),
    ],
)
def test_creditor_identifier_check_digits(identifier: str, problem: str | None) -> None:
    result = creditor_identifier_problem(identifier)
    assert (result is None) if problem is None else (problem in result)


# --------------------------------------------------------------------------- conversion helper
@pytest.mark.parametrize(
    ("text", "expected", "digraphs"),
    [
        ("Müller", "Muller", False),
        ("Müller Straße", "Mueller Strasse", True),
        ("Łódź", "Lodz", False),
        ("Café & Co", "Cafe + Co", False),
        ("Ελλάδα", "Ellada", False),
        ("snake_case", "snake-case", False),
        ("a@b  c", "a b c", False),
        ("Pierre Dupont", "Pierre Dupont", False),
    ],
)
def test_to_epc_latin(text: str, expected: str, digraphs: bool) -> None:
    converted = to_epc_latin(text, umlauts_as_digraphs=digraphs)
    assert converted == expected
    assert is_epc_latin(converted)


def test_is_epc_latin() -> None:
    assert is_epc_latin("aZ09/-?:().,'+ ")
    assert not is_epc_latin("a&b")
    assert not is_epc_latin("ü")


# --------------------------------------------------------------------------- interbank agents
def test_interbank_sct_needs_bics_for_both_agents() -> None:
    assert _sepa_errors(_inst(), "agent-bic") == []

    def drop_creditor_bic(root: etree._Element) -> None:
        identification = _first(root, "CdtrAgt/FinInstnId")
        ns = etree.QName(root).namespace
        identification.remove(identification[0])
        etree.SubElement(etree.SubElement(identification, f"{{{ns}}}Othr"), f"{{{ns}}}Id").text = "NOTPROVIDED"

    errors = _sepa_errors(_mutate(_inst(), drop_creditor_bic), "agent-bic")
    assert [(error.field, error.reason) for error in errors] == [
        ("CdtrAgt/FinInstnId/BICFI", "SEPA agent-bic: CdtrAgt must be identified by its BIC")
    ]


def test_customer_sct_may_be_iban_only() -> None:
    raw = _mutate(_sct(), _set_text("DbtrAgt/FinInstnId/BICFI", "COBADEFF"))
    assert _sepa_errors(raw, "agent-bic") == []
