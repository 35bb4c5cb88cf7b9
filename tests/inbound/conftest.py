from __future__ import annotations

import pytest

from apps.payments.services import account_alias_register
from tests.factories import funded_account

from .messages import OUR_IBAN


@pytest.fixture
def eur_account(db):
    """Max Mustermann's EUR account, known by the IBAN other banks use for it."""
    account = funded_account("10.00", currency="EUR", name="Max Mustermann", owner_id="cust-max")
    account_alias_register(identifier=OUR_IBAN, account_id=account.public_id)
    return account


@pytest.fixture
def usd_account(db):
    """Jane Roe's USD checking account, account number 7700112233 at our routing number."""
    account = funded_account("100.00", currency="USD", name="Jane Roe", owner_id="cust-jane")
    account_alias_register(identifier="7700112233", account_id=account.public_id)
    return account
