"""Card number helpers: Luhn check digit, brand by BIN range, PAN masking.

Kept apart from ``iso8583`` because the card portal and fraud screens need them without the
message codec.
"""

from __future__ import annotations

from enum import StrEnum


class CardBrand(StrEnum):
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    DISCOVER = "discover"


def _is_digits(text: object) -> bool:
    return isinstance(text, str) and text.isascii() and text.isdigit()


def luhn_check_digit(partial_pan: str) -> int:
    """Return the Luhn (mod 10) digit that makes ``partial_pan`` + digit a valid card number."""
    if not _is_digits(partial_pan):
        raise ValueError(f"need digits, got {partial_pan!r}")
    total = 0
    for i, ch in enumerate(reversed(partial_pan)):
        digit = int(ch)
        if i % 2 == 0:  # these digits are doubled once the check digit is appended
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return (10 - total % 10) % 10


def is_luhn_valid(pan: str) -> bool:
    """Return True when ``pan`` is 2+ ASCII digits whose last digit is the Luhn check digit.

    The Luhn check catches every single-digit typo and most transpositions, so a terminal or
    issuer rejects such numbers before looking them up.
    """
    return _is_digits(pan) and len(pan) >= 2 and luhn_check_digit(pan[:-1]) == int(pan[-1])


def card_brand(pan: str) -> CardBrand | None:
    """Return the card brand for ``pan`` from its BIN range and length, or None when unknown.

    Visa: 4, 13/16/19 digits. Mastercard: 51-55 and 2221-2720, 16 digits. Amex: 34 and 37,
    15 digits. Discover: 6011, 644-649, 65 and 622126-622925, 16-19 digits.
    """
    if not _is_digits(pan):
        return None
    length = len(pan)
    if pan.startswith("4") and length in (13, 16, 19):
        return CardBrand.VISA
    if length == 16 and (51 <= int(pan[:2]) <= 55 or 2221 <= int(pan[:4]) <= 2720):
        return CardBrand.MASTERCARD
    if length == 15 and pan[:2] in ("34", "37"):
        return CardBrand.AMEX
    if 16 <= length <= 19 and (
        pan.startswith(("6011", "65")) or 644 <= int(pan[:3]) <= 649 or 622126 <= int(pan[:6]) <= 622925
    ):
        return CardBrand.DISCOVER
    return None


def mask_pan(pan: str) -> str:
    """Return ``pan`` with all but the first six and last four digits replaced by '*' (PCI DSS display rule).

    Numbers shorter than 13 digits keep only the last four visible.
    """
    pan = str(pan)
    if len(pan) <= 4:
        return "*" * len(pan)
    if len(pan) < 13:
        return "*" * (len(pan) - 4) + pan[-4:]
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]
