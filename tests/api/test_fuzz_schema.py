"""Property-based fuzzing of the whole API against its own OpenAPI schema (schemathesis, in process).

For every operation of ``/api/schema/`` schemathesis generates requests (valid and invalid) and checks that
none is answered with a 5xx and that every answer has a documented status and matches its documented schema.
Requests go straight into the WSGI app (no network), authenticated with a key holding every scope.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from apps.iam.models import SCOPES
from apps.iam.services import api_client_create

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Small enough that all operations run in well under two minutes on two cores; raise locally to dig.
EXAMPLES_PER_OPERATION = 15


@pytest.fixture
def api_schema(db):
    # As Django's test client does: keep the test's connection (and its rolled-back transaction) open
    # across requests instead of closing it when each request finishes.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(db) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_client_create(name='fuzz', scopes=sorted(SCOPES)).token}"}


def test_api_never_answers_5xx_and_matches_its_schema(api_schema, bearer):
    # One Hypothesis run per operation, driven here rather than through schemathesis' pytest plugin,
    # whose fixture loader does not work with pytest 9.
    headers = {**bearer, "Idempotency-Key": "fuzz-key"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,  # no example database on disk: each CI run is independent
        )
        def run(case):
            case.call_and_validate(
                headers=headers,
                checks=[schemathesis.checks.not_a_server_error, status_code_conformance, response_schema_conformance],
            )

        run()
