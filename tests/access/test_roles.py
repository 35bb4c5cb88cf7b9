"""Roles are groups with explicit permissions; each role can do what the matrix grants and nothing more."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from apps.access.roles import ROLE_PERMISSIONS
from apps.accounts.models import AccountStatus
from apps.ledger.models import JournalEntry
from tests.factories import funded_account
from tests.staff import make_staff, otp_login

pytestmark = pytest.mark.django_db


def signed_in(username: str, role: str) -> Client:
    return otp_login(Client(), make_staff(username, role))


def group_perms(role: str) -> set[str]:
    return {
        f"{app}.{code}"
        for app, code in Group.objects.get(name=role).permissions.values_list("content_type__app_label", "codename")
    }


def test_the_migration_creates_every_role_with_its_permissions():
    for role, perms in ROLE_PERMISSIONS.items():
        assert set(perms) <= group_perms(role), role


def test_auditor_is_read_only_everywhere():
    assert all(p.split(".", 1)[1].startswith("view_") for p in group_perms("auditor"))


def test_auditor_cannot_post_through_the_api():
    acc = funded_account("50.00")
    auditor = signed_in("aud", "auditor")
    assert auditor.get(f"/api/v1/accounts/{acc.public_id}").status_code == 200
    body = {"type": "WITHDRAWAL", "from_account": acc.public_id, "amount": "1.00", "currency": "USD"}
    response = auditor.post("/api/v1/transactions", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="aud-1")
    assert response.status_code == 403
    assert not JournalEntry.objects.filter(entry_type="WITHDRAWAL").exists()


def test_auditor_cannot_change_anything_in_the_admin():
    acc = funded_account("50.00")
    auditor = signed_in("aud", "auditor")
    assert auditor.get("/admin/accounts/account/").status_code == 200
    auditor.post("/admin/accounts/account/", {"action": "freeze", "_selected_action": [acc.pk]})
    acc.refresh_from_db()
    assert acc.status == AccountStatus.ACTIVE
    assert auditor.get("/admin/auth/user/add/").status_code == 403
    assert auditor.get("/admin/auth/group/add/").status_code == 403


def test_teller_posts_below_the_threshold():
    acc = funded_account("50.00")
    teller = signed_in("tel", "teller")
    body = {"type": "DEPOSIT", "to_account": acc.public_id, "amount": "25.00", "currency": "USD"}
    response = teller.post("/api/v1/transactions", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="t-1")
    assert response.status_code == 201, response.content


def test_teller_cannot_change_an_overdraft_limit_or_freeze_or_reverse():
    acc = funded_account("50.00")
    teller = signed_in("tel", "teller")
    response = teller.post(
        f"/api/v1/accounts/{acc.public_id}/overdraft", {"overdraft_limit": "500.00"}, content_type="application/json"
    )
    assert response.status_code == 403
    response = teller.post(f"/api/v1/accounts/{acc.public_id}/status", {"status": "FROZEN"}, "application/json")
    assert response.status_code == 403
    entry = JournalEntry.objects.first()
    response = teller.post(
        f"/api/v1/transactions/{entry.public_id}/reverse", {}, "application/json", HTTP_IDEMPOTENCY_KEY="r-1"
    )
    assert response.status_code == 403
    acc.refresh_from_db()
    assert acc.overdraft_limit_minor == 0 and acc.status == AccountStatus.ACTIVE


def test_compliance_officer_freezes_directly():
    acc = funded_account("50.00")
    officer = signed_in("comp", "compliance_officer")
    response = officer.post(f"/api/v1/accounts/{acc.public_id}/status", {"status": "FROZEN"}, "application/json")
    assert response.status_code == 200, response.content
    acc.refresh_from_db()
    assert acc.status == AccountStatus.FROZEN


def test_operations_reverses_a_transaction():
    funded_account("50.00")
    entry = JournalEntry.objects.first()
    ops = signed_in("ops", "operations")
    response = ops.post(
        f"/api/v1/transactions/{entry.public_id}/reverse", {}, "application/json", HTTP_IDEMPOTENCY_KEY="r-1"
    )
    assert response.status_code == 201, response.content


def test_teller_has_no_admin_user_management():
    teller = signed_in("tel", "teller")
    assert teller.get("/admin/auth/user/").status_code == 403


def test_administrator_manages_users_but_cannot_make_a_superuser():
    from django.contrib.auth import get_user_model

    target = make_staff("newbie")
    form = {
        "username": "newbie",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
    }
    boss = signed_in("boss", "administrator")
    assert boss.post(f"/admin/auth/user/{target.pk}/change/", form).status_code == 302  # saved...
    assert not get_user_model().objects.get(pk=target.pk).is_superuser  # ...without the superuser flag
    root = otp_login(Client(), make_staff("root", superuser=True))
    assert root.post(f"/admin/auth/user/{target.pk}/change/", form).status_code == 302
    assert get_user_model().objects.get(pk=target.pk).is_superuser  # a superuser may
