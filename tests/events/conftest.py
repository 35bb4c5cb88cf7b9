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


@pytest.fixture(autouse=True)
def _events_match_their_schemas(request):
    yield
    if "db" in request.fixturenames or "transactional_db" in request.fixturenames:
        validate_outbox()
