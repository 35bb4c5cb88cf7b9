"""``manage.py run_event_relay``: publish the outbox to Kafka (QENEX_KAFKA_BOOTSTRAP) until stopped."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.events import relay


class Command(BaseCommand):
    help = "Publish unsent outbox events to Kafka (idempotent producer, acks=all), marking them sent."

    def add_arguments(self, parser):
        parser.add_argument("--bootstrap", default=None, help="host:port (default QENEX_KAFKA_BOOTSTRAP)")
        parser.add_argument("--topic", default=None, help="default QENEX_KAFKA_TOPIC (qenex.events)")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--idle-seconds", type=float, default=0.5)
        parser.add_argument("--once", action="store_true", help="stop when the outbox has nothing unsent")

    def handle(self, *args, **options):
        bootstrap = options["bootstrap"] or settings.QENEX_KAFKA_BOOTSTRAP
        if not bootstrap:
            raise CommandError("no Kafka configured: set QENEX_KAFKA_BOOTSTRAP or pass --bootstrap")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        relay.run(
            bootstrap=bootstrap,
            topic=options["topic"] or settings.QENEX_KAFKA_TOPIC,
            batch_size=options["batch_size"],
            idle_seconds=options["idle_seconds"],
            once=options["once"],
        )
