"""SEPAProtocol: the seed's public call and its SCT Inst / SDD siblings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from apps.payments.formats.errors import MessageValidationError
from apps.payments.formats.iso20022 import (
    Account,
    Agent,
    Pacs008,
    Pain001,
    Pain008,
    Party,
    SEPAProtocol,
    parse,
    validate_raw,
)

GOLDEN_DIR = Path(__file__).parent / "golden" / "iso20022"
SEED = {
    "debtor_iban": "DE89370400440532013000",
    "debtor_name": "Max Mustermann",
    "creditor_iban": "FR1420041010050500013M02606",
    "creditor_name": "Pierre Dupont",
    "amount": Decimal("1500.00"),
    "reference": "REF-123456",
    "remittance_info": "Monthly payment",
}


def _protocol(**options: object) -> SEPAProtocol:
    ids = iter(f"QNX-{n:04d}" for n in range(1, 100))
    return SEPAProtocol(clock=lambda: datetime(2026, 3, 2, 9, 15, tzinfo=UTC), id_factory=lambda: next(ids), **options)


def test_seed_call_returns_a_pain001_with_domain_fields_and_xml() -> None:
    sct = SEPAProtocol().create_sct(**SEED)
    assert isinstance(sct, Pain001)
    info = sct.payment_infos[0]
    tx = info.transactions[0]
    assert (info.debtor.name, info.debtor_account.iban) == ("Max Mustermann", "DE89370400440532013000")
    assert (tx.creditor.name, tx.creditor_account.iban) == ("Pierre Dupont", "FR1420041010050500013M02606")
    assert (tx.amount, tx.currency, tx.end_to_end_id, tx.remittance_info) == (
        Decimal("1500.00"),
        "EUR",
        "REF-123456",
        ("Monthly payment",),
    )
    assert (info.service_level, info.charge_bearer) == ("SEPA", "SLEV")
    raw = sct.to_xml()
    assert isinstance(raw, bytes)
    assert validate_raw(raw) == ("pain.001.001.09", [])
    assert parse(raw) == sct


def test_seed_call_output_matches_golden_file() -> None:
    raw = _protocol().create_sct(**SEED).to_xml()
    assert raw == (GOLDEN_DIR / "sepa-sct-seed.pain.001.001.09.xml").read_bytes()


def test_bics_are_derived_from_the_bank_registry_or_left_out() -> None:
    info = _protocol().create_sct(**SEED).payment_infos[0]
    assert info.debtor_agent == Agent(bic="COBADEFFXXX")
    assert info.transactions[0].creditor_agent == Agent(bic="PSSTFRPP")
    explicit = _protocol().create_sct(**SEED, debtor_bic="DEUTDEFF").payment_infos[0]
    assert explicit.debtor_agent == Agent(bic="DEUTDEFF")


def test_iban_only_when_the_registry_does_not_know_the_bank() -> None:
    sct = _protocol().create_sct(**{**SEED, "creditor_iban": "BE68539007547034"})
    assert sct.payment_infos[0].transactions[0].creditor_agent is None
    raw = sct.to_xml()
    assert b"<BICFI>" in raw and b"NOTPROVIDED" not in raw  # creditor agent omitted: optional in pain.001
    assert parse(raw) == sct


def test_float_amount_is_refused() -> None:
    with pytest.raises(MessageValidationError) as info:
        _protocol().create_sct(**{**SEED, "amount": 1500.0})
    assert info.value.errors[0].field == "amount"
    assert info.value.errors[0].reason == "amount must be a Decimal, not float"


def test_all_input_problems_are_reported_together() -> None:
    with pytest.raises(MessageValidationError) as info:
        _protocol().create_sct(
            **{**SEED, "amount": 3.0, "debtor_iban": "DE00370400440532013000", "creditor_iban": "FR14"}
        )
    assert [error.field for error in info.value.errors] == ["amount", "debtor_iban", "creditor_iban"]


def test_non_latin_names_are_transliterated_by_default() -> None:
    sct = _protocol().create_sct(**{**SEED, "debtor_name": "Jürgen Groß", "creditor_name": "Ελένη Παπαδοπούλου"})
    assert sct.payment_infos[0].debtor.name == "Jurgen Gross"
    assert (
        sct.payment_infos[0].transactions[0].creditor.name == "Eleni Papadopoyloy"
    )  # anyascii is letter by letter (ου -> oy)
    digraphs = _protocol(umlauts_as_digraphs=True).create_sct(**{**SEED, "debtor_name": "Jürgen Groß"})
    assert digraphs.payment_infos[0].debtor.name == "Juergen Gross"


def test_non_latin_names_are_refused_in_strict_mode() -> None:
    with pytest.raises(MessageValidationError) as info:
        _protocol(transliterate=False).create_sct(**{**SEED, "creditor_name": "Zoë"})
    assert info.value.errors[0].field == "creditor_name"
    assert info.value.errors[0].reason.startswith("SEPA charset")


def test_sepa_rules_apply_to_protocol_input() -> None:
    with pytest.raises(MessageValidationError, match="SEPA amount-range"):
        _protocol().create_sct(**{**SEED, "amount": Decimal("0.00")})
    with pytest.raises(MessageValidationError, match="SEPA identifier"):
        _protocol().create_sct(**{**SEED, "reference": "/REF"})
    with pytest.raises(MessageValidationError, match="maxLength"):
        _protocol().create_sct(**{**SEED, "remittance_info": "x" * 141})


def test_create_sct_interbank_builds_a_sepa_pacs008() -> None:
    message = _protocol().create_sct_interbank(**SEED)
    assert isinstance(message, Pacs008)
    assert (message.service_level, message.local_instrument, message.settlement_method) == ("SEPA", None, "CLRG")
    assert message.transactions[0].charge_bearer == "SLEV"
    assert parse(message.to_xml()) == message


def test_create_sct_inst_builds_an_instant_pacs008() -> None:
    message = _protocol().create_sct_inst(**SEED)
    assert message.local_instrument == "INST"
    assert message.transactions[0].acceptance_datetime == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    raw = message.to_xml()
    assert raw == (GOLDEN_DIR / "sepa-sct-inst.pacs.008.001.08.xml").read_bytes()
    assert parse(raw) == message


def test_create_sct_inst_enforces_the_100k_cap() -> None:
    assert _protocol().create_sct_inst(**{**SEED, "amount": Decimal("100000.00")})
    with pytest.raises(MessageValidationError, match="SEPA inst-cap"):
        _protocol().create_sct_inst(**{**SEED, "amount": Decimal("100000.01")})
    assert _protocol().create_sct_interbank(**{**SEED, "amount": Decimal("100000.01")})


SDD = {
    "creditor_iban": "DE89370400440532013000",
    "creditor_name": "Stadtwerke Musterstadt",
    "creditor_id": "DE98ZZZ09999999999",
    "debtor_iban": "FR1420041010050500013M02606",
    "debtor_name": "Pierre Dupont",
    "amount": Decimal("42.10"),
    "mandate_id": "MANDATE-0001",
    "mandate_signature_date": date(2025, 11, 1),
    "sequence_type": "FRST",
    "reference": "E2E-SDD-0001",
    "collection_date": date(2026, 3, 10),
    "remittance_info": "Electricity March 2026",
}


def test_create_sdd_builds_a_pain008_with_the_mandate() -> None:
    sdd = _protocol().create_sdd(**SDD)
    assert isinstance(sdd, Pain008)
    info = sdd.payment_infos[0]
    tx = info.transactions[0]
    assert (info.creditor_scheme_id, info.sequence_type, info.local_instrument) == (
        "DE98ZZZ09999999999",
        "FRST",
        "CORE",
    )
    assert (tx.mandate_id, tx.mandate_signature_date) == ("MANDATE-0001", date(2025, 11, 1))
    assert info.creditor == Party(name="Stadtwerke Musterstadt")
    assert tx.debtor_account == Account(iban="FR1420041010050500013M02606")
    raw = sdd.to_xml()
    assert raw == (GOLDEN_DIR / "sepa-sdd.pain.008.001.08.xml").read_bytes()
    assert parse(raw) == sdd


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"sequence_type": "RPRE"}, "SEPA sdd-sequence-type"),
        ({"creditor_id": "DE97ZZZ09999999999"}, "SEPA sdd-creditor-id"),
        ({"scheme": "COR1"}, "SEPA sdd-scheme"),
        ({"amount": 42.1}, "amount must be a Decimal"),
    ],
)
def test_create_sdd_refuses_invalid_mandate_data(changes: dict[str, object], expected: str) -> None:
    with pytest.raises(MessageValidationError, match=expected):
        _protocol().create_sdd(**{**SDD, **changes})


def test_create_sdd_b2b() -> None:
    assert _protocol().create_sdd(**SDD, scheme="B2B").payment_infos[0].local_instrument == "B2B"


def test_interbank_sct_refuses_a_bank_without_a_known_bic_unless_one_is_given() -> None:
    unknown_bank = {**SEED, "creditor_iban": "BE68539007547034"}
    assert _protocol().create_sct(**unknown_bank).payment_infos[0].transactions[0].creditor_agent is None
    with pytest.raises(MessageValidationError, match="SEPA agent-bic: CdtrAgt must be identified by its BIC"):
        _protocol().create_sct_interbank(**unknown_bank)
    message = _protocol().create_sct_interbank(**unknown_bank, creditor_bic="GEBABEBB")
    assert message.transactions[0].creditor_agent == Agent(bic="GEBABEBB")
