"""Customer pricing without the LP: markup direction and rounding toward the bank."""

from __future__ import annotations

from decimal import Decimal

from apps.treasury.pricing import customer_rate, deal_amounts


def test_markup_is_against_the_customer_on_both_sides():
    buy = customer_rate(side="BUY", lp_bid=Decimal("1.0849"), lp_offer=Decimal("1.0851"), markup_bp=20)
    sell = customer_rate(side="SELL", lp_bid=Decimal("1.0849"), lp_offer=Decimal("1.0851"), markup_bp=20)
    assert buy == Decimal("1.08727020") and buy > Decimal("1.0851")
    assert sell == Decimal("1.08273020") and sell < Decimal("1.0849")


def test_amount_in_base_rounds_the_quote_leg_for_the_bank():
    # Buying 100.01 EUR at 1.23456789 costs 123.4691... USD: the customer pays the ceiling.
    assert deal_amounts(pair="EURUSD", side="BUY", rate=Decimal("1.23456789"), amount_minor=10001,
                        amount_currency="EUR") == (10001, 12347)  # fmt: skip
    # Selling the same gets the floor.
    assert deal_amounts(pair="EURUSD", side="SELL", rate=Decimal("1.23456789"), amount_minor=10001,
                        amount_currency="EUR") == (10001, 12346)  # fmt: skip


def test_amount_in_quote_currency_and_zero_decimal_currencies():
    # 1,000 JPY buys floor(1000/150.02 * 100) cents of USD.
    assert deal_amounts(pair="USDJPY", side="BUY", rate=Decimal("150.02"), amount_minor=1000,
                        amount_currency="JPY") == (666, 1000)  # fmt: skip
    assert deal_amounts(pair="USDJPY", side="SELL", rate=Decimal("150.02"), amount_minor=1000,
                        amount_currency="JPY") == (667, 1000)  # fmt: skip
