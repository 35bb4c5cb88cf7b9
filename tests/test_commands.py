"""Management commands an operator runs: API client creation and demo data."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from apps.accounts.models import Account
from apps.ledger.models import JournalEntry
from apps.ledger.tasks import expire_holds

pytestmark = pytest.mark.django_db


def test_create_api_client_prints_a_working_key_once():
    out = StringIO()
    call_command(
        "create_api_client", "backoffice", "--scopes", "accounts:read", "--all-customers", "--token-only", stdout=out
    )
    token = out.getvalue().strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/accounts").status_code == 200
    assert client.post("/api/v1/accounts", {}, format="json").status_code == 403  # read-only scope
    with pytest.raises(CommandError, match="exists already"):
        call_command("create_api_client", "backoffice", "--owners", "c1", stdout=StringIO())
    with pytest.raises(CommandError, match="unknown scope"):
        call_command("create_api_client", "other", "--scopes", "everything", "--owners", "c1", stdout=StringIO())
    with pytest.raises(CommandError, match="--owners ID"):
        call_command("create_api_client", "unscoped", stdout=StringIO())


def test_load_demo_can_run_twice_without_duplicating_money(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("load_demo", stdout=StringIO())
    first = (Account.objects.count(), JournalEntry.objects.count())
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert (Account.objects.count(), JournalEntry.objects.count()) == first
    assert "exists already" in out.getvalue()
    assert (tmp_path / "demo-token").read_text().startswith("qnx_")


def test_load_demo_is_refused_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="refused in production"):
        call_command("load_demo", stdout=StringIO())


def test_expire_holds_task_returns_how_many_it_closed():
    assert expire_holds.delay().get() == 0
