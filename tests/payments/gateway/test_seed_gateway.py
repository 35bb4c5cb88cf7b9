"""The seed's Python calls with only their import lines changed: each creates a payment order from the message."""

from __future__ import annotations

from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync

from apps.ledger.selectors import balance_get
from apps.payments.formats.iso20022 import SEPAProtocol
from apps.payments.formats.swift_mt import SWIFTProtocol
from apps.payments.gateway import payment_gateway
from apps.payments.services import account_alias_register
from tests.factories import funded_account

pytestmark = pytest.mark.django_db


def test_send_swift_message_turns_the_seeds_mt103_into_a_swift_payment():
    account = funded_account("200000.00", "USD")
    account_alias_register(identifier="123456789", account_id=account.public_id)
    swift = SWIFTProtocol()
    mt103 = swift.create_mt103(
        sender_bic="CHASUS33XXX",
        receiver_bic="DEUTDEFFXXX",
        sender_account="123456789",
        receiver_account="987654321",
        amount=Decimal("100000.00"),
        currency="USD",
        reference="INVOICE-2024-001",
        remittance_info="Payment for services",
    )
    result = async_to_sync(payment_gateway.send_swift_message)(mt103)
    assert (result.rail, result.status) == ("swift", "QUEUED")
    assert balance_get(account=account).held_minor == 10_000_000


def test_process_sepa_transfer_turns_the_seeds_sct_into_a_sepa_payment():
    account = funded_account("2000.00", "EUR")
    account_alias_register(identifier="DE89370400440532013000", account_id=account.public_id)
    sepa = SEPAProtocol()
    sct = sepa.create_sct(
        debtor_iban="DE89370400440532013000",
        debtor_name="Max Mustermann",
        creditor_iban="FR1420041010050500013M02606",
        creditor_name="Pierre Dupont",
        amount=Decimal("1500.00"),
        reference="REF-123456",
        remittance_info="Monthly payment",
    )
    result = async_to_sync(payment_gateway.process_sepa_transfer)(sct)
    assert (result.rail, result.status) == ("sepa", "QUEUED")
    assert balance_get(account=account).held_minor == 150_000
