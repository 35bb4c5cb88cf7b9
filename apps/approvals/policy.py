"""When a staff operation needs a second pair of eyes.

``QENEX_APPROVAL_THRESHOLD`` (setting or environment variable) is either one amount in major units that
applies to every currency (``10000``) or per-currency amounts with an optional default
(``USD=10000,EUR=9000,JPY=1500000,*=10000``). A posting strictly above the threshold of its currency
needs approval. Unfreezing an account, changing an overdraft limit and manual adjustments always do.
"""

from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_THRESHOLD = Decimal("10000")


def _parse(raw: object) -> dict[str, Decimal]:
    if isinstance(raw, dict):
        items = [(str(k), str(v)) for k, v in raw.items()]
    else:
        text = str(raw).strip()
        items = [tuple(p.split("=", 1)) if "=" in p else ("*", p) for p in text.split(",") if p.strip()]
    thresholds: dict[str, Decimal] = {}
    for currency, amount in items:
        try:
            value = Decimal(str(amount).strip())
        except InvalidOperation:
            raise ImproperlyConfigured(f"QENEX_APPROVAL_THRESHOLD: {amount!r} is not an amount") from None
        if not value.is_finite() or value < 0:
            raise ImproperlyConfigured(f"QENEX_APPROVAL_THRESHOLD: {amount!r} must be zero or more")
        thresholds[currency.strip().upper()] = value
    thresholds.setdefault("*", DEFAULT_THRESHOLD)
    return thresholds


def approval_thresholds() -> dict[str, Decimal]:
    raw = getattr(settings, "QENEX_APPROVAL_THRESHOLD", None)
    if raw is None:
        raw = os.environ.get("QENEX_APPROVAL_THRESHOLD", str(DEFAULT_THRESHOLD))
    return _parse(raw)


def approval_threshold(*, currency: str) -> Decimal:
    thresholds = approval_thresholds()
    return thresholds.get(str(currency).upper(), thresholds["*"])


def posting_needs_approval(*, amount: object, currency: str) -> bool:
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return False  # the posting service refuses the amount with its own error
    return value > approval_threshold(currency=currency)
