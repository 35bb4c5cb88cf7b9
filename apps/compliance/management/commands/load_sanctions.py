"""manage.py load_sanctions --list ofac_sdn|un PATH: load a list file and report what changed."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.compliance.services import PARSERS, sanctions_list_load
from apps.core.errors import DomainError

SHOW_IDS = 20


class Command(BaseCommand):
    help = (
        "Load an official sanctions list file as the list's new version: OFAC sdn.csv (with alt.csv and add.csv "
        "when they sit beside it) or the UN consolidated XML. Reports entries added, removed and changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--list", dest="list_code", required=True, choices=sorted(PARSERS))
        parser.add_argument("path")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, list_code: str, path: str, no_progress: bool, **options):
        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if no_progress:
                return
            if bar is None:
                bar = tqdm(total=total, desc=f"{list_code} entries", unit=" entries", file=self.stderr._out)
            bar.update(done - bar.n)

        try:
            report = sanctions_list_load(list_code=list_code, path=path, progress=progress)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        finally:
            if bar is not None:
                bar.close()
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        sources = " + ".join(report.sources)
        if report.is_noop:
            self.stdout.write(f"{list_code}: {sources} is already the newest load; nothing changed")
            return
        self.stdout.write(
            f"{list_code}: loaded {sources} as load {report.load_id}: {report.entries} entries, {report.names} names; "
            f"added {len(report.added)}, removed {len(report.removed)}, changed {len(report.changed)}, "
            f"unchanged {report.unchanged}"
        )
        for label, ids in (("added", report.added), ("removed", report.removed), ("changed", report.changed)):
            if ids:
                more = f" (+{len(ids) - SHOW_IDS} more)" if len(ids) > SHOW_IDS else ""
                self.stdout.write(f"  {label}: {', '.join(ids[:SHOW_IDS])}{more}")
