"""``manage.py generate_history``: fill an empty ledger with synthetic history (see apps.ledger.history)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.ledger.errors import LedgerNotEmpty
from apps.ledger.history import SIZES, generate_history


class Command(BaseCommand):
    help = "Fill an EMPTY ledger with synthetic accounts, entries and postings, fast (PostgreSQL COPY)."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="small", help="preset (default: small)")
        parser.add_argument("--accounts", type=int, help="customer accounts (overrides the preset)")
        parser.add_argument("--postings", type=int, help="postings, two per entry (overrides the preset)")
        parser.add_argument("--years", type=float, help="years of history before the last midnight UTC")
        parser.add_argument("--seed", type=int, default=0, help="random seed for amounts and accounts (default 0)")

    def handle(self, *args, **options):
        from django.db import connection

        if connection.vendor != "postgresql":
            raise CommandError("generate_history needs PostgreSQL (it writes with COPY)")
        preset = SIZES[options["size"]]
        accounts = options["accounts"] or preset.accounts
        postings = options["postings"] or preset.postings
        years = options["years"] or preset.years
        self.stdout.write(f"generating {postings:,} postings on {accounts:,} accounts over {years:g} years")
        with _progress(postings, self.stdout) as advance:
            try:
                counts = generate_history(
                    accounts=accounts, postings=postings, years=years, seed=options["seed"], progress=advance
                )
            except LedgerNotEmpty as exc:
                raise CommandError(exc.message) from exc
        self.stdout.write(
            f"done: {counts.accounts:,} accounts, {counts.entries:,} entries, {counts.postings:,} postings"
            f" from {counts.first_posted_at} to {counts.last_posted_at} in {counts.seconds:.1f} s"
            f" ({counts.postings / max(counts.seconds, 0.001):,.0f} postings/s)"
        )


class _progress:
    """A tqdm bar when tqdm is installed, else a line every 10%."""

    def __init__(self, total: int, out):
        self.total, self.out, self.done, self.next_report = total, out, 0, total / 10

    def __enter__(self):
        try:
            from tqdm import tqdm
        except ImportError:
            self.bar = None
        else:
            self.bar = tqdm(total=self.total, unit="postings", unit_scale=True)
        return self.advance

    def advance(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.done >= self.next_report:
            self.out.write(f"  {self.done:,} / {self.total:,} postings ({100 * self.done / self.total:.0f}%)")
            self.next_report += self.total / 10

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()
        return False
