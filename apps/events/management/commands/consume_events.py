"""``manage.py consume_events``: read the event topic with de-duplication on event id (prints each new event)."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.events.consumer import consume


class Command(BaseCommand):
    help = "Consume the Kafka event topic, handling each event id once per --name (prints new events as JSON lines)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="consumer name (Kafka group id and de-duplication key)")
        parser.add_argument("--bootstrap", default=None)
        parser.add_argument("--topic", default=None)
        parser.add_argument("--max-messages", type=int, default=None)
        parser.add_argument("--idle-timeout", type=float, default=5.0, help="stop after this long with no message")

    def handle(self, *args, **options):
        bootstrap = options["bootstrap"] or settings.QENEX_KAFKA_BOOTSTRAP
        if not bootstrap:
            raise CommandError("no Kafka configured: set QENEX_KAFKA_BOOTSTRAP or pass --bootstrap")
        handled, skipped = consume(
            bootstrap=bootstrap,
            topic=options["topic"] or settings.QENEX_KAFKA_TOPIC,
            consumer=options["name"],
            handle=lambda event: self.stdout.write(json.dumps(event, sort_keys=True)),
            max_messages=options["max_messages"],
            idle_timeout=options["idle_timeout"],
        )
        self.stderr.write(f"handled {handled}, skipped {skipped} duplicate(s)")
