"""Currency conversion arithmetic: the one rounding rule for FX. Pure functions."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal, Inexact, localcontext

from apps.core.money import currency_exponent

# Enough digits for the exact product of the largest amount (18 digits) and the longest rate (28 digits).
_FX_PRECISION = 60


def convert_minor(amount_minor: int, *, base: str, quote: str, rate: Decimal) -> int:
    """Convert minor units of ``base`` into minor units of ``quote``, rounding down to the quote's unit.

    Rounding is unavoidable here (the rate has more digits than the currency); it happens once, at the
    bank's published rate, and both amounts and the rate are recorded on the entry. It goes toward the bank
    (the floor of what the customer receives): half-even would let a customer who splits one conversion into
    many small ones collect the round-ups (100 x 0.01 USD at 150 gave 200 JPY against 150 for 1.00 USD); with
    the floor, the parts never sum to more than the whole.
    """
    with localcontext() as ctx:
        ctx.prec, ctx.traps[Inexact] = _FX_PRECISION, True  # the product is exact; only the floor rounds
        exact = Decimal(amount_minor).scaleb(currency_exponent(quote) - currency_exponent(base)) * rate
        return int(exact.to_integral_value(rounding=ROUND_FLOOR))
