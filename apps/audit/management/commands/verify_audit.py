"""Verify the audit trail's hash chain and checkpoint signatures. Exit status 0 when intact, 1 when not."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from apps.audit.verification import BATCH_SIZE, audit_chain_verify


class Command(BaseCommand):
    help = "Walk the audit hash chain and every signed checkpoint; report the first broken link. Exit 1 if broken."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args, batch_size: int, **options):
        report = audit_chain_verify(
            batch_size=batch_size, progress=lambda n: self.stderr.write(f"... {n} records verified")
        )
        summary = (
            f"{report.records_checked} record(s) up to #{report.head_sequence} and "
            f"{report.checkpoints_checked} checkpoint(s) checked"
        )
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"audit trail intact: {summary}"))
            return
        self.stdout.write(self.style.ERROR(f"AUDIT TRAIL BROKEN: {summary}"))
        for problem in report.problems:
            self.stdout.write(f"- [{problem.kind}] {problem}")
        sys.exit(1)
