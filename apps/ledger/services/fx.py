"""FX rates: recorded, never edited; a newer one supersedes. (Reading the rate in force: selectors.)"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import InvalidInput
from apps.core.money import currency_exponent, to_decimal

from ..models import FxRate


def fx_rate_set(
    *,
    base: str,
    quote: str,
    rate: object,
    valid_from: datetime | None = None,
    source: str = "",
    actor: str = "system",
) -> FxRate:
    """Record a rate (1 base = ``rate`` quote). Rates are never edited; a newer one supersedes."""
    currency_exponent(base, field="base_currency")
    currency_exponent(quote, field="quote_currency")
    if base == quote:
        raise InvalidInput("base and quote currency must differ", field="quote_currency")
    value = to_decimal(rate, field="rate")
    if value <= 0:
        raise InvalidInput("rate must be positive", field="rate")
    # The size check comes first: quantizing a rate with more than 28 digits would raise InvalidOperation.
    if value >= Decimal("1e16") or value != value.quantize(Decimal("1e-12")):
        raise InvalidInput("rate allows at most 16 integer and 12 decimal digits", field="rate")
    with transaction.atomic(durable=True):
        fx_rate = FxRate.objects.create(
            base_currency=base, quote_currency=quote, rate=value, valid_from=valid_from or timezone.now(), source=source
        )
        audit_record(
            action="ledger.fx_rate_set",
            object_type="fx_rate",
            object_id=str(fx_rate.pk),
            after={
                "base_currency": base,
                "quote_currency": quote,
                "rate": format(value.normalize(), "f"),
                "valid_from": fx_rate.valid_from,
                "source": source,
            },
            actor=actor,
        )
        return fx_rate
