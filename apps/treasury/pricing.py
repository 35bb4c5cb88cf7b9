"""Customer FX pricing: pure functions (markup over the LP, amounts rounded toward the bank)."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from apps.core.money import currency_exponent

RATE_EXP = Decimal("1e-8")


def customer_rate(*, side: str, lp_bid: Decimal, lp_offer: Decimal, markup_bp: int) -> Decimal:
    """The customer buys base at the LP's offer plus markup and sells at its bid less markup."""
    markup = Decimal(markup_bp) / Decimal(10000)
    if side == "BUY":
        return (lp_offer * (1 + markup)).quantize(RATE_EXP, ROUND_CEILING)
    return (lp_bid * (1 - markup)).quantize(RATE_EXP, ROUND_FLOOR)


def _to_minor(major: Decimal, currency: str, rounding: str) -> int:
    return int(major.scaleb(currency_exponent(currency)).to_integral_value(rounding=rounding))


def _to_major(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-currency_exponent(currency))


def deal_amounts(*, pair: str, side: str, rate: Decimal, amount_minor: int, amount_currency: str) -> tuple[int, int]:
    """(base minor, quote minor) of a deal for an amount in either currency; the computed leg rounds for the bank.

    The customer who buys base pays the ceiling of the quote amount (or gets the floor of the base); the one who
    sells base gets the floor of the quote amount (or gives the ceiling of the base).
    """
    base, quote = pair[:3], pair[3:]
    buy = side == "BUY"
    if amount_currency == base:
        quote_major = _to_major(amount_minor, base) * rate
        return amount_minor, _to_minor(quote_major, quote, ROUND_CEILING if buy else ROUND_FLOOR)
    base_major = _to_major(amount_minor, quote) / rate
    return _to_minor(base_major, base, ROUND_FLOOR if buy else ROUND_CEILING), amount_minor


def major(minor: int, currency: str) -> Decimal:
    return _to_major(minor, currency)
