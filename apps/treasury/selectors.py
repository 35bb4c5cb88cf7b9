"""Reads for the FX desk: quotes, deals, positions and P&L (marked to the LP's latest prices)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from .errors import QuoteNotFound
from .models import FxDeal, FxDealStatus, FxLimit, FxQuote
from .pricing import major

BOOKED = (FxDealStatus.HEDGE_PENDING, FxDealStatus.HEDGED, FxDealStatus.HEDGE_REJECTED)


def quote_get(*, public_id: str) -> FxQuote:
    try:
        return FxQuote.objects.get(public_id=public_id)
    except FxQuote.DoesNotExist:
        raise QuoteNotFound(f"no FX quote {public_id}", field="quote_id") from None


def deal_list(*, owner_id: str | None = None) -> QuerySet[FxDeal]:
    deals = FxDeal.objects.order_by("-id")
    return deals.filter(owner_id=owner_id) if owner_id else deals


def deals_unsettled(*, hedged_before, hedged_after) -> list[int]:
    """Ids of deals hedged between ``hedged_after`` and ``hedged_before`` with no LP settlement yet (its task was
    lost), oldest first."""
    return list(
        FxDeal.objects.filter(
            status=FxDealStatus.HEDGED,
            hedged_at__lt=hedged_before,
            hedged_at__gte=hedged_after,
            settlement__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def deals_hedge_pending(*, changed_before) -> list[int]:
    """Ids of deals waiting for their hedge since before ``changed_before`` (the sweeper's work), oldest first."""
    return list(
        FxDeal.objects.filter(status=FxDealStatus.HEDGE_PENDING, updated_at__lt=changed_before)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def quote_list() -> QuerySet[FxQuote]:
    return FxQuote.objects.order_by("-id")


def _bank_flows(deal: FxDeal) -> dict[str, int]:
    """What the customer deal does to the bank's position per currency (minor units)."""
    base, quote = deal.pair[:3], deal.pair[3:]
    sign = -1 if deal.side == "BUY" else 1  # the customer buys base: the bank gives base, gets quote
    return {base: sign * deal.base_amount_minor, quote: -sign * deal.quote_amount_minor}


def open_positions() -> dict[str, int]:
    """The desk's net open position per currency: customer deals not (yet) offset by a hedge fill."""
    positions: dict[str, int] = defaultdict(int)
    for deal in FxDeal.objects.filter(status__in=(FxDealStatus.HEDGE_PENDING, FxDealStatus.HEDGE_REJECTED)):
        for currency, minor in _bank_flows(deal).items():
            positions[currency] += minor
    return dict(positions)


def counterparty_exposure(*, owner_id: str, currency: str, on: date | None = None) -> int:
    """A customer's gross deal volume in ``currency`` today (minor units)."""
    day = on or timezone.now().date()
    total = 0
    for deal in FxDeal.objects.filter(owner_id=owner_id, status__in=BOOKED, created_at__date=day):
        total += abs(_bank_flows(deal).get(currency, 0))
    return total


def limit_for(*, kind: str, currency: str, counterparty: str = "") -> FxLimit | None:
    return FxLimit.objects.filter(kind=kind, currency=currency, counterparty=counterparty).first()


def positions_and_pnl(*, prices: dict[str, tuple[Decimal, Decimal, object]]) -> dict:
    """Positions per currency and P&L per pair, in the pair's quote currency.

    Realised: hedged deals, the difference between the customer's rate and the LP's fill. Unrealised: deals not
    hedged, marked to the LP's latest mid.
    """
    pnl: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"realised": Decimal(0), "unrealised": Decimal(0)})
    for deal in FxDeal.objects.filter(status__in=BOOKED):
        base_qty = major(deal.base_amount_minor, deal.pair[:3])
        sign = 1 if deal.side == "BUY" else -1  # the customer pays rate per base he buys: bank earns rate - cost
        if deal.status == FxDealStatus.HEDGED and deal.hedge_price is not None:
            pnl[deal.pair]["realised"] += sign * (deal.rate - deal.hedge_price) * base_qty
        elif deal.pair in prices:
            bid, offer, _ = prices[deal.pair]
            mid = (bid + offer) / 2
            pnl[deal.pair]["unrealised"] += sign * (deal.rate - mid) * base_qty
    return {
        "positions": {c: m for c, m in sorted(open_positions().items())},
        "pnl": {
            pair: {"currency": pair[3:], **{k: format(v.quantize(Decimal("0.01")), "f") for k, v in values.items()}}
            for pair, values in sorted(pnl.items())
        },
    }
