"""``manage.py execute_due_erasures``: what the daily Celery beat job does, on demand."""

from django.core.management.base import BaseCommand

from apps.privacy.services import erasures_execute_due


class Command(BaseCommand):
    help = "Execute approved erasures whose retention has ended and that no legal hold blocks."

    def handle(self, *args, **options):
        done = erasures_execute_due(actor="cli")
        self.stdout.write(f"{len(done)} erasure(s) executed" + (f": {' '.join(done)}" if done else ""))
