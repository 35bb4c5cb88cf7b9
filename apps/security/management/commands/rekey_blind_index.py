"""Recompute every blind index under a new index key, in resumable batches, without downtime."""

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import DomainError
from apps.security import services
from apps.security.blind_index import key_id, rekey_in_progress
from apps.security.selectors import blind_index_rekey_status


class Command(BaseCommand):
    help = (
        "Re-key the blind indexes: with the new key in QENEX_BLIND_INDEX_KEY and the old one in "
        "QENEX_BLIND_INDEX_PREVIOUS_KEY (look-ups match either meanwhile), recompute every stored index under the "
        "new key. Resumable: a stopped run continues where it left off. Remove the previous key when it reports "
        "the re-key complete."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=services.DEFAULT_BATCH_SIZE)
        parser.add_argument("--max-batches", type=int, help="stop after this many batches (resume by running again)")
        parser.add_argument("--restart", action="store_true", help="scan every row again, from the first")
        parser.add_argument("--status", action="store_true", help="show the progress per column; change nothing")
        parser.add_argument("--actor", default="rekey_blind_index")

    def handle(self, *args, **options):
        if options["status"]:
            self._status()
            return
        if not rekey_in_progress():
            self.stderr.write(
                "QENEX_BLIND_INDEX_PREVIOUS_KEY is not set: rows not re-keyed yet are not found by look-ups until "
                "this finishes"
            )
        try:
            report = services.blind_index_rekey(
                batch_size=options["batch_size"], max_batches=options["max_batches"], restart=options["restart"],
                actor=options["actor"],
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stdout.write(
            f"index key {report.key_id}: scanned {report.scanned}, changed {report.changed}, failed {report.failed}; "
            f"columns done {report.columns_done}/{report.columns}"
        )
        for name, counts in report.derived.items():
            self.stdout.write(f"  {name}: {', '.join(f'{k} {v}' for k, v in counts.items())}")
        for line in report.failed_rows:
            self.stderr.write(f"  {line}")
        if report.complete:
            self.stdout.write("re-key complete: QENEX_BLIND_INDEX_PREVIOUS_KEY can be removed")
        elif report.columns_done == report.columns:
            raise CommandError(
                f"{report.failed_total} value(s) could not be read: keep the previous key, fix them and run with "
                "--restart"
            )
        else:
            self.stdout.write("not finished: run again to continue")

    def _status(self):
        rows = blind_index_rekey_status()
        self.stdout.write(f"index key {key_id()}; previous key configured: {'yes' if rekey_in_progress() else 'no'}")
        if not rows:
            self.stdout.write("no re-key to this key has started")
        for row in rows:
            state = "done" if row.completed_at else f"after pk {row.last_pk}" if row.last_pk else "not started"
            self.stdout.write(
                f"{row.model_label}.{row.field_name}: {state}; scanned {row.scanned} changed {row.changed} "
                f"failed {row.failed}"
            )
