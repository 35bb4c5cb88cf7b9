"""Which customers must file an FBAR, and with which accounts: derived from the ledger, never entered by hand.

FinCEN Form 114 (31 CFR 1010.350, 1010.306(c)): a US person (citizen, resident, or an entity formed in the US) with
a financial interest in financial accounts held *outside* the United States whose aggregate maximum value exceeded
USD 10,000 at any time in the calendar year. Here, from the data the product holds:

- **US person**: the customer's residence/seat country or nationality is US (``parties.Party.us_person``).
- **Foreign account**: where a customer deposit account (CHECKING, SAVINGS; a loan is no financial account of the
  customer's) is held: the country of its IBAN when one is registered for it (``AccountAlias``), else the country
  of the bank's own BIC (``QENEX_PAYMENTS_BANK_BIC``, QNXB**DE**FF by default). Foreign: that country is not US.
- **Maximum value**: the account's highest ledger balance in the year: the balance it carried into January 1st or
  the highest running balance after a posting that year (``Posting.balance_after_minor``), never below zero.
- **In US dollars**: at the ledger's rate in force at the end of December 31st of the year (FinCEN's instructions
  take the Treasury's rate of the last day of the year; the ledger's is the rate this bank publishes), with the
  conversion rule of ``reports.usd`` (exact, rounded up to the cent; FinCEN's whole dollars round up again).
- **Required**: a US person whose foreign accounts' maximum values add up to more than USD 10,000.00. An account
  whose value has no USD rate is reported with FinCEN's "maximum value unknown" and does not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import schwifty
from django.conf import settings
from django.db.models import Max

from apps.accounts.models import AccountStatus, AccountType

from ..parties import US, Party, party_for_owner
from . import usd

FBAR_THRESHOLD_USD_MINOR = 1_000_000  # USD 10,000.00 (31 CFR 1010.306(c)), a statute's figure, not a setting
FINANCIAL_ACCOUNT_TYPES = frozenset({AccountType.CHECKING, AccountType.SAVINGS})


@dataclass(frozen=True)
class AccountYear:
    public_id: str
    account_type: str
    currency: str
    country: str  # where the account is held
    maximum_minor: int  # in the account's currency
    maximum_usd_minor: int | None  # None: no USD rate at the year's end
    rate: str  # the ledger rate used ("" for USD or none)

    @property
    def foreign(self) -> bool:
        return self.country != US


@dataclass(frozen=True)
class FbarAssessment:
    party: Party
    year: int
    accounts: list[AccountYear]  # the customer's financial accounts held during the year, foreign or not

    @property
    def foreign_accounts(self) -> list[AccountYear]:
        return [a for a in self.accounts if a.foreign]

    @property
    def aggregate_usd_minor(self) -> int:
        return sum(a.maximum_usd_minor or 0 for a in self.foreign_accounts)

    @property
    def unknown_values(self) -> list[str]:
        return [a.public_id for a in self.foreign_accounts if a.maximum_usd_minor is None]

    @property
    def required(self) -> bool:
        return self.party.us_person and self.aggregate_usd_minor > FBAR_THRESHOLD_USD_MINOR


def home_country() -> str:
    """The country of the bank's own BIC: where an account without an IBAN of its own is held."""
    return str(settings.QENEX_PAYMENTS_BANK_BIC)[4:6].upper()


def account_country(identifiers: list[str]) -> str:
    """Where an account is held: its first registered identifier that is a valid IBAN, else the bank's country."""
    for identifier in identifiers:
        try:
            return schwifty.IBAN(identifier).country_code
        except (ValueError, schwifty.exceptions.SchwiftyException):
            continue
    return home_country()


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    return datetime.combine(date(year, 1, 1), time.min, tzinfo=tz), datetime.combine(
        date(year + 1, 1, 1), time.min, tzinfo=tz
    )


def maximum_value_minor(account, year: int) -> int:
    """The account's highest ledger balance during ``year`` (minor units, at least zero)."""
    from apps.ledger.models import Posting
    from apps.ledger.selectors import balance_as_of

    start, end = _year_bounds(year)
    carried = balance_as_of(account=account, at=start, inclusive=False)
    top = Posting.objects.filter(account=account, posted_at__gte=start, posted_at__lt=end).aggregate(
        m=Max("balance_after_minor")
    )["m"]
    return max(carried, top if top is not None else carried, 0)


def fbar_assess(*, owner_id: str, year: int) -> FbarAssessment:
    """The customer's financial accounts in ``year``, where each is held, its maximum value, and in USD."""
    from apps.accounts.models import Account
    from apps.payments.selectors import account_alias_identifiers

    party = party_for_owner(owner_id)
    _, end = _year_bounds(year)
    rows = [
        a
        for a in Account.objects.filter(
            public_id__in=[p.public_id for p in party.accounts],
            account_type__in=list(FINANCIAL_ACCOUNT_TYPES),
            created_at__lt=end,
        ).order_by("created_at", "id")
    ]
    identifiers = account_alias_identifiers(account_ids=[a.public_id for a in rows])
    rates: dict[str, usd.UsdRate | None] = {}
    found = []
    for account in rows:
        maximum = maximum_value_minor(account, year)
        if account.status == AccountStatus.CLOSED and maximum == 0:
            continue  # closed before the year, nothing in it
        if account.currency not in rates:
            try:
                rates[account.currency] = usd.usd_rate_of_day(account.currency, date(year, 12, 31))
            except usd.NoUsdRate:
                rates[account.currency] = None
        rate = rates[account.currency]
        found.append(
            AccountYear(
                public_id=account.public_id,
                account_type=account.account_type,
                currency=account.currency,
                country=account_country(identifiers.get(account.public_id, [])),
                maximum_minor=maximum,
                maximum_usd_minor=usd.usd_minor(maximum, rate) if rate is not None else None,
                rate=rate.stored if rate is not None and account.currency != usd.USD else "",
            )
        )
    return FbarAssessment(party=party, year=year, accounts=found)
