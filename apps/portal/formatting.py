"""How the portal writes money and time: one place, so every page (and the live updates) agree.

Amounts: integer minor units in, ``1,234,567.89 USD`` out (thousands separators, the currency's own number of
decimals, never a float on the way). Times: in the portal's time zone (``TIME_ZONE`` unless
``QENEX_PORTAL_TIME_ZONE`` is set), always printed with the zone's abbreviation so nobody guesses.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from apps.core.money import currency_exponent, from_minor_units


def portal_time_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(getattr(settings, "QENEX_PORTAL_TIME_ZONE", None) or settings.TIME_ZONE)


def amount_text(minor: int | None, currency: str) -> str:
    """``123456789, "USD"`` → ``"1,234,567.89"`` (no currency code)."""
    if minor is None:
        return "—"
    exponent = currency_exponent(currency)
    return f"{from_minor_units(minor, currency):,.{exponent}f}"


def money_text(minor: int | None, currency: str) -> str:
    """``123456789, "USD"`` → ``"1,234,567.89 USD"``."""
    if minor is None:
        return "—"
    return f"{amount_text(minor, currency)} {currency}"


def time_text(value: datetime | None) -> str:
    """An aware datetime in the portal's zone: ``2026-12-02 07:30:05 UTC``."""
    if value is None:
        return "—"
    local = timezone.localtime(value, portal_time_zone())
    return local.strftime("%Y-%m-%d %H:%M:%S ") + (local.tzname() or "")


def today_start(now: datetime | None = None) -> datetime:
    """Midnight of today in the portal's zone (what "today" means on the dashboard)."""
    local = timezone.localtime(now or timezone.now(), portal_time_zone())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
