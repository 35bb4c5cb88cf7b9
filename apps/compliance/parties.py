"""Who a customer is, for the regulatory reports and the monitoring rules: one function, one dataclass.

``party_for_owner(owner_id)`` is the only place the AML code asks who stands behind an ``Account.owner_id``. The
customer record (``apps.customers``, read through its selector) gives the legal name, person or organisation, date of
birth, national id (the TIN), first address, country, occupation and expected monthly activity; the accounts give the
rest. An owner id that is no customer (accounts opened before the customers app, the bank's own ids) falls back to
what its accounts hold: the account holder's name, nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from apps.accounts.models import CUSTOMER_TYPES, Account

US = "US"


@dataclass(frozen=True)
class PartyAccount:
    public_id: str
    account_type: str
    currency: str
    status: str


@dataclass(frozen=True)
class Party:
    owner_id: str
    name: str = ""
    is_entity: bool = False
    first_name: str = ""
    last_name: str = ""
    tin: str = ""
    tin_type: str = ""  # "SSN/ITIN", "EIN", "foreign"
    date_of_birth: dt.date | None = None
    street: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    country: str = ""  # of residence (a person) or seat (an organisation), ISO 3166 alpha-2
    nationality: str = ""
    occupation: str = ""
    # What the customer said they would move per month (minor units of ``expected_currency``); None: not known.
    expected_monthly_minor: int | None = None
    expected_currency: str = ""
    is_customer: bool = False  # found in apps.customers (False: only the accounts were known)
    accounts: list[PartyAccount] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return self.name or self.owner_id

    @property
    def us_person(self) -> bool:
        """A US citizen or resident, or an organisation seated in the US (who must file an FBAR, 31 CFR 1010.350)."""
        return US in (self.country, self.nationality)


def _split_name(name: str) -> tuple[str, str]:
    """(first, last) of a person's name: the last word is the surname (FinCEN's separate name fields)."""
    first, _, last = name.rpartition(" ") if " " in name else ("", "", name)
    return first, last


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _first_address(raw: str) -> dict[str, str]:
    """The first stored address: a dict (street, city, state, zip/postcode, country) or one free-text line."""
    try:
        addresses = json.loads(raw) if raw else []
    except ValueError:
        addresses = [raw]
    first = addresses[0] if isinstance(addresses, list) and addresses else None
    if isinstance(first, dict):
        return {
            "street": str(first.get("street") or first.get("line1") or ""),
            "city": str(first.get("city") or ""),
            "state": str(first.get("state") or ""),
            "zip_code": str(first.get("zip") or first.get("zip_code") or first.get("postcode") or ""),
            "country": str(first.get("country") or "").upper()[:2],
        }
    return {"street": str(first)} if first else {}


def party_for_owner(owner_id: str) -> Party:
    """The party behind ``owner_id``: the customer record when there is one, and its customer accounts."""
    from apps.customers.models import CustomerKind
    from apps.customers.selectors import customer_list

    accounts = list(
        Account.objects.filter(owner_id=owner_id, account_type__in=list(CUSTOMER_TYPES)).order_by("created_at", "id")
    )
    party_accounts = [PartyAccount(a.public_id, a.account_type, a.currency, a.status) for a in accounts]
    customer = customer_list(owner_ids=[owner_id]).first()
    if customer is None:
        name = next((a.name for a in accounts if a.name), "")
        first, last = _split_name(name)
        return Party(owner_id=owner_id, name=name, first_name=first, last_name=last, accounts=party_accounts)
    is_entity = customer.kind == CustomerKind.ORGANISATION
    first, last = ("", customer.name) if is_entity else _split_name(customer.name)
    address = _first_address(customer.addresses)
    country = customer.residence_country or address.get("country", "")
    us = US in (country, customer.nationality)
    tin_type = ("EIN" if is_entity else "SSN/ITIN") if us else "foreign"
    return Party(
        owner_id=owner_id,
        name=customer.name,
        is_entity=is_entity,
        first_name=first,
        last_name=last,
        tin=customer.national_id,
        tin_type=tin_type if customer.national_id else "",
        date_of_birth=None if is_entity else _date(customer.date_of_birth),
        street=address.get("street", ""),
        city=address.get("city", ""),
        state=address.get("state", ""),
        zip_code=address.get("zip_code", ""),
        country=country,
        nationality=customer.nationality,
        occupation=customer.occupation,
        expected_monthly_minor=customer.expected_monthly_amount_minor or None,
        expected_currency=customer.expected_currency if customer.expected_monthly_amount_minor else "",
        is_customer=True,
        accounts=party_accounts,
    )
