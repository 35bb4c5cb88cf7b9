"""The outbox relay: publish unsent rows to Kafka with an idempotent producer, mark them sent once acknowledged.

At-least-once: a row is marked only after Kafka confirmed it (acks=all), so a relay killed mid-batch resends the
unmarked rows on restart and consumers drop the duplicates by event id. Key = aggregate id: one aggregate's events
go to one partition, in outbox order (the idempotent producer keeps order within a partition across retries).
"""

from __future__ import annotations

import logging
import time

from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from django.conf import settings

from . import selectors, services
from .envelope import envelope_bytes
from .metrics import EVENTS_PUBLISH_FAILURES_TOTAL, EVENTS_PUBLISHED_TOTAL

logger = logging.getLogger(__name__)


def producer_config(bootstrap: str) -> dict:
    return {
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "message.timeout.ms": 30000,
        "client.id": "qenex-event-relay",
    }


def ensure_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    if topic in admin.list_topics(timeout=10).topics:
        return
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    try:
        futures[topic].result(timeout=10)
    except KafkaException as error:  # created meanwhile by another relay or the broker
        logger.info("topic %s: %s", topic, error)


def relay_once(producer: Producer, topic: str, batch_size: int) -> int:
    """Publish one batch; return how many rows were confirmed and marked."""
    events = selectors.outbox_unsent(limit=batch_size)
    if not events:
        return 0
    delivered: list[int] = []

    def on_delivery(error, message, row_id: int) -> None:
        if error is None:
            delivered.append(row_id)
        else:
            EVENTS_PUBLISH_FAILURES_TOTAL.inc()
            logger.warning("event row %s not delivered: %s", row_id, error)

    for event in events:
        producer.produce(
            topic,
            key=event.aggregate_id.encode(),
            value=envelope_bytes(event),
            headers={"event_id": str(event.event_id), "event_type": event.event_type},
            on_delivery=lambda error, message, row_id=event.id: on_delivery(error, message, row_id),
        )
        producer.poll(0)
    producer.flush(30)
    services.outbox_mark_sent(ids=delivered)
    EVENTS_PUBLISHED_TOTAL.inc(len(delivered))
    return len(delivered)


def run(*, bootstrap: str, topic: str, batch_size: int, idle_seconds: float, once: bool = False) -> None:
    ensure_topic(bootstrap, topic, settings.QENEX_KAFKA_PARTITIONS)
    producer = Producer(producer_config(bootstrap))
    logger.info("event relay: %s topic %s", bootstrap, topic)
    while True:
        sent = relay_once(producer, topic, batch_size)
        if once and not sent:
            return
        if not sent:
            time.sleep(idle_seconds)
