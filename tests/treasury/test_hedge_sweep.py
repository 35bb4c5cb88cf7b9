"""The stuck-hedge sweeper against the real LP process: a deal whose process died with its hedge order out is
finished exactly once, by asking the LP for the order's status (FIX OrderStatusRequest) first."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings

from apps.audit.models import AuditRecord
from apps.treasury import services, tasks
from apps.treasury.fix.client import lp_client_reset
from apps.treasury.models import FxDeal, FxDealStatus
from tests.factories import funded_account

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _deal_left_pending(fix_lp, settings, fault: str) -> FxDeal:
    """Accept a quote whose hedge report does not come back while the accept waits, then drop this process's
    FIX session and its memory of the order, as the death of the process that sent it would."""
    eur = funded_account("1000.00", "EUR", owner_id="cust-sweep")
    usd = funded_account("0.00", "USD", owner_id="cust-sweep")
    quote = services.quote_create(
        pair="EURUSD", side="SELL", amount="300.00", amount_currency="EUR", from_account=eur.public_id,
        to_account=usd.public_id,
    )  # fmt: skip
    assert fix_lp.command(fault) == "ok"
    settings.QENEX_FX_ORDER_TIMEOUT_SECONDS = 0.3
    deal = services.quote_accept(quote_id=quote.public_id).deal
    assert deal.status == FxDealStatus.HEDGE_PENDING and len(deal.ledger_transactions) == 2
    lp_client_reset()
    settings.QENEX_FX_ORDER_TIMEOUT_SECONDS = 5
    return deal


def _hedged_updates(deal: FxDeal) -> int:
    return AuditRecord.objects.filter(
        action="treasury.fx_deal_updated", object_id=deal.public_id, after__status=FxDealStatus.HEDGED
    ).count()


def _lp_report(fix_lp, deal: FxDeal) -> dict:
    return json.loads((fix_lp.state_dir / "lp-orders.json").read_text())[deal.cl_ord_id]


def test_sweeper_records_the_fill_the_lp_booked_after_the_process_died(fix_lp, settings):
    deal = _deal_left_pending(fix_lp, settings, "delay 1500")  # the LP fills 1.5 s later, nobody is listening
    deadline = time.monotonic() + 10
    while fix_lp.fills() == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert fix_lp.fills() == 1 and fix_lp.command("delay 0") == "ok"

    assert tasks.hedge_pending.apply().get() == 0  # within QENEX_FX_HEDGE_SWEEP_AFTER_SECONDS: a live accept's
    assert FxDeal.objects.get(pk=deal.pk).status == FxDealStatus.HEDGE_PENDING

    settings.QENEX_FX_HEDGE_SWEEP_AFTER_SECONDS = 0
    assert tasks.hedge_pending.apply().get() == 1
    swept = FxDeal.objects.get(pk=deal.pk)
    assert swept.status == FxDealStatus.HEDGED
    assert swept.hedge_exec_id == _lp_report(fix_lp, deal)["17"]  # the LP's fill, as it booked it: not a new one
    assert fix_lp.fills() == 1 and _hedged_updates(deal) == 1

    assert tasks.hedge_pending.apply().get() == 0  # swept again: nothing left to do, nothing recorded twice
    assert fix_lp.fills() == 1 and _hedged_updates(deal) == 1


def test_sweeper_resends_an_order_the_lp_never_received_with_the_same_clordid(fix_lp, settings):
    deal = _deal_left_pending(fix_lp, settings, "lose-next-order")
    assert fix_lp.fills() == 0
    hedged = services.hedge_pending(older_than=timedelta(0))
    assert hedged == 1 and fix_lp.fills() == 1
    swept = FxDeal.objects.get(pk=deal.pk)
    assert swept.status == FxDealStatus.HEDGED and swept.hedge_exec_id == _lp_report(fix_lp, deal)["17"]
    assert _hedged_updates(deal) == 1


def test_the_sweeper_is_a_beat_entry():
    entry = django_settings.CELERY_BEAT_SCHEDULE["treasury-hedge-sweep"]
    assert entry["task"] == tasks.hedge_pending.name
