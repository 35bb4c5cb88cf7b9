from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.iam.models import SCOPES
from apps.iam.services import api_client_create

requires_postgresql = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="needs PostgreSQL (row locks, triggers)"
)


@pytest.fixture
def on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (make test does)")


def make_client(scopes: list[str], name: str = "test-client") -> APIClient:
    issued = api_client_create(name=name, scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.token}")
    client.api_key = issued.key
    return client


@pytest.fixture
def api(db) -> APIClient:
    """An API client holding every scope."""
    return make_client(sorted(SCOPES))


@pytest.fixture
def anon() -> APIClient:
    return APIClient()
