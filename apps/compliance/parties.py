"""Who a customer is, for the regulatory reports and the monitoring rules: one function, one dataclass.

``party_for_owner(owner_id)`` is the only place the AML code asks who stands behind an ``Account.owner_id``. Today it
knows what the accounts hold (the owner id, the account holder's name, the accounts); the customer record
(apps.customers: date of birth, TIN, address, expected activity) is wired in here when that app lands, and nothing else
in the AML code changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from apps.accounts.models import CUSTOMER_TYPES, Account


@dataclass(frozen=True)
class PartyAccount:
    public_id: str
    account_type: str
    currency: str
    status: str
    foreign: bool = False  # held outside the United States (FBAR); unknown today, so False


@dataclass(frozen=True)
class Party:
    owner_id: str
    name: str = ""
    is_entity: bool = False
    first_name: str = ""
    last_name: str = ""
    tin: str = ""
    tin_type: str = ""  # "SSN/ITIN", "EIN", "foreign"
    date_of_birth: date | None = None
    street: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    country: str = ""
    occupation: str = ""
    # What the customer said they would move per month (minor units of ``expected_currency``); None: not known.
    expected_monthly_minor: int | None = None
    expected_currency: str = ""
    accounts: list[PartyAccount] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return self.name or self.owner_id


def party_for_owner(owner_id: str) -> Party:
    """The party behind ``owner_id``: its name from its accounts (the first named one), and its accounts."""
    accounts = list(
        Account.objects.filter(owner_id=owner_id, account_type__in=list(CUSTOMER_TYPES)).order_by("created_at", "id")
    )
    name = next((a.name for a in accounts if a.name), "")
    first, _, last = name.rpartition(" ") if " " in name else ("", "", name)
    return Party(
        owner_id=owner_id,
        name=name,
        first_name=first,
        last_name=last,
        accounts=[PartyAccount(a.public_id, a.account_type, a.currency, a.status) for a in accounts],
    )
