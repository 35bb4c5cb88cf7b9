from __future__ import annotations

import os

import pytest

# The suite runs with the KYC gate off (qenex/settings_test.py; the gate's tests turn it on): the servers, workers
# and sandboxes tests start as processes read it from the environment, so they get the same.
os.environ.setdefault("QENEX_KYC_REQUIRED", "false")
# Payments go out whatever the time of day or week the suite runs (the calendar tests turn calendars on).
os.environ.setdefault("QENEX_PAYMENTS_CALENDARS", "false")
from django.db import connection
from rest_framework.test import APIClient

from apps.iam.models import SCOPES
from apps.iam.services import api_client_create

requires_postgresql = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="needs PostgreSQL (row locks, triggers)"
)


def pytest_collection_modifyitems(config, items):
    """On SQLite, skip tests that commit for real (transactional_db, live_server).

    Django empties such a database between tests with DELETE, which the append-only triggers on the ledger
    and the audit trail refuse, as they should. PostgreSQL empties it with TRUNCATE; CI runs there.
    """
    if connection.vendor != "sqlite":
        return
    skip = pytest.mark.skip(
        reason="commits for real: needs PostgreSQL (SQLite's flush is a DELETE the append-only triggers refuse)"
    )
    for item in items:
        marker = item.get_closest_marker("django_db")
        uses_commits = {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
        if uses_commits or (marker is not None and marker.kwargs.get("transaction")):
            item.add_marker(skip)


@pytest.fixture
def on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (make test does)")


def make_client(
    scopes: list[str],
    name: str = "test-client",
    *,
    owners: list[str] = (),
    all_customers: bool | None = None,
    credit_any_customer: bool = False,
) -> APIClient:
    """An API client with a key; without ``owners`` it reaches every customer (a back-office integrator)."""
    if all_customers is None:
        all_customers = not owners
    issued = api_client_create(
        name=name,
        scopes=scopes,
        owner_ids=list(owners),
        all_customers=all_customers,
        credit_any_customer=credit_any_customer,
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.token}")
    client.api_key = issued.key
    return client


@pytest.fixture
def api(db) -> APIClient:
    """An API client holding every scope, reaching every customer's accounts."""
    return make_client(sorted(SCOPES))


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _celery_joins_allowed():
    """Each test starts outside any Celery task: a test that built a worker pool in this process (which marks the
    process as a worker, where waiting on a result would deadlock) must not make later tests' ``.get()`` refuse."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield
