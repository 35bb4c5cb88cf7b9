from decimal import Decimal

import pytest

from apps.core.errors import InvalidAmount, UnknownCurrency
from apps.core.money import Money, active_currencies, format_amount, from_minor_units, to_minor_units


def test_all_active_iso_4217_currencies_with_minor_units():
    currencies = active_currencies()
    assert len(currencies) >= 150
    assert currencies["USD"] == 2 and currencies["JPY"] == 0 and currencies["KWD"] == 3 and currencies["BHD"] == 3
    assert "XAU" not in currencies and "XXX" not in currencies


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        ("10.50", "USD", 1050),
        ("0.01", "USD", 1),
        (7, "JPY", 7),
        (Decimal("1.125"), "KWD", 1125),
        ("5.000", "JPY", 5),
        (" 2.5 ", "EUR", 250),
    ],
)
def test_to_minor_units(value, currency, minor):
    assert to_minor_units(value, currency) == minor
    assert Money.parse(value, currency).minor == minor


@pytest.mark.parametrize("value", [1.5, "1,5", "", "1e2", "Infinity", "--1", None, [], True, "١٢"])
def test_refused_amount_values(value):
    with pytest.raises(InvalidAmount):
        to_minor_units(value, "USD")


def test_precision_beyond_currency_is_refused_never_rounded():
    with pytest.raises(InvalidAmount) as err:
        to_minor_units("0.005", "USD")
    assert err.value.code == "too_many_decimals"


def test_amount_too_large():
    with pytest.raises(InvalidAmount, match="larger"):
        to_minor_units("1" + "0" * 20, "USD")


def test_unknown_currency():
    with pytest.raises(UnknownCurrency):
        to_minor_units("1", "ABC")
    with pytest.raises(UnknownCurrency):
        to_minor_units("1", None)


def test_formatting_keeps_currency_places():
    assert format_amount(-5, "USD") == "-0.05"
    assert format_amount(1500, "JPY") == "1500"
    assert from_minor_units(1, "KWD") == Decimal("0.001")
    assert str(Money(1050, "EUR")) == "10.50 EUR"
