"""``manage.py cards_clearing --file clearing.csv``: capture a clearing file's presentments (see services.clearing).

Prints one line per presentment (line number, RRN, response code, captured and released minor units) and a
summary; exits 1 when any line was not captured (00), so a scheduler notices.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.cards.services import clearing_file_apply


class Command(BaseCommand):
    help = "Capture the authorisations a clearing file presents (CSV: terminal_id,rrn,amount_minor,currency)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", required=True, type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            results = clearing_file_apply(text=options["file"].read_text())
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc))
        for result in results:
            answer = result.answer
            self.stdout.write(
                f"line {result.line} rrn {result.rrn}: {answer.response_code} captured {answer.captured_minor} "
                f"released {answer.released_minor}{' (repeat)' if answer.replayed else ''} {answer.reason}".rstrip()
            )
        failed = sum(1 for r in results if r.answer.response_code != "00")
        self.stdout.write(f"{len(results)} presentments, {len(results) - failed} captured, {failed} refused")
        if failed:
            sys.exit(1)
