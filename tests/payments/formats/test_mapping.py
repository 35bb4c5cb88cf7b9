"""MT103 <-> pacs.008 mapping: round trips for the fields both carry, and one test per truncation rule."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.payments.formats.errors import MessageValidationError
from apps.payments.formats.iso20022 import Account, Agent, Charge, Pacs008, Pacs008Transaction, parse, parse_pacs008
from apps.payments.formats.iso20022 import Party as IsoParty
from apps.payments.formats.mapping import Rule, mt103_to_pacs008, pacs008_to_mt103
from apps.payments.formats.swift_mt import MT103, CurrencyAmount, Institution, InstructionCode, make_envelope
from apps.payments.formats.swift_mt import Party as MtParty
from apps.payments.formats.swift_mt import parse as parse_mt

from .test_swift_mt_golden import sample_mt103, sample_mt103_stp

CREATED = datetime(2024, 3, 15, 10, 0, tzinfo=UTC)
UETR = "eb6305c9-1f7f-49de-aed0-16487c27b42d"
DE_IBAN = "DE89370400440532013000"
GB_IBAN = "GB29NWBK60161331926819"
PARTNER = Path(__file__).parent / "golden" / "iso20022" / "partner" / "pacs.008-cbpr-prefixed.xml"


def mt103(**changes: object) -> MT103:
    """An MT103 using only fields both messages carry (52a/57a differ from the sender/receiver)."""
    fields: dict[str, object] = {
        "header": make_envelope("103", sender_bic="CHASUS33XXX", receiver_bic="DEUTDEFFXXX", uetr=UETR),
        "sender_reference": "INVOICE-2024-001",
        "value_date": date(2024, 3, 15),
        "currency": "USD",
        "amount": Decimal("100000.00"),
        "instructed_amount": CurrencyAmount("EUR", Decimal("92150.50")),
        "exchange_rate": Decimal("1.08518"),
        "instruction_codes": (InstructionCode("PHOB", "0049 69 910 00"),),
        "ordering_customer": MtParty("K", account="123456789", name_address=("ACME CORP", "1 MAIN STREET")),
        "ordering_institution": Institution("A", bic="CITIUS33XXX"),
        "intermediary_institution": Institution("A", account="/FW021000018", bic="IRVTUS3NXXX"),
        "account_with_institution": Institution("A", bic="DEUTDEFF500"),
        "beneficiary_customer": MtParty("", account=DE_IBAN, name_address=("MUSTER GMBH", "BERLIN")),
        "remittance_information": ("/INV/2024-001", "PAYMENT FOR SERVICES"),
        "details_of_charges": "SHA",
        "senders_charges": (CurrencyAmount("USD", Decimal("15.00")),),
        "sender_to_receiver_information": ("/ACC/INSTANT",),
    }
    fields.update(changes)
    return MT103(**fields)  # type: ignore[arg-type]


def pacs008(**changes: object) -> Pacs008:
    tx_fields: dict[str, object] = {
        "instruction_id": "NWBK-INSTR-1",
        "end_to_end_id": "NOTPROVIDED",
        "uetr": UETR,
        "amount": Decimal("1250.50"),
        "currency": "EUR",
        "settlement_date": date(2026, 3, 3),
        "charge_bearer": "SHAR",
        "instructing_agent": Agent(bic="NWBKGB2LXXX"),
        "instructed_agent": Agent(bic="COBADEFFXXX"),
        "debtor": IsoParty(name="ACME TRADING LTD", address_lines=("21 FLEET STREET", "LONDON")),
        "debtor_account": Account(iban=GB_IBAN),
        "debtor_agent": Agent(bic="NWBKGB2LXXX"),
        "creditor_agent": Agent(bic="COBADEFF500"),
        "creditor": IsoParty(name="MUSTER GMBH", address_lines=("BERLIN",)),
        "creditor_account": Account(iban=DE_IBAN),
        "remittance_info": ("INVOICE 4711",),
    }
    tx_fields.update(changes)
    return Pacs008(
        message_id="NWBK20260302-000117",
        created=CREATED,
        transactions=(Pacs008Transaction(**tx_fields),),  # type: ignore[arg-type]
        settlement_method="INDA",
    )


def rules(notes: list) -> set[Rule]:
    return {note.rule for note in notes}


def to_mt(pacs: Pacs008, **kwargs: object) -> tuple[MT103, list]:
    message, notes = pacs008_to_mt103(pacs, **kwargs)  # type: ignore[arg-type]
    return message, notes


# ------------------------------------------------------------------------------------------ round trips


def test_mt103_round_trips_through_pacs008_without_notes() -> None:
    original = mt103()
    pacs, notes = mt103_to_pacs008(original, created=CREATED)
    assert notes == []
    back, back_notes = pacs008_to_mt103(pacs)
    assert back_notes == []
    assert back == original


def test_mapped_pacs008_is_xsd_valid_and_carries_the_mt103_fields() -> None:
    pacs, _ = mt103_to_pacs008(mt103(), created=CREATED)
    parsed = parse(pacs.to_xml())  # XSD + semantic validation
    [tx] = parsed.transactions
    assert parsed.message_id == "INVOICE-2024-001"
    assert (tx.instruction_id, tx.end_to_end_id, tx.uetr) == ("INVOICE-2024-001", "NOTPROVIDED", UETR)
    assert (tx.amount, tx.currency, tx.settlement_date) == (Decimal("100000.00"), "USD", date(2024, 3, 15))
    assert (tx.instructed_amount, tx.instructed_currency, tx.exchange_rate) == (
        Decimal("92150.50"),
        "EUR",
        Decimal("1.08518"),
    )
    assert tx.charge_bearer == "SHAR"
    assert tx.charges == (Charge(Decimal("15.00"), "USD", Agent(bic="CHASUS33XXX")),)
    assert tx.debtor == IsoParty(name="ACME CORP", address_lines=("1 MAIN STREET",))
    assert tx.debtor_account == Account(other_id="123456789")
    assert tx.creditor_account == Account(iban=DE_IBAN)
    assert tx.intermediary_agent == Agent(bic="IRVTUS3NXXX", clearing_system="USABA", member_id="021000018")
    assert (tx.instructing_agent, tx.instructed_agent) == (Agent(bic="CHASUS33XXX"), Agent(bic="DEUTDEFFXXX"))
    assert tx.instructions_for_creditor_agent == ("PHOB/0049 69 910 00",)
    assert tx.instructions_for_next_agent == ("/ACC/INSTANT",)
    assert tx.remittance_info == ("/INV/2024-001", "PAYMENT FOR SERVICES")


@pytest.mark.parametrize(("mt", "iso"), [("OUR", "DEBT"), ("BEN", "CRED"), ("SHA", "SHAR")])
def test_details_of_charges_map_to_charge_bearer_both_ways(mt: str, iso: str) -> None:
    changes: dict[str, object] = {"details_of_charges": mt}
    if mt == "OUR":
        changes.update(senders_charges=(), receivers_charges=CurrencyAmount("USD", Decimal("20.00")))
    original = mt103(**changes)
    pacs, _ = mt103_to_pacs008(original, created=CREATED)
    assert pacs.transactions[0].charge_bearer == iso
    assert pacs008_to_mt103(pacs).message == original


def test_bank_operation_code_maps_to_service_level_both_ways() -> None:
    original = mt103(bank_operation_code="SPRI", instruction_codes=(InstructionCode("SDVA"),))
    pacs, _ = mt103_to_pacs008(original, created=CREATED)
    assert pacs.transactions[0].service_level == "SPRI"
    assert pacs008_to_mt103(pacs).message == original


def test_pacs008_round_trips_through_mt103_without_notes() -> None:
    original = pacs008()
    mt, notes = to_mt(original)
    assert notes == []
    back, back_notes = mt103_to_pacs008(mt, message_id=original.message_id, created=CREATED)
    assert back_notes == []
    assert back == original


def test_end_to_end_id_travels_in_70_as_roc_and_comes_back() -> None:
    original = pacs008(end_to_end_id="E2E-REF-77")
    mt, notes = to_mt(original)
    assert mt.remittance_information == ("/ROC/E2E-REF-77", "INVOICE 4711")
    assert rules(notes) == {Rule.END_TO_END_ID_ROC}
    back, _ = mt103_to_pacs008(mt, message_id=original.message_id, created=CREATED)
    assert back == original


def test_creditor_reference_travels_in_70_as_rfb_and_comes_back() -> None:
    original = pacs008(creditor_reference="RF18539007547034")
    mt, notes = to_mt(original)
    assert mt.remittance_information[0] == "/RFB/RF18539007547034"
    assert rules(notes) == {Rule.CREDITOR_REFERENCE_RFB}
    assert mt103_to_pacs008(mt, message_id=original.message_id, created=CREATED).message == original


def test_option_f_parties_map_to_structured_address_and_back() -> None:
    original = sample_mt103_stp()
    pacs, notes = mt103_to_pacs008(original, created=CREATED)
    assert notes == []
    debtor = pacs.transactions[0].debtor
    assert (debtor.name, debtor.address_lines, debtor.country, debtor.town_name) == (
        "JEAN DUPONT",
        ("1 RUE X",),
        "FR",
        "PARIS",
    )
    back, _ = pacs008_to_mt103(pacs, stp=True)
    # 52A/57A equal to the sender/receiver are implied by the header and therefore omitted.
    assert back == dataclasses.replace(original, ordering_institution=None, account_with_institution=None)
    assert parse_mt(back.to_fin()) == back


X_LINE = (
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,()", min_size=1, max_size=35)
    .map(str.strip)
    .filter(lambda s: bool(s))
)
REFERENCE = st.from_regex(r"\A[A-Z0-9][A-Z0-9-]{0,14}[A-Z0-9]\Z")
BIC = st.sampled_from(["CHASUS33XXX", "CITIUS33XXX", "DEUTDEFF500", "COBADEFFXXX", "BNPAFRPPXXX", "NWBKGB2LXXX"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    reference=REFERENCE,
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999.99"), places=2),
    currency=st.sampled_from(["EUR", "USD", "GBP", "CHF"]),
    value_date=st.dates(min_value=date(2000, 1, 1), max_value=date(2079, 12, 31)),
    debtor_lines=st.lists(X_LINE, min_size=1, max_size=4),
    creditor_lines=st.lists(X_LINE, min_size=1, max_size=4),
    remittance=st.lists(X_LINE, max_size=4).filter(lambda lines: not any(line.startswith("/") for line in lines)),
    instructions=st.lists(X_LINE, max_size=6),
    charges=st.sampled_from(["SHA", "BEN", "OUR"]),
    ordering=st.one_of(st.none(), BIC.filter(lambda b: b != "CHASUS33XXX")),
    account_with=st.one_of(st.none(), BIC.filter(lambda b: b != "DEUTDEFFXXX")),
)
def test_any_mt103_of_shared_fields_round_trips(
    reference, amount, currency, value_date, debtor_lines, creditor_lines, remittance, instructions, charges,
    ordering, account_with,
) -> None:  # fmt: skip
    # :71F: / :71G: make :33B: mandatory (MT rule), so every generated message carries an instructed amount.
    charge_fields: dict[str, object] = {"senders_charges": (), "instructed_amount": CurrencyAmount(currency, amount)}
    if charges in ("SHA", "BEN"):
        charge_fields.update(senders_charges=(CurrencyAmount(currency, Decimal("1.00")),))
    else:
        charge_fields.update(receivers_charges=CurrencyAmount(currency, Decimal("2.00")))
    original = mt103(
        sender_reference=reference,
        amount=amount,
        currency=currency,
        value_date=value_date,
        exchange_rate=None,
        instruction_codes=(),
        intermediary_institution=None,
        ordering_customer=MtParty("K", account="12345678", name_address=tuple(debtor_lines)),
        beneficiary_customer=MtParty("", account=DE_IBAN, name_address=tuple(creditor_lines)),
        ordering_institution=Institution("A", bic=ordering) if ordering else None,
        account_with_institution=Institution("A", bic=account_with) if account_with else None,
        remittance_information=tuple(remittance),
        sender_to_receiver_information=tuple(instructions),
        details_of_charges=charges,
        **charge_fields,
    )
    pacs, notes = mt103_to_pacs008(original, created=CREATED)  # builds (XSD-validates) the pacs.008
    assert notes == []
    back, back_notes = pacs008_to_mt103(pacs)  # builds (validates) the MT103
    assert back_notes == []
    assert back == original


# ------------------------------------------------------------------------------------------ truncation rules


def test_long_name_and_address_is_wrapped_to_4x35_and_the_rest_noted() -> None:
    debtor = IsoParty(
        name="INTERNATIONAL TRADING AND SHIPPING CORPORATION OF THE NORTH ATLANTIC",
        address_lines=("BUILDING 7, HARBOUR INDUSTRIAL ESTATE", "PORT OF SOUTHAMPTON"),
    )
    mt, notes = to_mt(pacs008(debtor=debtor))
    lines = mt.ordering_customer.name_address
    assert len(lines) == 4 and all(len(line) <= 35 for line in lines)
    assert lines[:2] == ("INTERNATIONAL TRADING AND SHIPPING", "CORPORATION OF THE NORTH ATLANTIC")
    [note] = [n for n in notes if n.rule is Rule.NAME_ADDRESS_4X35]
    assert note.field == "Dbtr"
    assert "PORT OF SOUTHAMPTON" in note.original and "PORT OF SOUTHAMPTON" not in note.mapped


def test_names_outside_the_x_set_are_transliterated_and_noted() -> None:
    mt, notes = to_mt(pacs008(creditor=IsoParty(name="Müller & Söhne GmbH", address_lines=("Köln",))))
    assert mt.beneficiary_customer.name_address == ("Muller + Sohne GmbH", "Koln")
    x_notes = [n for n in notes if n.rule is Rule.X_CHARSET]
    assert [(n.field, n.original, n.mapped) for n in x_notes] == [
        ("Cdtr", "Müller & Söhne GmbH", "Muller + Sohne GmbH"),
        ("Cdtr", "Köln", "Koln"),
    ]


def test_remittance_beyond_4x35_is_cut_and_noted() -> None:
    long_text = "INVOICE " + " ".join(f"NO.{n:04d}" for n in range(30))
    mt, notes = to_mt(pacs008(remittance_info=(long_text,)))
    assert len(mt.remittance_information) == 4
    [note] = notes
    assert (note.field, note.rule, note.original) == ("RmtInf/Ustrd", Rule.REMITTANCE_4X35, long_text)
    assert note.mapped == "\n".join(mt.remittance_information)


def test_long_end_to_end_id_in_20_is_cut_to_16_and_noted() -> None:
    mt, notes = to_mt(pacs008(instruction_id=None, end_to_end_id="E2E/2026//03/02-000117-ABC"))
    assert mt.sender_reference == "E2E/2026/03/02-0"
    # The cut id in :20: is not the end-to-end id any more, so the full id also travels as /ROC/.
    assert mt.remittance_information[0] == "/ROC/E2E/2026//03/02-000117-ABC"
    assert [(n.field, n.rule) for n in notes] == [
        ("PmtId/EndToEndId", Rule.REFERENCE_16X),
        ("PmtId/EndToEndId", Rule.END_TO_END_ID_ROC),
    ]
    assert notes[0].original == "E2E/2026//03/02-000117-ABC"


def test_instruction_id_with_leading_slash_is_cleaned_for_20() -> None:
    mt, notes = to_mt(pacs008(instruction_id="/REF1/"))
    assert mt.sender_reference == "REF1"
    assert rules(notes) == {Rule.REFERENCE_16X}


def test_instructions_beyond_6x35_are_cut_and_noted() -> None:
    mt, notes = to_mt(pacs008(instructions_for_next_agent=tuple(f"/INS/LINE {n}" for n in range(8))))
    assert len(mt.sender_to_receiver_information) == 6
    assert rules(notes) == {Rule.INSTRUCTIONS_6X35}


def test_free_text_instruction_for_creditor_agent_goes_to_72_as_acc() -> None:
    mt, notes = to_mt(pacs008(instructions_for_creditor_agent=("HOLD", "please call the beneficiary before crediting")))
    assert mt.instruction_codes == (InstructionCode("HOLD"),)
    assert mt.sender_to_receiver_information == ("/ACC/please call the beneficiary", "//before crediting")
    assert rules(notes) == {Rule.INSTRUCTION_FOR_CREDITOR_AGENT_ACC}


def test_slev_charge_bearer_becomes_sha_with_a_note() -> None:
    mt, notes = to_mt(pacs008(charge_bearer="SLEV"))
    assert mt.details_of_charges == "SHA"
    assert rules(notes) == {Rule.CHARGE_BEARER_SLEV}


def test_several_debt_charges_are_summed_into_71g() -> None:
    agent = Agent(bic="NWBKGB2LXXX")
    charges = (Charge(Decimal("10.00"), "EUR", agent), Charge(Decimal("5.50"), "EUR", agent))
    mt, notes = to_mt(pacs008(charge_bearer="DEBT", charges=charges, instructed_amount=Decimal("1250.50"),
                              instructed_currency="EUR"))  # fmt: skip
    assert mt.receivers_charges == CurrencyAmount("EUR", Decimal("15.50"))
    assert rules(notes) == {Rule.CHARGES_SUMMED}


def test_charges_without_instructed_amount_get_33b_from_32a() -> None:
    charges = (Charge(Decimal("3.00"), "EUR", Agent(bic="NWBKGB2LXXX")),)
    mt, notes = to_mt(pacs008(charges=charges))
    assert mt.instructed_amount == CurrencyAmount("EUR", Decimal("1250.50"))
    assert rules(notes) == {Rule.INSTRUCTED_AMOUNT_FROM_SETTLEMENT}


def test_cred_without_charges_gets_a_zero_71f() -> None:
    mt, notes = to_mt(pacs008(charge_bearer="CRED"))
    assert mt.senders_charges == (CurrencyAmount("EUR", Decimal(0)),)
    assert rules(notes) == {Rule.ZERO_SENDERS_CHARGE, Rule.INSTRUCTED_AMOUNT_FROM_SETTLEMENT}


def test_exchange_rate_with_same_currency_is_dropped() -> None:
    mt, notes = to_mt(
        pacs008(instructed_amount=Decimal("1250.50"), instructed_currency="EUR", exchange_rate=Decimal(1))
    )
    assert mt.exchange_rate is None
    assert rules(notes) == {Rule.EXCHANGE_RATE_SAME_CURRENCY}


def test_party_with_name_and_bic_keeps_the_name_and_notes_the_bic() -> None:
    mt, notes = to_mt(pacs008(debtor=IsoParty(name="ACME", organisation_bic="ACMEGB2L")))
    assert mt.ordering_customer == MtParty("K", account=GB_IBAN, name_address=("ACME",))
    assert rules(notes) == {Rule.PARTY_BIC_WITH_NAME}


def test_party_identified_only_by_bic_maps_to_option_a() -> None:
    mt, notes = to_mt(pacs008(debtor=IsoParty(organisation_bic="ACMEGB2L")))
    assert mt.ordering_customer == MtParty("A", account=GB_IBAN, bic="ACMEGB2L")
    assert notes == []


def test_fields_without_a_counterpart_are_noted_not_carried() -> None:
    mt, notes = to_mt(
        pacs008(
            purpose="GDDS", ultimate_debtor=IsoParty(name="PARENT CO"), transaction_id="TX-9", category_purpose="SUPP"
        )
    )
    assert {(n.field, n.rule) for n in notes} == {
        ("Purp", Rule.NOT_CARRIED),
        ("UltmtDbtr", Rule.NOT_CARRIED),
        ("PmtId/TxId", Rule.NOT_CARRIED),
        ("PmtTpInf/CtgyPurp", Rule.NOT_CARRIED),
    }


def test_mt103_fields_without_a_counterpart_are_noted_not_carried() -> None:
    _, notes = mt103_to_pacs008(sample_mt103(), created=CREATED)
    assert [(n.field, n.rule) for n in notes] == [
        (":13C:", Rule.NOT_CARRIED),
        (":26T:", Rule.NOT_CARRIED),
        (":53a:", Rule.NOT_CARRIED),
        (":77B:", Rule.NOT_CARRIED),
    ]
    assert notes[2].original == "A:/C/0123456\nCITIUS33XXX"


def test_partner_cbpr_pacs008_maps_to_a_valid_mt103_with_every_loss_noted() -> None:
    pacs = parse_pacs008(PARTNER.read_bytes())
    mt, notes = to_mt(pacs, transaction_index=0)
    assert parse_mt(mt.to_fin()) == mt
    assert mt.ordering_customer.option == "F"
    assert mt.receivers_charges == CurrencyAmount("JPY", Decimal(3000))
    assert mt.remittance_information == ("/ROC/INV 4711", "Invoice 4711 + 4712")
    assert {n.rule for n in notes} == {
        Rule.NOT_CARRIED,
        Rule.PARTY_BIC_WITH_NAME,
        Rule.END_TO_END_ID_ROC,
        Rule.X_CHARSET,
    }


def test_several_transactions_need_an_index() -> None:
    with pytest.raises(MessageValidationError, match="pass transaction_index"):
        pacs008_to_mt103(parse_pacs008(PARTNER.read_bytes()))


def test_missing_settlement_date_and_bics_are_refused_not_invented() -> None:
    pacs = pacs008(settlement_date=None, instructing_agent=None, instructed_agent=None)
    with pytest.raises(MessageValidationError) as raised:
        pacs008_to_mt103(pacs)
    assert [e.field for e in raised.value.errors] == ["InstgAgt", "InstdAgt", "IntrBkSttlmDt"]
    mt, _ = pacs008_to_mt103(
        dataclasses.replace(pacs, settlement_date=date(2026, 3, 3)),
        sender_bic="NWBKGB2LXXX",
        receiver_bic="COBADEFFXXX",
    )
    assert (mt.sender_bic, mt.receiver_bic) == ("NWBKGB2LXXX", "COBADEFFXXX")


def test_account_longer_than_34_is_refused() -> None:
    with pytest.raises(MessageValidationError, match="longer than 34"):
        pacs008_to_mt103(pacs008(creditor_account=Account(other_id="1" * 35)))
