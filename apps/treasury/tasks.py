from celery import shared_task

from . import services


@shared_task
def eod_position_report() -> int:
    """The end-of-day FX position report (Celery beat, QENEX_FX_EOD_AT)."""
    return services.eod_position_report().pk


@shared_task
def hedge_pending() -> int:
    return services.hedge_pending()
