"""US dollars for FinCEN: cash and balances in other currencies converted at the ledger's FX rate of the day.

FinCEN reports are in US dollars, and the CTR threshold (more than USD 10,000 of cash in, or out, per customer per
business day) counts cash in every currency. The rule, in one place:

- **Rate**: the ledger's rate (``apps.ledger.selectors.fx_rate_current``) in force at the *end* of the business
  day in ``TIME_ZONE``: the last rate published that day, or the one still in force from before. A stored
  ``CUR/USD`` rate multiplies; with only ``USD/CUR`` stored, its inverse divides (exactly).
- **Arithmetic**: integers of minor units and exact fractions (``fractions.Fraction`` of the stored decimal rate),
  no floats, no intermediate rounding. A day's total in one currency is converted once (not transaction by
  transaction), so splitting cash into many small deposits cannot shed cents.
- **Rounding**: once, up to the next US cent (ceiling). A reporting rule, unlike the ledger's booking rule (which
  floors toward the bank, ``apps.ledger.conversion``): rounding must never carry a day below the threshold, and
  FinCEN's whole-dollar amounts round up too (``fincen.whole_dollars``).
- **Aggregation**: ``cash_totals_usd`` adds one customer's cash of a day, every account and every currency, into
  US cents per direction. The CTR (``reports.services.cash_days_over_threshold``) and the monitoring rule
  ``cash_over_threshold`` (``monitoring.rules``) both call it, so an alert and a CTR agree on the same day.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.conf import settings

from apps.core.money import currency_exponent, from_minor_units

USD = "USD"


class NoUsdRate(LookupError):
    """The ledger has no rate between a currency and USD in force on the day."""


@dataclass(frozen=True)
class UsdRate:
    currency: str
    usd_per_unit: Fraction  # one major unit of ``currency`` in US dollars
    stored: str  # the ledger rate it comes from, e.g. "EUR/USD 1.0850 from 2026-12-01T09:00:00+00:00"


def end_of_day(day: date) -> datetime:
    """The last instant of ``day`` in the bank's time zone (the instant whose rate in force is the day's rate)."""
    start = datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
    return start + timedelta(days=1) - timedelta(microseconds=1)


def usd_rate_of_day(currency: str, day: date) -> UsdRate:
    """The ledger's rate of ``day`` from ``currency`` to USD; raises ``NoUsdRate`` when none is in force."""
    from apps.ledger.errors import FxRateNotFound
    from apps.ledger.selectors import fx_rate_current

    if currency == USD:
        return UsdRate(USD, Fraction(1), "USD")
    at = end_of_day(day)
    try:
        rate = fx_rate_current(base=currency, quote=USD, at=at)
        value = Fraction(rate.rate)
    except FxRateNotFound:
        try:
            rate = fx_rate_current(base=USD, quote=currency, at=at)
        except FxRateNotFound:
            raise NoUsdRate(f"no {currency}/USD rate in force on {day}") from None
        value = 1 / Fraction(rate.rate)
    return UsdRate(
        currency,
        value,
        f"{rate.base_currency}/{rate.quote_currency} {rate.rate.normalize()} from {rate.valid_from.isoformat()}",
    )


def usd_minor(amount_minor: int, rate: UsdRate) -> int:
    """``amount_minor`` of ``rate.currency`` in US cents: exact, then rounded up to the cent."""
    scale = Fraction(10) ** (currency_exponent(USD) - currency_exponent(rate.currency))
    return math.ceil(Fraction(amount_minor) * scale * rate.usd_per_unit)


def rates_of_day(currencies: Iterable[str], day: date) -> tuple[dict[str, UsdRate], list[str]]:
    """The day's USD rate of each currency, and the currencies with none in force (sorted)."""
    rates: dict[str, UsdRate] = {}
    missing = []
    for currency in sorted(set(currencies)):
        try:
            rates[currency] = usd_rate_of_day(currency, day)
        except NoUsdRate:
            missing.append(currency)
    return rates, missing


@dataclass(frozen=True)
class CashTotals:
    """Cash of one customer and day: US cents per direction ("in", "out") of what had a rate, and the rest."""

    usd_minor: dict[str, int]
    # Per foreign currency, what was counted: {"EUR": {"in": "6000.00", "out": "0", "usd_in": "6510.00",
    # "usd_out": "0", "rate": "EUR/USD 1.085 from ..."}}; USD itself is not listed.
    by_currency: dict[str, dict[str, str]] = field(default_factory=dict)
    # (currency, direction) -> minor units of that currency, for currencies with no USD rate that day: not in usd_minor
    unconverted: dict[tuple[str, str], int] = field(default_factory=dict)


def cash_totals_usd(moves: Iterable, rates: dict[str, UsdRate]) -> CashTotals:
    """Add up ``moves`` (each with ``currency``, ``direction``, ``amount_minor``) per direction in US cents: each
    currency's total converted once at its rate in ``rates`` (``usd_minor``), then the currencies added."""
    native: dict[tuple[str, str], int] = {}
    for m in moves:
        native[(m.currency, m.direction)] = native.get((m.currency, m.direction), 0) + m.amount_minor
    totals = {"in": 0, "out": 0}
    by_currency: dict[str, dict[str, str]] = {}
    unconverted: dict[tuple[str, str], int] = {}
    for (currency, direction), minor in sorted(native.items()):
        rate = rates.get(currency)
        if rate is None:
            unconverted[(currency, direction)] = minor
            continue
        converted = usd_minor(minor, rate)
        totals[direction] += converted
        if currency != USD:
            row = by_currency.setdefault(currency, {"in": "0", "out": "0", "usd_in": "0", "usd_out": "0"})
            row[direction] = str(from_minor_units(minor, currency))
            row[f"usd_{direction}"] = str(from_minor_units(converted, USD))
            row["rate"] = rate.stored
    return CashTotals(usd_minor=totals, by_currency=by_currency, unconverted=unconverted)
