"""Failed sign-ins lock out one (user, source IP) pair with exponential back-off; unlocking is audited.

An outsider guessing from one address cannot lock a staff user out: the user still signs in from elsewhere
(and the second factor still applies). Every failed sign-in also spends the address's failed-authentication
budget, so one address cannot spray guesses across many user names.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.settings import api_settings

from apps.access.models import AccessEvent, AccessEventKind, LoginState
from apps.access.services import login_lock_seconds, user_unlock
from tests.iam.test_throttling import random_ip
from tests.staff import PASSWORD, enrol_totp, make_staff, otp_login

pytestmark = pytest.mark.django_db

OUTSIDER, OFFICE = "198.51.100.7", "203.0.113.20"


@pytest.fixture
def teller():
    return make_staff("teller1", "teller")


def sign_in(username: str, ip: str, password: str = PASSWORD, client: Client | None = None, **headers):
    client = client or Client()
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **headers)


def fail(username: str, ip: str, times: int, **headers) -> None:
    for _ in range(times):
        response = sign_in(username, ip, "wrong-password-xyz", **headers)
        assert response.status_code == 200


def state_of(user, ip: str) -> LoginState:
    return LoginState.objects.get(user=user, source_ip=ip)


def test_three_failures_lock_that_address_out(teller, settings):
    assert settings.QENEX["security"]["max_login_attempts"] == 3
    fail("teller1", OUTSIDER, 3)
    state = state_of(teller, OUTSIDER)
    assert state.is_locked and state.failed_attempts == 3
    assert state.locked_until - state.locked_at == timedelta(seconds=settings.QENEX_LOGIN_LOCK_SECONDS)
    assert AccessEvent.objects.filter(user=teller, kind=AccessEventKind.LOCKED).count() == 1


def test_locked_address_cannot_sign_in_even_with_the_right_password(teller):
    fail("teller1", OUTSIDER, 3)
    client = Client()
    response = sign_in("teller1", OUTSIDER, client=client)
    assert response.status_code == 200 and b"locked from your address" in response.content
    assert "_auth_user_id" not in client.session
    refused = AccessEvent.objects.get(user=teller, kind=AccessEventKind.LOCKED_LOGIN_REFUSED)
    assert refused.detail["remote_addr"] == OUTSIDER


def test_an_outsider_cannot_lock_the_user_out_from_elsewhere(teller):
    totp = enrol_totp(teller)
    fail("teller1", OUTSIDER, 10)
    client = Client()
    response = sign_in("teller1", OFFICE, client=client)
    assert response.status_code == 302
    assert client.get("/")["Location"].startswith("/mfa/verify/")  # the password alone reaches nothing: MFA
    assert client.post("/mfa/verify/", {"token": totp.now()}).status_code == 302
    assert client.get("/").status_code == 200
    assert state_of(teller, OUTSIDER).is_locked  # the outsider's address stays locked
    assert not state_of(teller, OFFICE).is_locked


def test_success_resets_the_counter_of_that_address(teller):
    fail("teller1", OFFICE, 2)
    assert sign_in("teller1", OFFICE).status_code == 302
    assert state_of(teller, OFFICE).failed_attempts == 0
    fail("teller1", OFFICE, 2)
    assert not state_of(teller, OFFICE).is_locked


def test_lock_doubles_with_each_further_failure_up_to_the_cap(settings):
    settings.QENEX_LOGIN_LOCK_SECONDS, settings.QENEX_LOGIN_LOCK_MAX_SECONDS = 60, 3600
    assert [login_lock_seconds(n) for n in range(1, 11)] == [0, 0, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert login_lock_seconds(10_000) == 3600


def test_a_lock_ends_by_itself_and_the_next_failure_locks_twice_as_long(teller, settings):
    settings.QENEX_LOGIN_LOCK_SECONDS = 1
    fail("teller1", OUTSIDER, 3)
    time.sleep(1.1)
    assert not state_of(teller, OUTSIDER).is_locked
    fail("teller1", OUTSIDER, 1)  # one more wrong guess after the lock ran out
    state = state_of(teller, OUTSIDER)
    assert state.is_locked and state.locked_until - state.locked_at == timedelta(seconds=2)
    assert AccessEvent.objects.filter(user=teller, kind=AccessEventKind.LOCKED).count() == 2


def test_after_the_lock_the_right_password_works_and_resets(teller, settings):
    settings.QENEX_LOGIN_LOCK_SECONDS = 1
    fail("teller1", OFFICE, 3)
    time.sleep(1.1)
    assert sign_in("teller1", OFFICE).status_code == 302
    assert state_of(teller, OFFICE).failed_attempts == 0


def test_limit_comes_from_settings(teller, settings):
    settings.QENEX = {**settings.QENEX, "security": {**settings.QENEX["security"], "max_login_attempts": 5}}
    fail("teller1", OUTSIDER, 4)
    assert not state_of(teller, OUTSIDER).is_locked
    fail("teller1", OUTSIDER, 1)
    assert state_of(teller, OUTSIDER).is_locked


def test_behind_a_trusted_proxy_the_forwarded_client_is_the_address(teller, monkeypatch):
    monkeypatch.setattr(api_settings, "NUM_PROXIES", 1)
    proxy = "10.0.0.1"
    fail("teller1", proxy, 3, HTTP_X_FORWARDED_FOR=OUTSIDER)
    assert state_of(teller, OUTSIDER).is_locked
    assert sign_in("teller1", proxy, HTTP_X_FORWARDED_FOR=OFFICE).status_code == 302


def test_a_forged_forwarded_for_does_not_choose_the_address(teller):
    for _ in range(3):
        sign_in("teller1", OUTSIDER, "wrong-password-xyz", HTTP_X_FORWARDED_FOR=random_ip())
    assert state_of(teller, OUTSIDER).is_locked  # no trusted proxy: the header is ignored


def test_one_address_cannot_spray_guesses_across_user_names(monkeypatch):
    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "auth_failures", "3/minute")
    make_staff("teller2", "teller")
    sprayer = random_ip()
    for username in ("teller2", "nobody", "admin"):
        assert sign_in(username, sprayer, "guess-123").status_code == 200
    response = sign_in("teller2", sprayer)  # even the right password: nothing is checked from there now
    assert response.status_code == 200 and b"Too many failed sign-ins from your address" in response.content
    assert sign_in("teller2", random_ip()).status_code == 302


def test_unlock_service_is_audited_and_lets_the_user_in(teller):
    fail("teller1", OUTSIDER, 3)
    user_unlock(user=teller, actor="boss", reason="called the help desk")
    event = AccessEvent.objects.get(user=teller, kind=AccessEventKind.UNLOCKED)
    assert event.actor == "boss" and event.detail["reason"] == "called the help desk"
    assert [lock["source_ip"] for lock in event.detail["locks"]] == [OUTSIDER]
    assert sign_in("teller1", OUTSIDER).status_code == 302


def test_unlock_management_command(teller):
    fail("teller1", OUTSIDER, 3)
    fail("teller1", OFFICE, 3)
    call_command("unlock_user", "teller1", "--actor", "ops-lead", "--reason", "ticket 42", "--ip", OFFICE)
    assert not state_of(teller, OFFICE).is_locked and state_of(teller, OUTSIDER).is_locked
    call_command("unlock_user", "teller1", "--actor", "ops-lead", "--reason", "ticket 43")  # every address
    assert not state_of(teller, OUTSIDER).is_locked
    assert AccessEvent.objects.filter(user=teller, kind=AccessEventKind.UNLOCKED, actor="ops-lead").count() == 2
    with pytest.raises(CommandError):
        call_command("unlock_user", "teller1")  # not locked any more
    with pytest.raises(CommandError):
        call_command("unlock_user", "nobody")


def test_administrator_unlocks_in_the_admin(teller):
    fail("teller1", OUTSIDER, 3)
    boss = otp_login(Client(), make_staff("boss", "administrator"))
    state = state_of(teller, OUTSIDER)
    response = boss.post("/admin/access/loginstate/", {"action": "unlock", "_selected_action": [state.pk]})
    assert response.status_code == 302
    state.refresh_from_db()
    assert not state.is_locked
    assert AccessEvent.objects.filter(user=teller, kind=AccessEventKind.UNLOCKED, actor="boss").exists()


def test_auditor_cannot_unlock_in_the_admin(teller):
    fail("teller1", OUTSIDER, 3)
    auditor = otp_login(Client(), make_staff("aud", "auditor"))
    state = state_of(teller, OUTSIDER)
    auditor.post("/admin/access/loginstate/", {"action": "unlock", "_selected_action": [state.pk]})
    state.refresh_from_db()
    assert state.is_locked
    assert admin.site.is_registered(LoginState)
