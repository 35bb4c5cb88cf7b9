"""ABA routing transit numbers: the 9-digit bank identifier used by ACH and Fedwire.

The ninth digit is a check digit: 3*(d1+d4+d7) + 7*(d2+d5+d8) + (d3+d6+d9) must be a multiple of 10.
A wrong digit is the commonest keying error in a payee's bank details, so every
routing number we write or read is checked.
"""

from __future__ import annotations

_WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7)


def _is_ascii_digits(text: str) -> bool:
    return isinstance(text, str) and text.isascii() and text.isdigit()


def aba_check_digit(first_eight: str) -> int:
    """Return the check digit that completes an 8-digit routing number prefix (weights 3, 7, 1)."""
    if len(first_eight) != 8 or not _is_ascii_digits(first_eight):
        raise ValueError(f"need exactly 8 digits, got {first_eight!r}")
    total = sum(int(digit) * weight for digit, weight in zip(first_eight, _WEIGHTS, strict=True))
    return (10 - total % 10) % 10


def is_valid_aba(routing_number: str) -> bool:
    """Return True if ``routing_number`` is 9 ASCII digits with a correct check digit."""
    if not isinstance(routing_number, str) or len(routing_number) != 9 or not _is_ascii_digits(routing_number):
        return False
    return aba_check_digit(routing_number[:8]) == int(routing_number[8])


def aba_problem(routing_number: str) -> str | None:
    """Return why ``routing_number`` is not a valid ABA number, or None when it is."""
    if not isinstance(routing_number, str) or len(routing_number) != 9 or not _is_ascii_digits(routing_number):
        return f"routing number must be 9 digits, got {routing_number!r}"
    expected = aba_check_digit(routing_number[:8])
    if expected != int(routing_number[8]):
        return f"routing number {routing_number} fails the ABA check digit (expected {expected})"
    return None
