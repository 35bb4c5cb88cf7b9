"""What the issuer accepts as a card number: Luhn-valid, and of a scheme it issues (Visa, Mastercard, AMEX)."""

from __future__ import annotations

from apps.payments.formats.cards import CardBrand, card_brand, is_luhn_valid

from .errors import InvalidCardNumber
from .models import CardScheme

_SCHEMES = {
    CardBrand.VISA: CardScheme.VISA,
    CardBrand.MASTERCARD: CardScheme.MASTERCARD,
    CardBrand.AMEX: CardScheme.AMEX,
}


def scheme_of(pan: str) -> CardScheme | None:
    """The scheme of a Luhn-valid PAN by its BIN range and length; None when invalid or not one we issue."""
    if not isinstance(pan, str) or not 12 <= len(pan) <= 19 or not is_luhn_valid(pan):
        return None
    brand = card_brand(pan)
    return _SCHEMES.get(brand) if brand is not None else None


def check_pan(pan: str, *, field: str = "pan") -> CardScheme:
    """Return the scheme of ``pan`` or raise InvalidCardNumber (the message never repeats the number)."""
    scheme = scheme_of(pan)
    if scheme is None:
        raise InvalidCardNumber("not a valid Visa, Mastercard or AMEX card number", field=field)
    return scheme
