"""Golden files, XSD validity and round trips for every ISO 20022 message type we build.

The sample_* factories are fixed inputs (fixed timestamps and ids) reused by the other ISO 20022
test modules. Regenerate the golden files deliberately with ``UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from apps.payments.formats.iso20022 import (
    Account,
    AccountReport,
    Agent,
    AppHdr,
    Balance,
    BankTransactionCode,
    BusinessMessage,
    Camt029,
    Camt056,
    CancellationStatus,
    CashManagementReport,
    Charge,
    CreditTransferInstruction,
    CreditTransferPaymentInfo,
    DirectDebitInstruction,
    DirectDebitPaymentInfo,
    Entry,
    EntryDetail,
    OriginalGroupStatus,
    Pacs002,
    Pacs004,
    Pacs008,
    Pacs008Transaction,
    Pacs009,
    Pacs009Transaction,
    Pain001,
    Pain002,
    Pain008,
    Party,
    PaymentInformationStatus,
    RecalledTransaction,
    ReturnedTransaction,
    StatusReason,
    TransactionStatus,
    UnderlyingCustomerCreditTransfer,
    load_schema,
    parse,
    validate_raw,
)
from apps.payments.formats.iso20022.schemas import SUPPORTED_MESSAGE_TYPES, XSD_DIR

GOLDEN_DIR = Path(__file__).parent / "golden" / "iso20022"
CREATED = datetime(2026, 3, 2, 10, 30, 0, tzinfo=UTC)
DE_IBAN = "DE89370400440532013000"
FR_IBAN = "FR1420041010050500013M02606"
GB_IBAN = "GB29NWBK60161331926819"


def sample_pacs008() -> Pacs008:
    """A CBPR+ style cross-border customer transfer with structured addresses and charges."""
    return Pacs008(
        message_id="QNXPACS008-0001",
        created=CREATED,
        settlement_method="INDA",
        settlement_date=date(2026, 3, 2),
        instructing_agent=Agent(bic="COBADEFFXXX"),
        instructed_agent=Agent(bic="NWBKGB2LXXX"),
        transactions=(
            Pacs008Transaction(
                instruction_id="INSTR-0001",
                end_to_end_id="E2E-0001",
                transaction_id="TX-0001",
                uetr="e3b1c3e4-5b1a-4f1c-9d3e-2a7b9c1d0e5f",
                amount=Decimal("1250.50"),
                currency="GBP",
                instructed_amount=Decimal("1450.00"),
                instructed_currency="EUR",
                exchange_rate=Decimal("0.86241"),
                charge_bearer="SHAR",
                charges=(Charge(Decimal("12.00"), "EUR", Agent(bic="COBADEFFXXX")),),
                debtor=Party(
                    name="Max Mustermann",
                    street_name="Hauptstrasse",
                    building_number="1",
                    post_code="60311",
                    town_name="Frankfurt",
                    country="DE",
                ),
                debtor_account=Account(iban=DE_IBAN),
                debtor_agent=Agent(bic="COBADEFFXXX"),
                creditor_agent=Agent(bic="NWBKGB2LXXX"),
                creditor=Party(name="Jane Smith", town_name="London", country="GB", address_lines=("1 High St",)),
                creditor_account=Account(iban=GB_IBAN),
                purpose="GDDS",
                remittance_info=("Invoice 2026-17",),
                instructions_for_creditor_agent=("PHOB",),
            ),
        ),
    )


def sample_pacs009() -> Pacs009:
    """A cover payment (pacs.009 COV) for the pacs.008 above."""
    return Pacs009(
        message_id="QNXPACS009-0001",
        created=CREATED,
        settlement_method="INDA",
        settlement_date=date(2026, 3, 2),
        transactions=(
            Pacs009Transaction(
                instruction_id="COV-0001",
                end_to_end_id="E2E-0001",
                uetr="e3b1c3e4-5b1a-4f1c-9d3e-2a7b9c1d0e5f",
                amount=Decimal("1250.50"),
                currency="GBP",
                settlement_date=date(2026, 3, 2),
                debtor=Agent(bic="COBADEFFXXX"),
                creditor=Agent(bic="NWBKGB2LXXX"),
                intermediary_agent=Agent(bic="BARCGB22XXX"),
                underlying=UnderlyingCustomerCreditTransfer(
                    debtor=Party(name="Max Mustermann", country="DE"),
                    debtor_account=Account(iban=DE_IBAN),
                    debtor_agent=Agent(bic="COBADEFFXXX"),
                    creditor_agent=Agent(bic="NWBKGB2LXXX"),
                    creditor=Party(name="Jane Smith", country="GB"),
                    creditor_account=Account(iban=GB_IBAN),
                    remittance_info=("Invoice 2026-17",),
                    instructed_amount=Decimal("1450.00"),
                    instructed_currency="EUR",
                ),
            ),
        ),
    )


def sample_pacs002() -> Pacs002:
    return Pacs002(
        message_id="QNXPACS002-0001",
        created=CREATED,
        instructing_agent=Agent(bic="NWBKGB2LXXX"),
        original_groups=(
            OriginalGroupStatus(
                original_message_id="QNXPACS008-0001",
                original_message_name_id="pacs.008.001.08",
                original_created=CREATED,
                original_number_of_transactions=2,
                original_control_sum=Decimal("300.00"),
                group_status="PART",
            ),
        ),
        transactions=(
            TransactionStatus(original_end_to_end_id="E2E-0001", original_transaction_id="TX-0001", status="ACSC"),
            TransactionStatus(
                original_end_to_end_id="E2E-0002",
                original_uetr="e3b1c3e4-5b1a-4f1c-9d3e-2a7b9c1d0e60",
                status="RJCT",
                reasons=(StatusReason(code="AC04", additional_info=("Account closed",)),),
            ),
        ),
    )


def sample_pacs004() -> Pacs004:
    return Pacs004(
        message_id="QNXPACS004-0001",
        created=CREATED,
        settlement_date=date(2026, 3, 3),
        clearing_system="STP",
        transactions=(
            ReturnedTransaction(
                return_id="RTR-0001",
                original_message_id="QNXPACS008-0001",
                original_message_name_id="pacs.008.001.08",
                original_end_to_end_id="E2E-0001",
                original_transaction_id="TX-0001",
                original_amount=Decimal("100.00"),
                original_currency="EUR",
                original_settlement_date=date(2026, 3, 2),
                returned_amount=Decimal("100.00"),
                returned_currency="EUR",
                charge_bearer="SLEV",
                reasons=(StatusReason(code="AC04"),),
            ),
        ),
    )


def sample_pain001(version: str = "pain.001.001.09") -> Pain001:
    return Pain001(
        message_id="QNXPAIN001-0001",
        created=CREATED,
        initiating_party=Party(name="Mustermann GmbH"),
        version=version,
        payment_infos=(
            CreditTransferPaymentInfo(
                payment_info_id="PMTINF-0001",
                requested_execution_date=date(2026, 3, 3),
                debtor=Party(name="Mustermann GmbH", country="DE"),
                debtor_account=Account(iban=DE_IBAN),
                debtor_agent=Agent(bic="COBADEFFXXX"),
                service_level="SEPA",
                charge_bearer="SLEV",
                batch_booking=True,
                transactions=(
                    CreditTransferInstruction(
                        end_to_end_id="E2E-0001",
                        instruction_id="INSTR-0001",
                        amount=Decimal("1500.00"),
                        currency="EUR",
                        creditor=Party(name="Pierre Dupont"),
                        creditor_account=Account(iban=FR_IBAN),
                        creditor_agent=Agent(bic="PSSTFRPPXXX"),
                        remittance_info=("Monthly payment",),
                    ),
                    CreditTransferInstruction(
                        end_to_end_id="E2E-0002",
                        amount=Decimal("0.01"),
                        currency="EUR",
                        creditor=Party(name="Jane Smith"),
                        creditor_account=Account(iban=GB_IBAN),
                        creditor_reference="RF18539007547034",
                    ),
                ),
            ),
        ),
    )


def sample_pain002(version: str = "pain.002.001.10") -> Pain002:
    return Pain002(
        message_id="QNXPAIN002-0001",
        created=CREATED,
        version=version,
        debtor_agent=Agent(bic="COBADEFFXXX"),
        original_group=OriginalGroupStatus(
            original_message_id="QNXPAIN001-0001",
            original_message_name_id="pain.001.001.09",
            original_number_of_transactions=2,
            original_control_sum=Decimal("1500.01"),
            group_status="PART",
        ),
        payment_informations=(
            PaymentInformationStatus(
                original_payment_info_id="PMTINF-0001",
                status="PART",
                transactions=(
                    TransactionStatus(
                        original_end_to_end_id="E2E-0001", original_instruction_id="INSTR-0001", status="ACCP"
                    ),
                    TransactionStatus(
                        original_end_to_end_id="E2E-0002",
                        status="RJCT",
                        reasons=(StatusReason(code="AC01", additional_info=("Incorrect account number",)),),
                    ),
                ),
            ),
        ),
    )


def sample_pain008(version: str = "pain.008.001.08") -> Pain008:
    return Pain008(
        message_id="QNXPAIN008-0001",
        created=CREATED,
        initiating_party=Party(name="Stadtwerke Musterstadt"),
        version=version,
        payment_infos=(
            DirectDebitPaymentInfo(
                payment_info_id="PMTINF-SDD-0001",
                requested_collection_date=date(2026, 3, 10),
                creditor=Party(name="Stadtwerke Musterstadt"),
                creditor_account=Account(iban=DE_IBAN),
                creditor_agent=Agent(bic="COBADEFFXXX"),
                creditor_scheme_id="DE98ZZZ09999999999",
                sequence_type="FRST",
                transactions=(
                    DirectDebitInstruction(
                        end_to_end_id="E2E-SDD-0001",
                        amount=Decimal("42.10"),
                        currency="EUR",
                        mandate_id="MANDATE-0001",
                        mandate_signature_date=date(2025, 11, 1),
                        debtor=Party(name="Pierre Dupont"),
                        debtor_account=Account(iban=FR_IBAN),
                        debtor_agent=Agent(bic="PSSTFRPPXXX"),
                        remittance_info=("Electricity March 2026",),
                    ),
                ),
            ),
        ),
    )


def sample_camt(message_type: str = "camt.053.001.08") -> CashManagementReport:
    balances = (
        Balance("OPBD", Decimal("1000.00"), "EUR", "CRDT", date(2026, 3, 1)),
        Balance("CLBD", Decimal("2457.90"), "EUR", "CRDT", date(2026, 3, 2)),
    )
    if message_type == "camt.052.001.08":
        balances = (Balance("ITBD", Decimal("2457.90"), "EUR", "CRDT", CREATED),)
    elif message_type == "camt.054.001.08":
        balances = ()
    return CashManagementReport(
        message_type=message_type,
        message_id="QNXCAMT-0001",
        created=CREATED,
        reports=(
            AccountReport(
                report_id="STMT-2026-03-02",
                account=Account(iban=DE_IBAN, currency="EUR"),
                account_owner=Party(name="Mustermann GmbH"),
                electronic_sequence_number=61,
                created=CREATED,
                balances=balances,
                entries=(
                    Entry(
                        amount=Decimal("1500.00"),
                        currency="EUR",
                        credit_debit="CRDT",
                        status="BOOK",
                        booking_date=date(2026, 3, 2),
                        value_date=date(2026, 3, 2),
                        account_servicer_reference="ASR-1",
                        bank_transaction_code=BankTransactionCode("PMNT", "RCDT", "ESCT"),
                        details=(
                            EntryDetail(
                                end_to_end_id="E2E-0001",
                                amount=Decimal("1500.00"),
                                currency="EUR",
                                credit_debit="CRDT",
                                debtor=Party(name="Pierre Dupont"),
                                debtor_account=Account(iban=FR_IBAN),
                                remittance_info=("Monthly payment",),
                            ),
                        ),
                    ),
                    Entry(
                        amount=Decimal("42.10"),
                        currency="EUR",
                        credit_debit="DBIT",
                        status="BOOK",
                        booking_date=date(2026, 3, 2),
                        bank_transaction_code=BankTransactionCode(
                            "PMNT", "IDDT", "ESDD", proprietary="N105", proprietary_issuer="DK"
                        ),
                        reversal=False,
                        details=(EntryDetail(end_to_end_id="E2E-SDD-0001", mandate_id="MANDATE-0001"),),
                        additional_info="SEPA direct debit",
                    ),
                ),
            ),
        ),
    )


def sample_business_message() -> BusinessMessage:
    return BusinessMessage(
        header=AppHdr(
            sender=Agent(bic="COBADEFFXXX"),
            receiver=Agent(bic="NWBKGB2LXXX"),
            business_message_id="QNXPACS008-0001",
            message_definition_id="pacs.008.001.08",
            created=CREATED,
        ),
        document=sample_pacs008(),
    )


def sample_camt056() -> Camt056:
    return Camt056(
        assignment_id="QNXRCL-0001",
        created=CREATED,
        assigner=Agent(bic="BNPAFRPPXXX"),
        assignee=Agent(bic="COBADEFFXXX"),
        case_id="CASE-0001",
        transactions=(
            RecalledTransaction(
                cancellation_id="CXL-0001",
                original_message_id="QNXPACS008-0001",
                original_end_to_end_id="E2E-0001",
                original_transaction_id="TX-0001",
                original_uetr="e3b1c3e4-5b1a-4f1c-9d3e-2a7b9c1d0e5f",
                original_amount=Decimal("1250.50"),
                original_currency="EUR",
                reason_code="DUPL",
                additional_info=("SENT TWICE",),
            ),
        ),
    )


def sample_camt029() -> Camt029:
    return Camt029(
        assignment_id="QNXANS-0001",
        created=CREATED,
        assigner=Agent(bic="COBADEFFXXX"),
        assignee=Agent(bic="BNPAFRPPXXX"),
        confirmation="RJCR",
        case_id="CASE-0001",
        transactions=(
            CancellationStatus(
                status="RJCR",
                original_message_id="QNXPACS008-0001",
                original_end_to_end_id="E2E-0001",
                original_uetr="e3b1c3e4-5b1a-4f1c-9d3e-2a7b9c1d0e5f",
                reason_code="CUST",
                cancellation_status_id="CS-0001",
            ),
        ),
    )


SAMPLES = {
    "camt.056.001.08": sample_camt056,
    "camt.029.001.09": sample_camt029,
    "pacs.008.001.08": sample_pacs008,
    "pacs.009.001.08": sample_pacs009,
    "pacs.002.001.10": sample_pacs002,
    "pacs.004.001.09": sample_pacs004,
    "pain.001.001.09": lambda: sample_pain001("pain.001.001.09"),
    "pain.001.001.03": lambda: sample_pain001("pain.001.001.03"),
    "pain.002.001.10": lambda: sample_pain002("pain.002.001.10"),
    "pain.002.001.03": lambda: sample_pain002("pain.002.001.03"),
    "pain.008.001.08": lambda: sample_pain008("pain.008.001.08"),
    "pain.008.001.02": lambda: sample_pain008("pain.008.001.02"),
    "camt.052.001.08": lambda: sample_camt("camt.052.001.08"),
    "camt.053.001.08": lambda: sample_camt("camt.053.001.08"),
    "camt.054.001.08": lambda: sample_camt("camt.054.001.08"),
    "cbpr-envelope-pacs.008.001.08": sample_business_message,
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_builder_output_matches_golden_file(name: str) -> None:
    raw = SAMPLES[name]().to_xml()
    golden = GOLDEN_DIR / f"{name}.xml"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_bytes(raw)
    assert raw == golden.read_bytes()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_builder_output_is_valid_against_the_official_xsd(name: str) -> None:
    """Independent of our own pipeline: validate the emitted bytes with a plain lxml XMLSchema."""
    root = etree.fromstring(SAMPLES[name]().to_xml())
    parts = [root] if etree.QName(root).localname == "Document" else list(root)
    for part in parts:
        message_type = etree.QName(part).namespace.rsplit(":", 1)[1]
        schema = load_schema(message_type)
        document = etree.ElementTree(etree.fromstring(etree.tostring(part)))
        assert schema.validate(document), schema.error_log


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_build_serialise_parse_gives_the_same_domain_object(name: str) -> None:
    message = SAMPLES[name]()
    raw = message.to_xml()
    assert parse(raw) == message
    message_type, errors = validate_raw(raw)
    assert errors == []
    assert message_type == name.rsplit("-", 1)[-1] if name.startswith("cbpr") else message_type == name


def test_golden_files_are_accepted_by_the_uniform_validator() -> None:
    for path in GOLDEN_DIR.glob("*.xml"):
        assert validate_raw(path.read_bytes())[1] == [], path.name


OFFICIAL_XSD_SHA256 = {
    "camt.029.001.09": "8bb500a648f2e6e1c17fbe4b24620b37de35fc9ef20cbcbdce084bd4db276d57",
    "camt.056.001.08": "16691301a355a7b2429d3da1217f2ae646e4ed207618d00832d170b1e2b39e6d",
    "camt.052.001.08": "589b55980dd6e553de78ba036eb733308da201bda4c3158e10b22cb003911e8f",
    "camt.053.001.08": "ca0b135cc8e2dde5b2f99af6b6c514a8f29d6e7c6cf98e9ea84d247189868ff5",
    "camt.054.001.08": "2b392a1f7e70e70902fd0d803ff85989613bd1cae351663240b0bb9243be2c28",
    "head.001.001.02": "60f4b0abf9da2511e9215a1f5ce92838c788bc64315fe39b9f77613c0f9a4470",
    "pacs.002.001.10": "2016d5989e93376a85e515ef4874eceea46fc95d35c62292cf1577be31382404",
    "pacs.004.001.09": "2491776eeee135de20edf14aa038d036dddd25fae21c7afdc8d1150e5b16f0a6",
    "pacs.008.001.08": "9bb360555d1981be8635aa3ed295abfe8b2d221d316193434114ad722107dcde",
    "pacs.009.001.08": "b4b01e4af3f47152c84edb04a7e61d33c6929d82ef9ed05e9525177ae74dcb52",
    "pain.001.001.03": "ae2bbba02a6be0119a26f4afcb65ced067453cb1b81d38b26bcc569f19eca93e",
    "pain.001.001.09": "05440a7e84f695e7dbc6677082f43623cd7393881b76a5e8d648ae21d7d728e3",
    "pain.002.001.03": "c0c2b98f51638147598678bbec3d5aedfa270a819c2fda8014ba3c34a5972195",
    "pain.002.001.10": "22a9dda9d006c21fd368f44e9fae812e7b5cde95b6774f31289c372242aac906",
    "pain.008.001.02": "09b13e91fcde87f3153a4a417c866008fbc3d8a91706c0b24ff2bf4a18b56429",
    "pain.008.001.08": "3b2efe2239fceea22b17eb980df58c8b80db7322cf7781f8fd64ee8d17696210",
}


def test_shipped_xsds_are_the_unmodified_official_files() -> None:
    assert set(OFFICIAL_XSD_SHA256) == set(SUPPORTED_MESSAGE_TYPES)
    for message_type, digest in OFFICIAL_XSD_SHA256.items():
        assert hashlib.sha256((XSD_DIR / f"{message_type}.xsd").read_bytes()).hexdigest() == digest, message_type
