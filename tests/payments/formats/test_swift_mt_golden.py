"""Golden files: the exact bytes our builder emits for fixed inputs, one per message type.

The ``sample_*`` factories here are the fixed inputs; other SWIFT MT test modules reuse them.
Regenerate a golden file only after checking the new bytes against the standard by eye.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from apps.payments.formats.swift_mt import (
    MT103,
    MT202,
    MT202COV,
    MT900,
    MT910,
    MT940,
    MT950,
    AccountIdentification,
    Balance,
    CurrencyAmount,
    FinMessage,
    Institution,
    InstructionCode,
    Party,
    StatementLine,
    StatementNumber,
    SWIFTProtocol,
    TimeIndication,
    UnderlyingCustomerCreditTransfer,
    make_envelope,
    parse,
)

GOLDEN = Path(__file__).parent / "golden" / "swift_mt"
UETR = "eb6305c9-1f7f-49de-aed0-16487c27b42d"


def sample_mt103(**changes: object) -> MT103:
    fields: dict[str, object] = {
        "header": make_envelope("103", sender_bic="CHASUS33XXX", receiver_bic="DEUTDEFFXXX", uetr=UETR),
        "sender_reference": "INVOICE-2024-001",
        "time_indications": (TimeIndication("SNDTIME", "1015", "+0100"),),
        "bank_operation_code": "CRED",
        "instruction_codes": (InstructionCode("PHOB", "0049 69 910 00"),),
        "transaction_type_code": "K90",
        "value_date": date(2024, 3, 15),
        "currency": "USD",
        "amount": Decimal("100000.00"),
        "instructed_amount": CurrencyAmount("EUR", Decimal("92150.5")),
        "exchange_rate": Decimal("1.08518"),
        "ordering_customer": Party("K", account="123456789", name_address=("ACME CORP", "1 MAIN STREET", "NEW YORK")),
        "ordering_institution": Institution("A", bic="CHASUS33"),
        "senders_correspondent": Institution("A", account="0123456", dc_mark="C", bic="CITIUS33XXX"),
        "account_with_institution": Institution("A", bic="DEUTDEFF500"),
        "beneficiary_customer": Party("", account="DE89370400440532013000", name_address=("MUSTER GMBH", "BERLIN")),
        "remittance_information": ("/INV/2024-001", "PAYMENT FOR SERVICES"),
        "details_of_charges": "SHA",
        "senders_charges": (CurrencyAmount("USD", Decimal("15")),),
        "sender_to_receiver_information": ("/ACC/INSTANT",),
        "regulatory_reporting": ("/ORDERRES/DE//MEILAUFTRAG",),
    }
    fields.update(changes)
    return MT103(**fields)  # type: ignore[arg-type]


def sample_mt103_stp() -> MT103:
    return MT103(
        header=make_envelope(
            "103", sender_bic="BNPAFRPPXXX", receiver_bic="COBADEFFXXX", uetr=UETR, validation_flag="STP"
        ),
        sender_reference="STP-0001",
        value_date=date(2024, 12, 31),
        currency="EUR",
        amount=Decimal("2500"),
        ordering_customer=Party(
            "F", account="FR7630006000011234567890189", name_address=("1/JEAN DUPONT", "2/1 RUE X", "3/FR/PARIS")
        ),
        ordering_institution=Institution("A", bic="BNPAFRPP"),
        account_with_institution=Institution("A", bic="COBADEFF"),
        beneficiary_customer=Party("A", account="DE44500105175407324931", bic="COBADEFFXXX"),
        details_of_charges="OUR",
        receivers_charges=CurrencyAmount("EUR", Decimal("2.50")),
        instructed_amount=CurrencyAmount("EUR", Decimal("2502.50")),
    )


def sample_mt202() -> MT202:
    return MT202(
        header=make_envelope("202", sender_bic="BOFAUS3NXXX", receiver_bic="MIDLGB22XXX", uetr=UETR),
        transaction_reference="FX20240315-77",
        related_reference="NONREF",
        time_indications=(TimeIndication("CLSTIME", "0915", "-0500"),),
        value_date=date(2024, 3, 15),
        currency="JPY",
        amount=Decimal("150000000"),
        ordering_institution=Institution("A", bic="BOFAUS3N"),
        intermediary=Institution("A", bic="BOTKJPJT"),
        account_with_institution=Institution("B", account="99887766", location="TOKYO"),
        beneficiary_institution=Institution("D", name_address=("MIZUHO BANK LTD", "TOKYO")),
        sender_to_receiver_information=("/BNF/FX SETTLEMENT",),
    )


def sample_mt202cov() -> MT202COV:
    return MT202COV(
        header=make_envelope(
            "202", sender_bic="DEUTDEFFXXX", receiver_bic="CITIUS33XXX", uetr=UETR, validation_flag="COV"
        ),
        transaction_reference="COV-4711",
        related_reference="INVOICE-2024-001",
        value_date=date(2024, 3, 15),
        currency="USD",
        amount=Decimal("100000"),
        account_with_institution=Institution("A", bic="CHASUS33"),
        beneficiary_institution=Institution("A", bic="DEUTDEFF"),
        underlying=UnderlyingCustomerCreditTransfer(
            ordering_customer=Party("K", account="123456789", name_address=("ACME CORP", "NEW YORK")),
            ordering_institution=Institution("A", bic="CHASUS33"),
            account_with_institution=Institution("A", bic="DEUTDEFF500"),
            beneficiary_customer=Party("", account="DE89370400440532013000", name_address=("MUSTER GMBH",)),
            remittance_information=("INVOICE 2024-001",),
            instructed_amount=CurrencyAmount("USD", Decimal("100000")),
        ),
    )


def sample_mt900() -> MT900:
    return MT900(
        header=make_envelope("900", sender_bic="DEUTDEFFXXX", receiver_bic="CHASUS33XXX", with_user_header=False),
        transaction_reference="C11126A1378",
        related_reference="5482ABC",
        account=AccountIdentification("9-9876543"),
        date_time_indication=datetime(2024, 3, 15, 14, 35, tzinfo=timezone(timedelta(hours=1))),
        value_date=date(2024, 3, 15),
        currency="KWD",
        amount=Decimal("1250.125"),
        ordering_institution=Institution("A", bic="NBOKKWKW"),
    )


def sample_mt910() -> MT910:
    return MT910(
        header=make_envelope("910", sender_bic="DEUTDEFFXXX", receiver_bic="CHASUS33XXX", with_user_header=False),
        transaction_reference="C11126C9224",
        related_reference="494936/DEV",
        account=AccountIdentification("6-9412771", bic="CHASUS33"),
        value_date=date(2024, 3, 15),
        currency="USD",
        amount=Decimal("1000000"),
        ordering_customer=Party("A", bic="ACMEUS33"),
        intermediary=Institution("A", bic="BOFAUS3N"),
        sender_to_receiver_information=("/BNF/INCOMING",),
    )


def sample_mt940() -> MT940:
    return MT940(
        header=make_envelope("940", sender_bic="DEUTDEFFXXX", receiver_bic="CHASUS33XXX", with_user_header=False),
        transaction_reference="STMT-2024-03-15",
        related_reference="NONREF",
        account=AccountIdentification("DE89370400440532013000"),
        statement_number=StatementNumber(74, 1),
        opening_balance=Balance("C", date(2024, 3, 14), "EUR", Decimal("1000.00")),
        statement_lines=(
            StatementLine(
                value_date=date(2024, 3, 15),
                entry_date=date(2024, 3, 15),
                mark="C",
                amount=Decimal("500.25"),
                transaction_type="NTRF",
                customer_reference="INV-1",
                bank_reference="B2403150001",
                supplementary_details="SEPA CT",
                information=("/EREF/INV-1/REMI/PAYMENT", "ACME CORP"),
            ),
            StatementLine(
                value_date=date(2024, 3, 15),
                mark="D",
                amount=Decimal("200"),
                transaction_type="FCHG",
                customer_reference="NONREF",
            ),
        ),
        closing_balance=Balance("C", date(2024, 3, 15), "EUR", Decimal("1300.25")),
        closing_available_balance=Balance("C", date(2024, 3, 15), "EUR", Decimal("1300.25")),
        forward_available_balances=(Balance("C", date(2024, 3, 18), "EUR", Decimal("1300.25")),),
        information_to_account_owner=("END OF STATEMENT",),
    )


def sample_mt950() -> MT950:
    return MT950(
        header=make_envelope("950", sender_bic="CITIUS33XXX", receiver_bic="DEUTDEFFXXX", with_user_header=False),
        transaction_reference="NOSTRO-0315",
        account=AccountIdentification("36589412"),
        statement_number=StatementNumber(102),
        opening_balance=Balance("D", date(2024, 3, 14), "USD", Decimal("50.00"), intermediate=True),
        statement_lines=(
            StatementLine(
                value_date=date(2024, 3, 15),
                mark="RD",
                amount=Decimal("100"),
                transaction_type="S202",
                customer_reference="COV-4711",
                bank_reference="CITI0315",
            ),
        ),
        closing_balance=Balance("C", date(2024, 3, 15), "USD", Decimal("50")),
    )


SAMPLES = {
    "mt103": sample_mt103,
    "mt103_stp": sample_mt103_stp,
    "mt202": sample_mt202,
    "mt202cov": sample_mt202cov,
    "mt900": sample_mt900,
    "mt910": sample_mt910,
    "mt940": sample_mt940,
    "mt950": sample_mt950,
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_builder_output_matches_golden_file_byte_for_byte(name: str) -> None:
    message: FinMessage = SAMPLES[name]()
    expected = (GOLDEN / f"built_{name}.fin").read_bytes()
    assert message.to_bytes() == expected


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_golden_file_parses_back_to_the_same_domain_object(name: str) -> None:
    message = SAMPLES[name]()
    assert parse((GOLDEN / f"built_{name}.fin").read_bytes()) == message


def test_block_4_uses_crlf_and_ends_with_dash_line() -> None:
    text = str(sample_mt103())
    block4 = text[text.index("{4:") :]
    assert block4.startswith("{4:\r\n:20:")
    assert block4.endswith("\r\n-}")
    assert "\n" not in block4.replace("\r\n", "")


def test_seed_create_mt103_call_returns_a_renderable_message() -> None:
    mt103 = SWIFTProtocol().create_mt103(
        sender_bic="CHASUS33XXX",
        receiver_bic="DEUTDEFFXXX",
        sender_account="123456789",
        receiver_account="987654321",
        amount=Decimal("100000.00"),
        currency="USD",
        reference="INVOICE-2024-001",
        remittance_info="Payment for services",
        value_date=date(2024, 3, 15),
        uetr=UETR,
    )
    assert mt103.amount == Decimal("100000.00")
    assert (mt103.currency, mt103.reference, mt103.uetr) == ("USD", "INVOICE-2024-001", UETR)
    assert (mt103.sender_bic, mt103.receiver_bic) == ("CHASUS33XXX", "DEUTDEFFXXX")
    assert mt103.ordering_customer.account == "123456789"
    assert mt103.beneficiary_customer.account == "987654321"
    assert mt103.details_of_charges == "SHA"
    assert mt103.to_bytes() == (GOLDEN / "built_seed_mt103.fin").read_bytes()
    assert str(mt103) == mt103.to_fin()
