"""Card number helpers: Luhn, brand by BIN range, masking."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.payments.formats.cards import CardBrand, card_brand, is_luhn_valid, luhn_check_digit, mask_pan


@pytest.mark.parametrize(
    "pan",
    ["4111111111111111", "5555555555554444", "2223003122003222", "378282246310005", "6011111111111117", "79927398713"],
)
def test_known_valid_numbers_pass_luhn(pan: str) -> None:
    assert is_luhn_valid(pan)


@pytest.mark.parametrize("pan", ["4111111111111112", "79927398710", "", "4", "41111111111111a1", "４111111111111111"])
def test_invalid_numbers_fail_luhn(pan: str) -> None:
    assert not is_luhn_valid(pan)


def test_luhn_check_digit() -> None:
    assert luhn_check_digit("7992739871") == 3
    assert luhn_check_digit("411111111111111") == 1
    with pytest.raises(ValueError):
        luhn_check_digit("12a")


@settings(max_examples=150)
@given(st.from_regex(r"[0-9]{11,18}", fullmatch=True), st.integers(0, 17), st.integers(1, 9))
def test_any_single_digit_change_breaks_luhn(partial: str, position: int, delta: int) -> None:
    pan = partial + str(luhn_check_digit(partial))
    assert is_luhn_valid(pan)
    position %= len(pan)
    changed = pan[:position] + str((int(pan[position]) + delta) % 10) + pan[position + 1 :]
    assert not is_luhn_valid(changed)


@pytest.mark.parametrize(
    ("pan", "brand"),
    [
        ("4111111111111111", CardBrand.VISA),
        ("4222222222222", CardBrand.VISA),
        ("5105105105105100", CardBrand.MASTERCARD),
        ("5555555555554444", CardBrand.MASTERCARD),
        ("2221000000000009", CardBrand.MASTERCARD),
        ("2720999999999996", CardBrand.MASTERCARD),
        ("378282246310005", CardBrand.AMEX),
        ("341111111111111", CardBrand.AMEX),
        ("6011111111111117", CardBrand.DISCOVER),
        ("6500000000000002", CardBrand.DISCOVER),
        ("2220999999999999", None),  # just below the Mastercard 2-series
        ("2721000000000000", None),  # just above it
        ("5612345678901234", None),
        ("3530111333300000", None),  # JCB is not one of ours
        ("41111111111111", None),  # 14-digit Visa prefix is not a Visa length
        ("37828224631000", None),  # 14-digit Amex prefix
        ("abc", None),
    ],
)
def test_card_brand_by_bin_range(pan: str, brand: CardBrand | None) -> None:
    assert card_brand(pan) == brand


def test_mask_pan_keeps_first_six_and_last_four() -> None:
    assert mask_pan("4111111111111111") == "411111******1111"
    assert mask_pan("378282246310005") == "378282*****0005"
    assert mask_pan("123456789012") == "********9012"
    assert mask_pan("123") == "***"
