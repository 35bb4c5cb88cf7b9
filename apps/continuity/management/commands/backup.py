"""Take an encrypted PostgreSQL base backup of the configured database (see docs/runbooks/restore.md)."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.continuity.backup import BackupError, take_base_backup


class Command(BaseCommand):
    help = (
        "pg_basebackup of the DATABASE_URL server, streamed through gpg (AES-256, key from QENEX_BACKUP_KEY_FILE "
        "or QENEX_BACKUP_KEY) into DEST/qenex-<UTC time>/base.tar.gpg with a manifest.json. WAL is archived "
        "separately by the server's archive_command (scripts/wal_archive.sh)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dest",
            default=os.environ.get("QENEX_BACKUP_DIR", ""),
            help="directory the backup goes under (default: QENEX_BACKUP_DIR)",
        )

    def handle(self, *args, dest: str, **options):
        database = settings.DATABASES["default"]
        if "postgresql" not in database["ENGINE"]:
            raise CommandError("backup needs PostgreSQL (DATABASE_URL=postgres://...); SQLite is a development store")
        if not dest:
            raise CommandError("give --dest DIR or set QENEX_BACKUP_DIR")
        try:
            target, manifest = take_base_backup(Path(dest), database=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"backup {manifest.label} in {target}: {manifest.files[0]['bytes']} bytes encrypted, "
                f"WAL {manifest.wal_start}..{manifest.wal_end} (timeline {manifest.timeline})"
            )
        )
