"""Append the signed audit checkpoints not yet in FILE to FILE (JSON lines), for an off-box, append-only copy."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.audit import external
from apps.audit.selectors import audit_checkpoints_after
from apps.audit.verification import checkpoint_verifies


class Command(BaseCommand):
    help = (
        "Append every signed checkpoint newer than the last one in FILE to FILE (one JSON object per line; "
        "'-' writes them all to standard output). Only checkpoints whose signature verifies are exported."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, metavar="FILE", help="append-only file, or - for stdout")

    def handle(self, *args, to: str, **options):
        to_stdout = to == "-"
        path = Path(to)
        after = 0
        if not to_stdout and path.exists():
            try:
                already = external.read(path)
            except external.CheckpointFileError as exc:
                raise CommandError(f"{exc}; refusing to append to a file that is not a checkpoint file") from None
            after = max((cp.sequence for cp in already), default=0)
        pending = list(audit_checkpoints_after(sequence=after))
        for cp in pending:
            if not checkpoint_verifies(cp):
                raise CommandError(
                    f"checkpoint {cp.pk} (record {cp.sequence}) does not verify against a trusted key; nothing "
                    "exported. Run verify_audit"
                )
        if to_stdout:
            written = external.append(sys.stdout, pending)
        else:
            with path.open("a", encoding="utf-8") as handle:
                written = external.append(handle, pending)
        last = pending[-1].sequence if pending else after
        (self.stderr if to_stdout else self.stdout).write(
            f"exported {written} checkpoint(s); the copy now covers records up to #{last}"
        )
