"""Unpack an encrypted base backup into an empty data directory: the first step of docs/runbooks/restore.md."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.continuity.backup import BackupError, decrypt_base


class Command(BaseCommand):
    help = (
        "Check BACKUP_DIR's files against its manifest, decrypt base.tar.gpg (key from QENEX_BACKUP_KEY_FILE or "
        "QENEX_BACKUP_KEY) and unpack it into DATA_DIR (new or empty). Needs no database connection."
    )
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("backup_dir")
        parser.add_argument("data_dir")

    def handle(self, *args, backup_dir: str, data_dir: str, **options):
        target = Path(data_dir)
        if target.exists() and any(target.iterdir()):
            raise CommandError(f"{target} is not empty; restore into a new data directory")
        try:
            decrypt_base(Path(backup_dir), target)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"base backup {backup_dir} unpacked into {target}"))
