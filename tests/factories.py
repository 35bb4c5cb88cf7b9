"""Factories for tests. Money always enters the ledger through its services, never by writing rows."""

from __future__ import annotations

import factory

from apps.accounts.models import Account, AccountStatus, AccountType
from apps.ledger.services import account_open


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    owner_id = factory.Sequence(lambda n: f"customer-{n}")
    account_type = AccountType.CHECKING
    currency = "USD"
    status = AccountStatus.ACTIVE


def funded_account(amount: str = "100.00", currency: str = "USD", **kwargs) -> Account:
    """Open an active account through the service, with ``amount`` deposited."""
    kwargs.setdefault("owner_id", "customer")
    kwargs.setdefault("account_type", "CHECKING")
    return account_open(currency=currency, initial_balance=amount, **kwargs)
