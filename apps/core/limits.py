"""How large a posting and a customer balance may be, so that no balance can overflow a 64-bit integer.

Balances are PostgreSQL bigints (at most 9,223,372,036,854,775,807 minor units). A customer balance is capped
at ``QENEX_MAX_ACCOUNT_BALANCE`` and every posting at ``QENEX_MAX_POSTING_AMOUNT``; the bank's own accounts
carry no cap of their own, but the CASH account of a currency is minus the sum of the customers' deposits, so
the per-account cap decides how many full accounts it takes to overflow it. With the defaults (a trillion
major units per account) that is more than 92,000 full accounts in a 2-decimal currency, 9,200 in a 3-decimal
one and 920 in the 4-decimal units of account (CLF, UYW) — far from any real bank. Should it ever happen
anyway, the posting is refused with ``balance_limit_exceeded`` (``apps.ledger.services``), never a 500.

Both settings are amounts in major units, either one for every currency (``"100000000000"``) or per currency
with an optional default (``"USD=1000000000,JPY=150000000000,*=100000000000"``), like
``QENEX_APPROVAL_THRESHOLD``. A limit with more decimals than a currency has is cut to that currency's unit.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .errors import AmountTooLarge, BalanceLimitExceeded
from .money import MAX_MINOR_UNITS, active_currencies, format_amount, to_minor_units

DEFAULT_MAX_POSTING_AMOUNT = "100000000000"  # 100 billion major units per posting
DEFAULT_MAX_ACCOUNT_BALANCE = "1000000000000"  # a trillion major units per customer account


@lru_cache(maxsize=16)
def _parse(name: str, raw: str) -> dict[str, Decimal]:
    """Return {currency or "*": limit in major units} from ``"USD=1000,*=50"`` or ``"1000"``."""
    items = [tuple(p.split("=", 1)) if "=" in p else ("*", p) for p in str(raw).split(",") if p.strip()]
    if not items:
        raise ImproperlyConfigured(f"{name}: no amount given")
    parsed: dict[str, Decimal] = {}
    for code, text in items:
        code = code.strip().upper()
        if code != "*" and code not in active_currencies():
            raise ImproperlyConfigured(f"{name}: {code!r} is not an ISO 4217 currency with minor units")
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            raise ImproperlyConfigured(f"{name}: {text!r} is not an amount") from None
        if not value.is_finite() or value <= 0:
            raise ImproperlyConfigured(f"{name}: {text!r} must be a positive amount")
        for currency in active_currencies() if code == "*" else [code]:
            # Compared in major units: scaling a huge limit up could overflow the decimal context.
            if value > Decimal(MAX_MINOR_UNITS).scaleb(-active_currencies()[currency]):
                raise ImproperlyConfigured(
                    f"{name}: {code}={text.strip()} is more than {MAX_MINOR_UNITS:.0e} minor units of {currency}; "
                    "balances are 64-bit integers"
                )
        parsed[code] = value
    return parsed


def _limit_minor(name: str, default: str, currency: str) -> int:
    limits = _parse(name, str(getattr(settings, name, default)))
    value = limits.get(currency, limits.get("*", Decimal(default)))
    return int(value.scaleb(active_currencies()[currency]).to_integral_value(rounding=ROUND_FLOOR))


def max_posting_minor(currency: str) -> int:
    """Return the largest amount one posting (or hold) in ``currency`` may move, in minor units."""
    return _limit_minor("QENEX_MAX_POSTING_AMOUNT", DEFAULT_MAX_POSTING_AMOUNT, currency)


def max_balance_minor(currency: str) -> int:
    """Return the largest ledger balance (and overdraft limit) a customer account in ``currency`` may have."""
    return _limit_minor("QENEX_MAX_ACCOUNT_BALANCE", DEFAULT_MAX_ACCOUNT_BALANCE, currency)


def check_posting_minor(minor: int, currency: str, *, field: str = "amount") -> int:
    """Return ``minor`` if one posting may move it, else raise AmountTooLarge naming ``field``."""
    maximum = max_posting_minor(currency)
    if minor > maximum:
        raise AmountTooLarge(
            f"{field} is above the maximum of {format_amount(maximum, currency)} {currency} per posting",
            field=field,
        )
    return minor


def posting_minor(value: object, currency: str, *, field: str = "amount", allow_zero: bool = False) -> int:
    """Parse a posting's amount into minor units and check it against the per-posting maximum."""
    return check_posting_minor(
        to_minor_units(value, currency, field=field, allow_zero=allow_zero), currency, field=field
    )


def check_balance_minor(balance_minor: int, currency: str, *, field: str) -> None:
    """Raise BalanceLimitExceeded if a customer balance of ``balance_minor`` is above the per-account maximum."""
    maximum = max_balance_minor(currency)
    if balance_minor > maximum:
        raise BalanceLimitExceeded(
            f"the account's balance would exceed the maximum of {format_amount(maximum, currency)} {currency}",
            field=field,
        )


def overdraft_limit_minor(value: object, currency: str) -> int:
    """Parse an overdraft limit; it may not exceed the per-account maximum (the balance's floor is its mirror)."""
    minor = to_minor_units(value, currency, field="overdraft_limit", allow_zero=True)
    maximum = max_balance_minor(currency)
    if minor > maximum:
        raise AmountTooLarge(
            f"overdraft_limit is above the maximum of {format_amount(maximum, currency)} {currency}",
            field="overdraft_limit",
        )
    return minor
