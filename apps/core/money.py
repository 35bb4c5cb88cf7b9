"""Exact money: ISO 4217 currencies and conversion between decimal strings and integer minor units.

Amounts are stored as integer minor units (cents for USD, yen for JPY, fils for KWD). A decimal with
more places than its currency allows is refused, never rounded, so no amount is ever silently changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

import iso4217

from .errors import InvalidAmount, UnknownCurrency

# Largest minor-unit amount any parsed amount may have: one 92nd of a PostgreSQL bigint, so one amount always
# fits, but sums of many can still overflow. The limits that keep balances in range are in apps/core/limits.py.
MAX_MINOR_UNITS = 10**17

# Decimal's default context holds 28 significant digits: with more, or an exponent beyond that, scaling
# to minor units would round (1.000…001 → 1.00) or overflow (1e999999), and 1e-999999999 would round to
# zero. No amount or rate we hold needs more, so anything larger is refused while parsing.
MAX_DIGITS = 28


@cache
def active_currencies() -> dict[str, int]:
    """Return {code: minor-unit exponent} for every ISO 4217 currency that has minor units.

    Codes without an exponent (gold XAU, SDR XDR, test code XTS, "no currency" XXX) are not money
    an account can hold, so they are left out.
    """
    return {c.code: c.exponent for c in iso4217.Currency if c.exponent is not None}


def currency_exponent(code: str, *, field: str = "currency") -> int:
    """Return the minor-unit exponent of ``code`` or raise UnknownCurrency."""
    if not isinstance(code, str):
        raise UnknownCurrency("currency must be a three-letter ISO 4217 code", field=field)
    exponent = active_currencies().get(code)
    if exponent is None:
        raise UnknownCurrency(f"{code!r} is not an active ISO 4217 currency", field=field)
    return exponent


def to_decimal(value: object, *, field: str = "amount") -> Decimal:
    """Parse an amount given as a decimal string, int or Decimal. Floats are refused: they are inexact."""
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidAmount('amount must be a decimal string such as "10.50", not a float', field=field)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        text = value.strip()
        if not text or not all(ch.isdigit() or ch in ".-+" for ch in text) or not text.isascii():
            raise InvalidAmount(f"{value!r} is not a decimal amount", field=field)
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise InvalidAmount(f"{value!r} is not a decimal amount", field=field) from None
    else:
        raise InvalidAmount("amount must be a decimal string", field=field)
    if not amount.is_finite():
        raise InvalidAmount("amount must be a finite number", field=field)
    digits, exponent = len(amount.as_tuple().digits), amount.as_tuple().exponent
    if digits > MAX_DIGITS or exponent < -MAX_DIGITS or amount.adjusted() >= MAX_DIGITS:
        raise InvalidAmount(
            f"{field} has more digits than can be held exactly (at most {MAX_DIGITS} significant digits)", field=field
        )
    return amount


def to_minor_units(value: object, currency: str, *, field: str = "amount", allow_zero: bool = False) -> int:
    """Convert a positive amount in ``currency`` to integer minor units, refusing excess precision."""
    exponent = currency_exponent(currency)
    amount = to_decimal(value, field=field)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidAmount("amount must be greater than zero", field=field)
    scaled = amount.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise InvalidAmount(
            f"{currency} has {exponent} decimal places; {value} has more (amounts are never rounded)",
            field=field,
            code="too_many_decimals",
        )
    minor = int(scaled)
    if minor > MAX_MINOR_UNITS:
        raise InvalidAmount("amount is larger than the ledger accepts", field=field)
    return minor


def from_minor_units(minor: int, currency: str) -> Decimal:
    """Return the Decimal amount for integer minor units, with exactly the currency's decimal places."""
    exponent = currency_exponent(currency)
    return Decimal(minor).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


def format_amount(minor: int, currency: str) -> str:
    """Return the amount as the decimal string the API sends (``"1000.00"``, ``"500"`` for JPY)."""
    return str(from_minor_units(minor, currency))


@dataclass(frozen=True)
class Money:
    """An amount in integer minor units of one currency."""

    minor: int
    currency: str

    @classmethod
    def parse(cls, value: object, currency: str, *, field: str = "amount") -> Money:
        return cls(to_minor_units(value, currency, field=field), currency)

    @property
    def amount(self) -> Decimal:
        return from_minor_units(self.minor, self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
