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
