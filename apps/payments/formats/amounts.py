"""Currency-aware amount helpers shared by every message format.

Minor units come from the ISO 4217 table shipped in the ``iso4217`` package,
so JPY has 0 decimals, USD 2 and KWD 3. An amount with more decimals than its
currency allows is rejected, never rounded.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import iso4217

from .errors import MessageValidationError


def currency_exponent(code: str) -> int | None:
    """Return the number of minor-unit digits of an ISO 4217 currency, or None if unknown."""
    try:
        exponent = iso4217.Currency[code].exponent
    except (KeyError, TypeError):
        return None
    return exponent if exponent is not None else None


def is_known_currency(code: str) -> bool:
    return isinstance(code, str) and len(code) == 3 and code.isupper() and code in iso4217.Currency.__members__


def check_amount(
    amount: Decimal,
    currency: str,
    *,
    message_type: str,
    field: str,
    allow_zero: bool = False,
    line: int | None = None,
) -> Decimal:
    """Check that ``amount`` is a finite Decimal valid for ``currency``; return it unchanged.

    Raises MessageValidationError for floats, negative amounts, zero (unless allowed),
    unknown currencies and precision beyond the currency's minor units.
    """
    if isinstance(amount, float) or not isinstance(amount, Decimal):
        raise MessageValidationError.single(
            message_type, field, "amount must be a Decimal, not " + type(amount).__name__, line
        )
    if not amount.is_finite():
        raise MessageValidationError.single(message_type, field, "amount must be a finite number", line)
    if not is_known_currency(currency):
        raise MessageValidationError.single(message_type, field, f"unknown ISO 4217 currency {currency!r}", line)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise MessageValidationError.single(message_type, field, "amount must be positive", line)
    exponent = currency_exponent(currency)
    if (
        exponent is not None
        and -amount.as_tuple().exponent > exponent
        and amount != amount.quantize(Decimal(1).scaleb(-exponent))
    ):
        raise MessageValidationError.single(
            message_type, field, f"{currency} allows at most {exponent} decimal places, got {amount}", line
        )
    return amount


def parse_decimal(
    text: str, *, message_type: str, field: str, decimal_sep: str = ".", line: int | None = None
) -> Decimal:
    """Parse a plain decimal string (digits with at most one separator) into a Decimal."""
    if not isinstance(text, str) or not text:
        raise MessageValidationError.single(message_type, field, "amount is missing", line)
    body = text.replace(decimal_sep, "", 1)
    if not body.isdigit() or not body.isascii():
        raise MessageValidationError.single(message_type, field, f"malformed amount {text!r}", line)
    normalised = text.replace(decimal_sep, ".", 1)
    if normalised.endswith("."):
        normalised += "0"
    if normalised.startswith("."):
        normalised = "0" + normalised
    try:
        return Decimal(normalised)
    except InvalidOperation:  # pragma: no cover - guarded by the isdigit check above
        raise MessageValidationError.single(message_type, field, f"malformed amount {text!r}", line) from None
