"""A de-duplicating Kafka consumer: each event id is handled once per consumer name, however often it arrives."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer

from . import services


def consume(
    *,
    bootstrap: str,
    topic: str,
    consumer: str,
    handle: Callable[[dict[str, Any]], None],
    max_messages: int | None = None,
    idle_timeout: float = 5.0,
) -> tuple[int, int]:
    """Read ``topic`` as group ``consumer``; run ``handle(envelope)`` once per event id. Return (handled, skipped).

    The offset is committed after the processed-id row commits: a crash in between redelivers, and the id skips it.
    """
    kafka = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": consumer,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    kafka.subscribe([topic])
    handled = skipped = 0
    last_message = time.monotonic()  # joining the group takes a moment: the idle clock starts now
    try:
        while max_messages is None or handled + skipped < max_messages:
            message = kafka.poll(0.5)
            if message is None:
                if time.monotonic() - last_message > idle_timeout:
                    break
                continue
            last_message = time.monotonic()
            if message.error():
                continue
            event = json.loads(message.value())
            if services.event_consume(consumer=consumer, event_id=event["event_id"], handle=lambda e=event: handle(e)):
                handled += 1
            else:
                skipped += 1
            kafka.commit(message=message, asynchronous=False)
    finally:
        kafka.close()
    return handled, skipped
