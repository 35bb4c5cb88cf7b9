"""Every event the events tests cause is checked against its JSON Schema file when the test ends."""

from __future__ import annotations

import jsonschema
import pytest

from apps.events.catalog import schema


def validate_outbox() -> int:
    from apps.events.models import OutboxEvent

    count = 0
    for event in OutboxEvent.objects.order_by("id"):
        jsonschema.validate(
            event.payload, schema(event.event_type, event.version), format_checker=jsonschema.FormatChecker()
        )
        count += 1
    return count


def validated_events(event_type: str, aggregate_id: str | None = None) -> list[dict]:
    """The payloads of ``event_type`` in the outbox (of one aggregate if given), each checked against its schema."""
    from apps.events.models import OutboxEvent

    rows = OutboxEvent.objects.filter(event_type=event_type).order_by("id")
    if aggregate_id is not None:
        rows = rows.filter(aggregate_id=aggregate_id)
    for event in rows:
        jsonschema.validate(
            event.payload, schema(event.event_type, event.version), format_checker=jsonschema.FormatChecker()
        )
    return [event.payload for event in rows]


@pytest.fixture(autouse=True)
def _events_match_their_schemas(request):
    yield
    if "db" in request.fixturenames or "transactional_db" in request.fixturenames:
        validate_outbox()


@pytest.fixture
def receiver():
    """``receiver(answers)``: a webhook receiver thread on 127.0.0.1 (tests.events.webhook_helpers.Receiver)."""
    from tests.events.webhook_helpers import Receiver

    made = []

    def make(answers):
        made.append(Receiver(answers))
        return made[-1]

    yield make
    for r in made:
        r.close()
