"""Write the bank's own transactions with analysts' labels as a labelled CSV for fraud_train / fraud_evaluate.

    manage.py fraud_export --out F [--since D] [--until D]

Defaults: the last 90 days up to now. The rows are what inline scoring reads as history (payment orders with their
device, money-out ledger entries), label 1 where an analyst marked the transaction fraud
(``apps.fraud.selectors.labelled_history``): the labels of the review queue feed the next training this way.
Rows of customers whose processing is restricted or who were erased are not written (apps.privacy's one check).
"""

from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.fraud.dataset import write_rows
from apps.fraud.selectors import history_rows_permitted, labelled_history

from ._common import day, left_out_note


def _start_of(value: str) -> datetime:
    found = day(value)
    return datetime(found.year, found.month, found.day, tzinfo=UTC)


class Command(BaseCommand):
    help = "Write the bank's transactions and fraud labels as a labelled CSV (the next training's input)"

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True)
        parser.add_argument("--since", help="first day (YYYY-MM-DD, UTC); default 90 days ago")
        parser.add_argument("--until", help="last day (YYYY-MM-DD, UTC), included; default now")

    def handle(self, *args, out, since, until, **options):
        end = _start_of(until) + timedelta(days=1) if until else timezone.now() + timedelta(seconds=1)
        start = _start_of(since) if since else end - timedelta(days=90)
        rows = labelled_history(since=start, until=end)
        permitted = history_rows_permitted(rows=rows)
        write_rows(out, permitted)
        frauds = sum(row["label"] for row in permitted)
        note = f"; {left_out_note(len(rows) - len(permitted))}" if len(permitted) < len(rows) else ""
        self.stdout.write(f"{out}: {len(permitted):,} transactions, {frauds:,} labelled fraud{note}")
