"""Check a database (a restored copy, a promoted replica) before it serves: ledger rules, then the audit chain."""

from __future__ import annotations

import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand

from apps.continuity.selectors import ledger_consistency


class Command(BaseCommand):
    help = (
        "Check the database DATABASE_URL names: every currency sums to zero, cached balances equal their "
        "postings, every entry is balanced and audited, then run verify_audit. Prints the last posting time "
        "(compare it with the recovery target). Exit 1 when any check fails."
    )

    def add_arguments(self, parser):
        parser.add_argument("--skip-audit", action="store_true", help="ledger rules only, no verify_audit")

    def handle(self, *args, skip_audit: bool, **options):
        report = ledger_consistency()
        self.stdout.write(
            f"{report.database}: {report.entries} entries, {report.postings} postings, "
            f"last posted at {report.last_posted_at.isoformat() if report.last_posted_at else '-'}"
        )
        if not report.ok:
            self.stdout.write(self.style.ERROR("LEDGER INCONSISTENT"))
            for rule, rows in report.violations.items():
                self.stdout.write(f"- [{rule}] {rows}")
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("ledger consistent: every currency sums to zero, balances = postings"))
        if not skip_audit:
            # verify_audit exits 1 itself (SystemExit propagates) when the chain or a checkpoint is broken.
            call_command("verify_audit", stdout=self.stdout, stderr=self.stderr)
