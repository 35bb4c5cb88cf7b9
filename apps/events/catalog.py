"""The event types QENEX publishes, each with its aggregate and the versions whose JSON Schema is in ``schemas/``.

A schema file is ``schemas/<type>.v<version>.json``. A change that breaks consumers is a new version (a new file);
the old version's file stays, because events already in the outbox and on Kafka keep it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

# event type -> aggregate type (the Kafka key is the aggregate id: one aggregate's events stay in order)
EVENT_TYPES: dict[str, str] = {
    "transaction.posted": "transaction",
    "hold.placed": "hold",
    "hold.captured": "hold",
    "hold.voided": "hold",
    "hold.reduced": "hold",
    "hold.expired": "hold",
    "payment.status_changed": "payment",
    "screening.alert_raised": "screening_alert",
    "screening.alert_decided": "screening_alert",
    "aml_case.decided": "aml_case",
    "fx.deal_booked": "fx_deal",
}


def schema_path(event_type: str, version: int) -> Path:
    return SCHEMA_DIR / f"{event_type}.v{version}.json"


@cache
def schema(event_type: str, version: int) -> dict:
    return json.loads(schema_path(event_type, version).read_text())


def versions() -> list[tuple[str, int]]:
    """Every (type, version) with a schema file."""
    found = []
    for path in sorted(SCHEMA_DIR.glob("*.v*.json")):
        name, _, version = path.stem.rpartition(".v")
        found.append((name, int(version)))
    return found
