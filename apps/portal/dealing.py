"""The FX dealing page: the LP's live prices, recent quotes and deals, the desk's positions and P&L.

The page polls ``dealing/live/`` (JSON) every two seconds; prices are the ones the FIX session streams.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.treasury import selectors as treasury
from apps.treasury.fix.client import lp_client

from .views import staff_permission

VIEW = "treasury.view_fxdeal"


def _prices() -> dict[str, dict[str, str]]:
    return {
        pair: {"bid": format(bid, "f"), "offer": format(offer, "f"), "at": at.isoformat()}
        for pair, (bid, offer, at) in sorted(lp_client().prices().items())
    }


@require_GET
@staff_permission(VIEW)
def dealing(request):
    return render(
        request,
        "portal/dealing.html",
        {
            "quotes": treasury.quote_list()[:20],
            "deals": treasury.deal_list().select_related("quote")[:20],
            "book": treasury.positions_and_pnl(prices=lp_client().prices()),
            "prices": _prices(),
        },
    )


@require_GET
@staff_permission(VIEW)
def dealing_live(request):
    deals = [
        {"id": d.public_id, "pair": d.pair, "side": d.side, "rate": format(d.rate.normalize(), "f"), "status": d.status}
        for d in treasury.deal_list()[:20]
    ]
    return JsonResponse(
        {"prices": _prices(), "deals": deals, **treasury.positions_and_pnl(prices=lp_client().prices())}
    )
