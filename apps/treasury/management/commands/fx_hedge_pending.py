"""Finish every deal still waiting for its hedge now: ask the LP for the order's status, record the fill or resend
the order (same ClOrdID: the LP never fills one twice). The beat task ``treasury-hedge-sweep`` does the same for
deals pending longer than QENEX_FX_HEDGE_SWEEP_AFTER_SECONDS."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand

from apps.treasury import services


class Command(BaseCommand):
    help = "Recover pending FX hedges (order status, then record the fill or resend)"

    def handle(self, *args, **options):
        hedged = services.hedge_pending(actor="command:fx_hedge_pending", older_than=timedelta(0))
        self.stdout.write(f"hedged: {hedged}")
