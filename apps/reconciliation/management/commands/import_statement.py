"""``manage.py import_statement FILE [--account acc_...] [--no-reconcile]``: import a bank statement and reconcile it.

Prints one line per statement and per run (matched, breaks, balance agreement). Exit status 0 on success, 1 when
the file is refused (every problem is printed), 2 for usage errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.errors import DomainError
from apps.reconciliation import services
from apps.reconciliation.errors import StatementUnreadable


class Command(BaseCommand):
    help = "Import a bank statement file (camt.052/053/054, MT940/MT942/MT950) and reconcile it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the statement file")
        parser.add_argument("--account", default=None, help="QENEX account to reconcile against (default: NOSTRO)")
        parser.add_argument("--no-reconcile", action="store_true", help="import only")
        parser.add_argument("--actor", default="command")

    def handle(self, *args: Any, file: str, account: str | None, no_reconcile: bool, actor: str, **options: Any):
        try:
            raw = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: cannot be read: {exc.strerror}", returncode=1) from None
        try:
            result = services.statement_import(raw=raw, actor=actor, account=account)
        except StatementUnreadable as exc:
            for error in exc.errors:
                self.stdout.write(f"{file}: {error}")
            raise CommandError(f"{file}: {exc.message}", returncode=1) from None
        except DomainError as exc:
            raise CommandError(f"{file}: {exc.code}: {exc.message}", returncode=1) from None
        for row in result.statements:
            fresh = "imported" if row in result.created else "already imported"
            self.stdout.write(f"{row.public_id} {row.source_format} {row.statement_id} {row.statement_date}: {fresh}")
        if no_reconcile:
            return
        for row in result.created:
            run = services.reconciliation_run(statement_id=row.public_id, actor=actor)
            self.stdout.write(
                f"{run.public_id}: {run.matched_count}/{run.line_count} matched, {run.break_count} break(s), "
                f"balance {'agrees' if run.balance_agrees else 'n/a' if run.balance_agrees is None else 'DIFFERS'}"
            )
