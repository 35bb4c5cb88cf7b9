"""Rotate the key-encryption key and re-wrap every data key under the new version, without downtime."""

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import DomainError
from apps.security import services
from apps.security.keyring import get_keyring
from apps.security.selectors import kek_version_list


class Command(BaseCommand):
    help = (
        "Create a new KEK version (a new key in the HSM labelled <label>.v<N>) and re-wrap existing data keys "
        "in batches. The old version keeps decrypting until every row is re-wrapped."
    )

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--init", action="store_true", help="create KEK version 1 if none exists, then stop")
        mode.add_argument("--if-due", action="store_true", help="rotate only when key_rotation_days have passed")
        mode.add_argument("--rewrap-only", action="store_true", help="finish re-wrapping; no new KEK version")
        mode.add_argument("--status", action="store_true", help="list KEK versions and rows not yet re-wrapped")
        parser.add_argument("--batch-size", type=int, default=services.DEFAULT_BATCH_SIZE)
        parser.add_argument("--actor", default="rotate_keys")

    def handle(self, *args, **options):
        try:
            self._handle(options)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None

    def _handle(self, options):
        actor = options["actor"]
        keyring = get_keyring()
        if options["status"]:
            for row in kek_version_list(kek_id=keyring.kek_id):
                self.stdout.write(f"{row.kek_id}.v{row.version} {row.state} created {row.created_at:%Y-%m-%d}")
            self.stdout.write(f"current version: {keyring.current_version()} ({keyring.provider.kind})")
            self.stdout.write(f"values not under the current version: {services.keys_count_stale()}")
            return
        if options["init"]:
            row = services.kek_init(actor=actor)
            self.stdout.write(f"KEK {row.kek_id}.v{row.version} is {row.state}")
            return
        if options["if_due"]:
            report = services.kek_rotate_if_due(batch_size=options["batch_size"], actor=actor)
            if report is None:
                self.stdout.write("rotation not due; nothing to re-wrap")
                return
        else:
            if not options["rewrap_only"]:
                row = services.kek_rotate(actor=actor)
                self.stdout.write(f"KEK {row.kek_id}.v{row.version} is now ACTIVE")
            report = services.keys_rewrap(batch_size=options["batch_size"])
        self.stdout.write(
            f"re-wrapped {report.rewrapped} value(s) under {report.kek_id}.v{report.to_version}; "
            f"failed {report.failed}; remaining {report.remaining}; retired versions {report.retired_versions or '-'}"
        )
        for line in report.failed_rows:
            self.stderr.write(f"  {line}")
        if report.failed or report.remaining:
            raise CommandError("some values were not re-wrapped; the old KEK version must stay available")
