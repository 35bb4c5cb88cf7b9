"""Verify the audit trail's hash chain and checkpoint signatures. Exit status 0 when intact, 1 when not."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.audit import external
from apps.audit.verification import BATCH_SIZE, audit_chain_verify


class Command(BaseCommand):
    help = (
        "Walk every audit hash chain shard and every signed checkpoint (and those of an exported copy); report "
        "each shard's first broken link and the records no checkpoint covers. Exit 1 if broken, or with --strict "
        "if uncovered records are older or more than the checkpoint pace allows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument(
            "--checkpoints",
            metavar="FILE",
            help="also verify against checkpoints exported with export_audit_checkpoints (an off-box copy)",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="fail (exit 1) when records are not covered by a checkpoint beyond the configured pace",
        )

    def handle(self, *args, batch_size: int, checkpoints: str | None, strict: bool, **options):
        copied = None
        if checkpoints:
            try:
                copied = external.read(Path(checkpoints))
            except OSError as exc:
                raise CommandError(f"--checkpoints {checkpoints}: {exc.strerror}") from None
            except external.CheckpointFileError as exc:
                raise CommandError(str(exc)) from None
        report = audit_chain_verify(
            batch_size=batch_size, progress=lambda n: self.stderr.write(f"... {n} records verified"), external=copied
        )
        summary = (
            f"{report.records_checked} record(s) in {len(report.heads)} chain shard(s) and "
            f"{report.checkpoints_checked} checkpoint(s) checked"
        )
        if copied is not None:
            summary += f", and {report.external_checkpoints_checked} exported checkpoint(s) from {checkpoints}"
        if not report.ok:
            self.stdout.write(self.style.ERROR(f"AUDIT TRAIL BROKEN: {summary}"))
            for problem in report.problems:
                self.stdout.write(f"- [{problem.kind}] {problem}")
            sys.exit(1)
        uncovered = report.uncovered
        if uncovered is not None and uncovered.overdue and strict:
            self.stdout.write(self.style.ERROR(f"AUDIT TRAIL NOT PROVEN: {summary}"))
            self.stdout.write(f"- [checkpoint_missing] {uncovered}")
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(f"audit trail intact: {summary}"))
        if uncovered is not None:
            style = self.style.ERROR if uncovered.overdue else self.style.WARNING
            self.stdout.write(style(f"WARNING: {uncovered}"))
            if uncovered.overdue:
                self.stdout.write(
                    style(
                        "WARNING: the hash chain alone does not stop a database superuser from editing these "
                        "records and recomputing the later hashes; only a signed checkpoint does "
                        "(--strict makes this a failure)"
                    )
                )
