"""``manage.py close_period --day 2026-11-30`` or ``--month 2026-11``: freeze a past period's trial balance."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import DomainError
from apps.core.money import format_amount
from apps.ledger.closing import period_close
from apps.ledger.models import PeriodGranularity


class Command(BaseCommand):
    help = "Close a past day or month (UTC): store its trial balance and refuse postings dated into it from now on."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--day", type=date.fromisoformat, help="YYYY-MM-DD")
        which.add_argument("--month", help="YYYY-MM")
        parser.add_argument("--actor", default="close_period", help="who closes (recorded in the audit trail)")

    def handle(self, *args, **options):
        if options["day"] is not None:
            granularity, day = PeriodGranularity.DAY, options["day"]
        else:
            try:
                day = date.fromisoformat(f"{options['month']}-01")
            except ValueError as exc:
                raise CommandError(f"--month must be YYYY-MM, not {options['month']!r}") from exc
            granularity = PeriodGranularity.MONTH
        try:
            result = period_close(granularity=granularity, day=day, actor=options["actor"])
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        close = result.close
        verb = "already closed" if result.replayed else "closed"
        self.stdout.write(
            f"{verb}: {close.granularity} {close.period_start:%Y-%m-%d} .. {close.period_end:%Y-%m-%d}"
            f" (end exclusive, UTC), {close.accounts:,} account balances"
        )
        for row in close.currencies.order_by("currency"):
            self.stdout.write(
                f"  {row.currency}: debit {format_amount(row.debit_minor, row.currency)}"
                f" = credit {format_amount(row.credit_minor, row.currency)} over {row.accounts:,} accounts"
            )
