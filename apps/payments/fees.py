"""The fee schedule: what a payment costs its sender, per rail or per rail and speed.

``QENEX_PAYMENTS_FEES`` lists ``rail=amount`` or ``rail.speed=amount`` (the more specific one wins), amounts in
major units of the payment's currency, e.g. ``sepa=0.20,sepa_inst=0.50,swift=15.00,swift.urgent=25.00``. The
fee is held with the payment and posted as a FEE entry when it settles; a rejected or cancelled payment costs
nothing. An amount the currency cannot express (0.20 in JPY) is refused, never rounded.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from apps.core.money import to_minor_units


def schedule() -> dict[str, str]:
    entries: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in settings.QENEX_PAYMENTS_FEES.split(","))):
        key, sep, amount = item.partition("=")
        if not sep or not key.strip() or not amount.strip():
            raise ImproperlyConfigured(f"QENEX_PAYMENTS_FEES: {item!r} is not RAIL[.SPEED]=AMOUNT")
        entries[key.strip()] = amount.strip()
    return entries


def fee_minor(*, rail: str, speed: str, currency: str) -> int:
    """Return the fee in minor units of ``currency`` (0 when the schedule names neither rail.speed nor rail)."""
    entries = schedule()
    amount = entries.get(f"{rail}.{speed}", entries.get(rail))
    if amount is None:
        return 0
    return to_minor_units(amount, currency, field="fee", allow_zero=True)
