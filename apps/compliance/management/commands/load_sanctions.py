"""manage.py load_sanctions --list ofac_sdn|un PATH: load a list file, report what changed, rescreen against it.

After a load that added or changed entries, customers and HELD payments are rescreened against those entries
only, in a Celery task (``compliance.rescreen``); the command follows its progress unless ``--no-wait``.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.compliance.alert_models import RescreenStatus
from apps.compliance.alert_selectors import rescreen_get
from apps.compliance.alerts import rescreen_start
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
        parser.add_argument("--no-rescreen", action="store_true", help="do not rescreen customers and payments")
        parser.add_argument("--no-wait", action="store_true", help="queue the rescreen and return at once")
        parser.add_argument("--wait-seconds", type=float, default=600.0, help="how long to follow the rescreen")

    def handle(self, *args, list_code: str, path: str, no_progress: bool, **options):
        report = self._load(list_code, path, no_progress)
        if report is None or options["no_rescreen"]:
            return
        try:
            run = rescreen_start(load_id=report.load_id, actor="load_sanctions")
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if run is None:
            self.stdout.write("rescreen: the load added or changed no entry; nothing to rescreen")
            return
        self.stdout.write(f"rescreen {run.public_id}: {len(run.entry_ids)} entries, {run.total} subjects queued")
        if not options["no_wait"]:
            self._follow(run.public_id, no_progress, options["wait_seconds"])

    def _follow(self, run_id: str, no_progress: bool, wait_seconds: float) -> None:
        run = rescreen_get(public_id=run_id)
        bar = None if no_progress else tqdm(total=run.total, desc="rescreen", unit=" subjects", file=self.stderr._out)
        deadline = time.monotonic() + wait_seconds
        try:
            while True:
                run = rescreen_get(public_id=run_id)
                if bar is not None:
                    bar.total = max(bar.total or 0, run.total, run.done)
                    bar.update(run.done - bar.n)
                if run.status in (RescreenStatus.DONE, RescreenStatus.FAILED) or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        finally:
            if bar is not None:
                bar.close()
        if run.status == RescreenStatus.FAILED:
            raise CommandError(f"rescreen {run_id} failed: {run.error}")
        if run.status != RescreenStatus.DONE:
            self.stdout.write(f"rescreen {run_id}: still {run.status} ({run.done}/{run.total}); it goes on in Celery")
            return
        self.stdout.write(f"rescreen {run_id}: {run.done} subjects screened, {run.alerts_raised} new alerts")

    def _load(self, list_code: str, path: str, no_progress: bool):
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
            return None
        self.stdout.write(
            f"{list_code}: loaded {sources} as load {report.load_id}: {report.entries} entries, {report.names} names; "
            f"added {len(report.added)}, removed {len(report.removed)}, changed {len(report.changed)}, "
            f"unchanged {report.unchanged}"
        )
        for label, ids in (("added", report.added), ("removed", report.removed), ("changed", report.changed)):
            if ids:
                more = f" (+{len(ids) - SHOW_IDS} more)" if len(ids) > SHOW_IDS else ""
                self.stdout.write(f"  {label}: {', '.join(ids[:SHOW_IDS])}{more}")
        return report
