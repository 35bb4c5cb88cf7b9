"""Business days and cut-offs per rail: when a payment can be executed (its value date).

EUR rails follow the TARGET2 calendar (``holidays`` financial calendar ``XECB``: New Year, Good Friday, Easter
Monday, 1 May, 25 and 26 December); USD rails the Federal Reserve's: the US federal holidays, a Sunday holiday
closing the Monday after and a Saturday holiday closing nothing (unlike the federal "observed" Friday). Other
currencies (SWIFT) count weekends only. After the rail's cut-off (``QENEX_PAYMENTS_CUTOFFS``, local time of the
rail's calendar) or on a closed day, the value date is the next business day. SCT Inst runs every day.

``QENEX_PAYMENTS_CALENDARS=false`` opens every rail every day without cut-offs: for sandboxes and the test suite,
whose payments would otherwise wait for the next business day whenever they run after a cut-off or at a weekend.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .models import Rail

TARGET, FED, WEEKENDS, ALWAYS = "TARGET2", "Federal Reserve", "weekends only", "every day"
ZONES = {TARGET: ZoneInfo("Europe/Berlin"), FED: ZoneInfo("America/New_York")}  # TARGET2 runs on CET
_RAIL_CALENDAR = {Rail.SEPA: TARGET, Rail.SEPA_INST: ALWAYS, Rail.ACH: FED, Rail.FEDWIRE: FED}  # SCT Inst: 24/7/365
_CURRENCY_CALENDAR = {"EUR": TARGET, "USD": FED}


def calendar_for(rail: str, currency: str) -> str:
    if not settings.QENEX_PAYMENTS_CALENDARS:
        return ALWAYS
    return _RAIL_CALENDAR.get(rail) or _CURRENCY_CALENDAR.get(currency, WEEKENDS)


@lru_cache(maxsize=64)
def _closed(calendar: str, year: int) -> frozenset[date]:
    if calendar == TARGET:
        return frozenset(holidays.financial_holidays("XECB", years=year))
    if calendar == FED:
        days = set(holidays.US(years=year, observed=False))
        days |= {day + timedelta(days=1) for day in days if day.weekday() == 6}
        return frozenset(days)
    return frozenset()


def is_business_day(day: date, calendar: str) -> bool:
    if calendar == ALWAYS:
        return True
    return day.weekday() < 5 and day not in _closed(calendar, day.year)


def next_business_day(day: date, calendar: str) -> date:
    while not is_business_day(day, calendar):
        day += timedelta(days=1)
    return day


def banking_day_after(now: datetime, calendar: str) -> date:
    """The business day after the day ``now`` falls on in the calendar's time zone.

    An ACH return or notification of change made on one banking day (or on a closed day) settles on the next: its
    batches carry that effective entry date. The network's calendar is a fact, so ``QENEX_PAYMENTS_CALENDARS``
    (which only opens our own rails for the test suite) does not apply; pass the calendar itself.
    """
    day = now.astimezone(ZONES.get(calendar, ZoneInfo("UTC"))).date()
    return next_business_day(day + timedelta(days=1), calendar)


def cutoffs() -> dict[str, time]:
    result: dict[str, time] = {}
    for item in filter(None, (part.strip() for part in settings.QENEX_PAYMENTS_CUTOFFS.split(","))):
        rail, sep, value = item.partition("=")
        try:
            result[rail.strip()] = time.fromisoformat(value.strip())
        except ValueError:
            sep = ""
        if not sep:
            raise ImproperlyConfigured(f"QENEX_PAYMENTS_CUTOFFS: {item!r} is not RAIL=HH:MM")
    return result


def value_date(*, rail: str, currency: str, now: datetime) -> date:
    """The first day the payment can be executed if sent at ``now``: today before the cut-off on a business day."""
    calendar = calendar_for(rail, currency)
    local = now.astimezone(ZONES.get(calendar, ZoneInfo("UTC")))
    day = local.date()
    cutoff = cutoffs().get(rail) if calendar != ALWAYS else None
    if cutoff is not None and local.time() >= cutoff:
        day += timedelta(days=1)
    return next_business_day(day, calendar)


def today(*, rail: str, currency: str, now: datetime) -> date:
    """The current day on the rail's calendar (its local time zone)."""
    return now.astimezone(ZONES.get(calendar_for(rail, currency), ZoneInfo("UTC"))).date()


def is_future_dated(*, rail: str, currency: str, value_date: date | None, now: datetime) -> bool:
    """A payment whose value date has not come yet on its rail waits (warehoused) until that day.

    ACH is the exception: its file carries the effective entry date and the operator settles on that day.
    """
    return value_date is not None and rail != Rail.ACH and value_date > today(rail=rail, currency=currency, now=now)
