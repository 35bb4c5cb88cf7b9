"""Resend the hedge of every deal still waiting for one (same ClOrdIDs: the LP never fills one twice)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from apps.treasury import services


class Command(BaseCommand):
    help = "Resend pending FX hedges to the LP"

    def handle(self, *args, **options):
        self.stdout.write(f"hedged: {services.hedge_pending(actor='command:fx_hedge_pending')}")
