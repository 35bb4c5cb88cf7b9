"""Admin and portal pages render for staff, refuse anonymous users, and the ledger is read-only there."""

from __future__ import annotations

import pytest

from apps.accounts.models import AccountStatus
from apps.ledger.models import JournalEntry
from tests.factories import funded_account
from tests.staff import make_staff, otp_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    """A superuser signed in through the portal: password, then a TOTP code (MFA is mandatory)."""
    return otp_login(client, make_staff("officer", superuser=True))


def test_portal_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_portal_dashboard_and_account_page(staff_client):
    acc = funded_account("123.45", owner_id="portal-user")
    page = staff_client.get("/accounts/?q=portal-user").content.decode()
    assert acc.public_id in page and "123.45" in page
    detail = staff_client.get(f"/accounts/{acc.public_id}/").content.decode()
    assert "Opening balance" in detail and "123.45" in detail
    assert staff_client.get("/accounts/acc_missing/").status_code == 404


def test_staff_without_permission_gets_403(client):
    otp_login(client, make_staff("no-role"))
    assert client.get("/").status_code == 403


def test_admin_ledger_pages_are_read_only(staff_client):
    funded_account("10.00")
    entry = JournalEntry.objects.first()
    assert staff_client.get("/admin/ledger/journalentry/").status_code == 200
    assert staff_client.get(f"/admin/ledger/journalentry/{entry.pk}/change/").status_code == 200
    assert staff_client.get("/admin/ledger/journalentry/add/").status_code == 403
    assert staff_client.post(f"/admin/ledger/journalentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert JournalEntry.objects.filter(pk=entry.pk).exists()


def test_admin_freeze_action_uses_the_service(staff_client):  # freezing is immediate; unfreezing is four-eyes
    acc = funded_account("10.00")
    response = staff_client.post("/admin/accounts/account/", {"action": "freeze", "_selected_action": [acc.pk]})
    assert response.status_code == 302
    acc.refresh_from_db()
    assert acc.status == AccountStatus.FROZEN


def test_staff_session_can_use_the_api_with_model_permissions(staff_client):
    acc = funded_account("10.00")
    assert staff_client.get(f"/api/v1/accounts/{acc.public_id}").json()["balance"] == "10.00"
