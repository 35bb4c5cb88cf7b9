"""``manage.py migrate_subject_keys``: move subject-bound encrypted values to their subject's data key."""

from django.core.management.base import BaseCommand

from apps.security.services import subject_keys_migrate


class Command(BaseCommand):
    help = "Re-encrypt values written before per-subject keys under their subject's key (safe to run again)."

    def handle(self, *args, **options):
        moved = subject_keys_migrate()
        self.stdout.write(f"{moved} value(s) moved to subject keys")
