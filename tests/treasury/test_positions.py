"""Positions and P&L from recorded deals, marked to given LP prices (no LP process)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.treasury.models import FxDeal, FxDealStatus, FxQuote
from apps.treasury.selectors import open_positions, positions_and_pnl

pytestmark = pytest.mark.django_db


def _deal(side: str, base_minor: int, rate: str, status: str, hedge_price: str | None = None) -> FxDeal:
    quote_minor = int(Decimal(base_minor) * Decimal(rate))
    quote = FxQuote.objects.create(
        owner_id="c1", pair="EURUSD", side=side, from_account="a", to_account="b", base_amount_minor=base_minor,
        quote_amount_minor=quote_minor, rate=Decimal(rate), lp_rate=Decimal(rate), markup_bp=20,
        expires_at=timezone.now() + timedelta(seconds=10), status="ACCEPTED",
    )  # fmt: skip
    return FxDeal.objects.create(
        quote=quote, owner_id="c1", pair="EURUSD", side=side, base_amount_minor=base_minor,
        quote_amount_minor=quote_minor, rate=Decimal(rate), status=status,
        hedge_price=Decimal(hedge_price) if hedge_price else None,
    )  # fmt: skip


def test_realised_on_hedged_deals_and_unrealised_marked_to_mid():
    # The customer sold 1,000 EUR at 1.0800; we hedged (sold to the LP) at 1.0830: 1,000 x 0.0030 = +3.00 USD realised.
    _deal("SELL", 100000, "1.0800", FxDealStatus.HEDGED, "1.0830")
    # The customer bought 500 EUR at 1.0900, not hedged yet; mid 1.0850: 500 x 0.0050 = +2.50 USD unrealised.
    _deal("BUY", 50000, "1.0900", FxDealStatus.HEDGE_PENDING)
    book = positions_and_pnl(prices={"EURUSD": (Decimal("1.0849"), Decimal("1.0851"), None)})
    assert book["pnl"]["EURUSD"] == {"currency": "USD", "realised": "3.00", "unrealised": "2.50"}
    assert open_positions() == {"EUR": -50000, "USD": 54500}
