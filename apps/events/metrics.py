"""Event-stream metrics: outbox lag (scraped from the database) and the relay's and webhooks' counters."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from django.conf import settings
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily, Metric

logger = logging.getLogger(__name__)

EVENTS_PUBLISHED_TOTAL = Counter("qenex_events_published_total", "Outbox events Kafka acknowledged (relay)")
EVENTS_PUBLISH_FAILURES_TOTAL = Counter(
    "qenex_events_publish_failures_total", "Outbox events Kafka refused or did not acknowledge (relay)"
)
WEBHOOK_ATTEMPTS_TOTAL = Counter("qenex_webhook_attempts_total", "Webhook delivery attempts", ["result"])


class OutboxLagCollector:
    """At scrape: how many outbox rows the relay has yet to publish and how old the oldest is (Kafka configured
    only: without Kafka nothing sends rows, and the API reads them by cursor), and the webhook backlog."""

    def collect(self) -> Iterable[Metric]:
        from .selectors import delivery_counts, outbox_lag

        try:
            if settings.QENEX_KAFKA_BOOTSTRAP:
                unsent, oldest = outbox_lag()
                yield GaugeMetricFamily("qenex_events_outbox_unsent", "Outbox rows not yet on Kafka", value=unsent)
                yield GaugeMetricFamily(
                    "qenex_events_outbox_lag_seconds",
                    "Age of the oldest outbox row not yet on Kafka (0 when none)",
                    value=max(0.0, time.time() - oldest) if oldest else 0.0,
                )
            deliveries = GaugeMetricFamily(
                "qenex_webhook_deliveries", "Webhook deliveries not delivered, by status", labels=["status"]
            )
            for status, count in delivery_counts().items():
                deliveries.add_metric([status], count)
            yield deliveries
        except Exception:  # noqa: BLE001 - a database that is down (or not reachable here) leaves these out;
            logger.debug("could not read the outbox and webhook backlog", exc_info=True)  # /health reports it
            return
