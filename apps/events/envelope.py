"""The message every consumer gets (Kafka value, webhook body, API item): the event and its payload."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from .models import OutboxEvent


def envelope(event: OutboxEvent) -> dict[str, Any]:
    return {
        "event_id": str(event.event_id),
        "type": event.event_type,
        "version": event.version,
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "occurred_at": event.created_at.isoformat(),
        "payload": event.payload,
    }


def envelope_bytes(event: OutboxEvent) -> bytes:
    return json.dumps(envelope(event), cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True).encode()
