"""Failed sign-ins: N consecutive failures lock the login, success resets the count, unlocking is audited."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.test import Client

from apps.access.models import AccessEvent, AccessEventKind, LoginState
from apps.access.services import user_unlock
from tests.staff import make_staff, otp_login, password_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def teller():
    return make_staff("teller1", "teller")


def fail(client, username, times):
    for _ in range(times):
        response = password_login(client, username, "wrong-password-xyz")
        assert response.status_code == 200


def test_three_failures_lock_the_login(client, teller, settings):
    assert settings.QENEX["security"]["max_login_attempts"] == 3
    fail(client, "teller1", 3)
    state = LoginState.objects.get(user=teller)
    assert state.is_locked and state.failed_attempts == 3
    assert AccessEvent.objects.filter(user=teller, kind=AccessEventKind.LOCKED).count() == 1


def test_locked_user_cannot_log_in_even_with_the_right_password(client, teller):
    fail(client, "teller1", 3)
    response = password_login(client, "teller1")
    assert response.status_code == 200 and b"locked" in response.content
    assert "_auth_user_id" not in client.session
    assert not Client().login(username="teller1", password="a-long-password-123")


def test_success_resets_the_counter(client, teller):
    fail(client, "teller1", 2)
    assert password_login(client, "teller1").status_code == 302
    assert LoginState.objects.get(user=teller).failed_attempts == 0
    fail(Client(), "teller1", 2)
    assert not LoginState.objects.get(user=teller).is_locked


def test_limit_comes_from_settings(client, teller, settings):
    settings.QENEX = {**settings.QENEX, "security": {**settings.QENEX["security"], "max_login_attempts": 5}}
    fail(client, "teller1", 4)
    assert not LoginState.objects.get(user=teller).is_locked
    fail(client, "teller1", 1)
    assert LoginState.objects.get(user=teller).is_locked


def test_unlock_service_is_audited_and_lets_the_user_in(client, teller):
    fail(client, "teller1", 3)
    user_unlock(user=teller, actor="boss", reason="called the help desk")
    event = AccessEvent.objects.get(user=teller, kind=AccessEventKind.UNLOCKED)
    assert event.actor == "boss" and event.detail["reason"] == "called the help desk"
    assert password_login(client, "teller1").status_code == 302


def test_unlock_management_command(client, teller):
    fail(client, "teller1", 3)
    call_command("unlock_user", "teller1", "--actor", "ops-lead", "--reason", "ticket 42")
    assert not LoginState.objects.get(user=teller).is_locked
    assert AccessEvent.objects.filter(user=teller, kind=AccessEventKind.UNLOCKED, actor="ops-lead").exists()
    with pytest.raises(CommandError):
        call_command("unlock_user", "teller1")  # not locked any more
    with pytest.raises(CommandError):
        call_command("unlock_user", "nobody")


def test_administrator_unlocks_in_the_admin(teller):
    fail(Client(), "teller1", 3)
    boss = otp_login(Client(), make_staff("boss", "administrator"))
    state = LoginState.objects.get(user=teller)
    response = boss.post("/admin/access/loginstate/", {"action": "unlock", "_selected_action": [state.pk]})
    assert response.status_code == 302
    state.refresh_from_db()
    assert not state.is_locked
    assert AccessEvent.objects.filter(user=teller, kind=AccessEventKind.UNLOCKED, actor="boss").exists()


def test_auditor_cannot_unlock_in_the_admin(teller):
    fail(Client(), "teller1", 3)
    auditor = otp_login(Client(), make_staff("aud", "auditor"))
    state = LoginState.objects.get(user=teller)
    auditor.post("/admin/access/loginstate/", {"action": "unlock", "_selected_action": [state.pk]})
    state.refresh_from_db()
    assert state.is_locked
    assert admin.site.is_registered(LoginState)
