"""Write the synthetic labelled history (``apps.fraud.synthetic``) as a CSV for fraud_train / fraud_evaluate."""

from django.core.management.base import BaseCommand

from apps.fraud import synthetic


class Command(BaseCommand):
    help = "Write a synthetic labelled transaction CSV (fixed seed: the same file every run)"

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True)
        parser.add_argument("--customers", type=int, default=1500)
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, out, customers, days, seed, **options):
        rows = synthetic.generate(customers=customers, days=days, seed=seed)
        synthetic.write_csv(out, rows)
        frauds = sum(row["label"] for row in rows)
        self.stdout.write(f"{out}: {len(rows):,} transactions, {frauds:,} frauds ({frauds / len(rows):.2%})")
