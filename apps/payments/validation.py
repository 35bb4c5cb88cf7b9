"""Checks of a payment's fields that need no database: IBAN, BIC, ABA, account numbers, rail currency and caps.

IBAN and BIC come from schwifty (checksums, country formats, the bundled bank registry); ABA routing numbers
from the NACHA module's check digit (one rule, in ``apps.payments.formats.nacha``).
"""

from __future__ import annotations

import re

import schwifty
from django.conf import settings
from schwifty.exceptions import SchwiftyException

from apps.core.money import to_minor_units
from apps.payments.formats.nacha.routing import aba_problem

from .errors import (
    CurrencyNotOnRail,
    InvalidAccountNumber,
    InvalidBic,
    InvalidIban,
    InvalidRoutingNumber,
    SchemeLimitExceeded,
)
from .models import Rail

# Which currencies each rail carries (None: any).
RAIL_CURRENCIES: dict[str, frozenset[str] | None] = {
    Rail.SEPA: frozenset({"EUR"}),
    Rail.SEPA_INST: frozenset({"EUR"}),
    Rail.ACH: frozenset({"USD"}),
    Rail.FEDWIRE: frozenset({"USD"}),
    Rail.SWIFT: None,
}
_ACCOUNT_NUMBER = re.compile(r"^[A-Za-z0-9/\-?:().,'+ ]{1,34}$")
_US_ACCOUNT = re.compile(r"^[0-9A-Za-z-]{1,17}$")


def iban(value: str, *, field: str) -> schwifty.IBAN:
    try:
        return schwifty.IBAN(value)
    except SchwiftyException as exc:
        raise InvalidIban(f"{field}: {exc}", field=field) from None


def bic(value: str, *, field: str) -> str:
    try:
        return str(schwifty.BIC(value))
    except SchwiftyException as exc:
        raise InvalidBic(f"{field}: {exc}", field=field) from None


def aba(value: str, *, field: str) -> str:
    problem = aba_problem(value)
    if problem is not None:
        raise InvalidRoutingNumber(f"{field}: {problem}", field=field)
    return value


def account_number(value: str, *, field: str, us: bool = False) -> str:
    pattern = _US_ACCOUNT if us else _ACCOUNT_NUMBER
    if not pattern.match(value):
        rule = "1-17 letters, digits or hyphens" if us else "1-34 characters of the SWIFT set"
        raise InvalidAccountNumber(f"{field} must be {rule}", field=field)
    return value


def currency_on_rail(currency: str, rail: str) -> None:
    carried = RAIL_CURRENCIES[rail]
    if carried is not None and currency not in carried:
        raise CurrencyNotOnRail(
            f"{Rail(rail).label} carries {', '.join(sorted(carried))}, not {currency}", field="currency"
        )


def scheme_limit(amount_minor: int, currency: str, rail: str) -> None:
    if rail == Rail.SEPA_INST:
        cap = to_minor_units(settings.QENEX_PAYMENTS_SCT_INST_MAX, currency)
        if amount_minor > cap:
            raise SchemeLimitExceeded(
                f"SCT Inst carries at most {settings.QENEX_PAYMENTS_SCT_INST_MAX} EUR per payment", field="amount"
            )
