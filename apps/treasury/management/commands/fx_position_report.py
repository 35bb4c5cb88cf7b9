"""Record and print today's FX positions and P&L, marked to the LP (the end-of-day report)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from apps.treasury import services


class Command(BaseCommand):
    help = "Record and print today's FX positions and P&L (marked to the LP's prices)"

    def handle(self, *args, **options):
        report = services.eod_position_report(actor="command:fx_position_report")
        self.stdout.write(json.dumps({"business_date": str(report.business_date), **report.report}, indent=2))
