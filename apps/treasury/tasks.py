from celery import shared_task

from . import services


@shared_task
def eod_position_report() -> int:
    """The end-of-day FX position report (Celery beat, QENEX_FX_EOD_AT)."""
    return services.eod_position_report().pk


@shared_task
def hedge_pending() -> int:
    """The stuck-hedge sweeper (Celery beat ``treasury-hedge-sweep``, every QENEX_FX_HEDGE_SWEEP_EVERY_SECONDS)."""
    return services.hedge_pending(actor="task:hedge_pending")


@shared_task
def lp_settle(deal_pk: int) -> str:
    """Settle one hedge fill with the LP (the payment and the MT300), queued when the fill is booked; safe twice."""
    settlement = services.lp_settlement_create(deal_pk=deal_pk, actor="task:lp_settle")
    return settlement.status if settlement else ""
