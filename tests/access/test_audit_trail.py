"""Every change to a staff login's security state reaches the audit trail, as the last write of its transaction."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.access.models import AccessEvent, AccessEventKind, LoginState
from apps.access.services import mfa_backup_codes_issue, mfa_device_reset, mfa_verify, user_unlock
from apps.audit.verification import audit_chain_verify
from tests.audit.trail import last_sequence, records_since, sql_log
from tests.staff import PASSWORD, enrol_totp, make_staff, otp_login, password_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def teller():
    return make_staff("teller1", "teller")


def lock(username: str) -> None:
    for _ in range(3):
        assert authenticate(username=username, password="wrong-password-xyz") is None


def test_the_lockout_is_recorded_once_with_the_counter(teller):
    mark = last_sequence()
    with sql_log() as sql:
        lock("teller1")
    (locked,) = records_since(mark, "access.")
    state = LoginState.objects.get(user=teller)
    assert (locked.action, locked.object_type, locked.object_id, locked.actor) == (
        "access.login_locked",
        "user",
        str(teller.pk),
        "system",
    )
    assert locked.before == {"source_ip": "", "locked_until": None, "failed_attempts": 2}
    assert locked.after == {
        "username": "teller1",
        "source_ip": "",  # authenticate() without a request: the address is unknown
        "locked_at": state.locked_at.isoformat(),
        "locked_until": state.locked_until.isoformat(),
        "lock_seconds": 60,
        "failed_attempts": 3,
    }
    # The failures themselves are the auth receiver's records, not duplicated here.
    assert [r.action for r in records_since(mark, "auth.")] == ["auth.login_failed"] * 3
    assert sql.violations() == []
    assert audit_chain_verify().ok


def test_a_lockout_then_an_unlock_writes_both_records(teller):
    mark = last_sequence()
    lock("teller1")
    locked_until = LoginState.objects.get(user=teller).locked_until
    with sql_log() as sql:
        user_unlock(user=teller, actor="boss", reason="called the help desk")
    locked, unlocked = records_since(mark, "access.")
    assert (locked.action, unlocked.action) == ("access.login_locked", "access.login_unlocked")
    assert (unlocked.object_type, unlocked.object_id, unlocked.actor) == ("user", str(teller.pk), "boss")
    assert unlocked.before == {
        "locks": [{"source_ip": "", "locked_until": locked_until.isoformat(), "failed_attempts": 3}]
    }
    assert unlocked.after == {"username": "teller1", "locks": [], "unlocked": [""], "reason": "called the help desk"}
    assert sql.violations() == []
    assert AccessEvent.objects.filter(user=teller, kind=AccessEventKind.UNLOCKED).exists()  # still kept
    assert audit_chain_verify().ok


def test_unlocking_an_open_login_is_refused_and_writes_nothing(teller):
    mark = last_sequence()
    with pytest.raises(Exception, match="not locked"):
        user_unlock(user=teller, actor="boss")
    assert records_since(mark) == []


def test_the_unlock_command_is_recorded_with_the_operator(teller):
    lock("teller1")
    mark = last_sequence()
    call_command("unlock_user", "teller1", "--actor", "ops-lead", "--reason", "ticket 42")
    (record,) = records_since(mark)
    assert (record.action, record.actor, record.actor_user_id) == ("access.login_unlocked", "ops-lead", None)
    assert record.after["reason"] == "ticket 42"
    assert audit_chain_verify().ok


def test_the_admin_unlock_is_recorded_with_the_administrator(teller):
    lock("teller1")
    boss_user = make_staff("boss", "administrator")
    boss = otp_login(Client(), boss_user)
    state = LoginState.objects.get(user=teller)
    mark = last_sequence()
    response = boss.post(
        "/admin/access/loginstate/",
        {"action": "unlock", "_selected_action": [state.pk]},
        HTTP_X_REQUEST_ID="req-unlock-1",
    )
    assert response.status_code == 302
    (record,) = records_since(mark)
    assert (record.action, record.object_id, record.actor, record.actor_user_id, record.request_id) == (
        "access.login_unlocked",
        str(teller.pk),
        "boss",
        boss_user.pk,
        "req-unlock-1",
    )
    assert audit_chain_verify().ok


def test_enrolment_records_the_authenticator_and_the_backup_codes_without_the_codes(client, teller):
    import re

    import pyotp

    password_login(client, "teller1")
    page = client.get("/mfa/enrol/").content.decode()
    secret = re.search(r"<code>([A-Z2-7=]+)</code>", page).group(1)
    mark = last_sequence()
    with sql_log() as sql:
        done = client.post("/mfa/enrol/", {"token": pyotp.TOTP(secret).now(), "next": "/"})
    assert done.status_code == 200
    device = TOTPDevice.objects.get(user=teller, confirmed=True)
    enrolled, issued = records_since(mark)
    assert (enrolled.action, enrolled.object_type, enrolled.object_id, enrolled.actor) == (
        "access.mfa_enrolled",
        "user",
        str(teller.pk),
        "teller1",
    )
    assert enrolled.before == {"totp_confirmed": False}
    assert enrolled.after == {
        "username": "teller1",
        "totp_confirmed": True,
        "device_id": device.pk,
        "device_name": "authenticator",
    }
    assert issued.action == "access.mfa_backup_codes_issued"
    assert (issued.before, issued.after) == (
        {"backup_codes_remaining": 0},
        {"username": "teller1", "backup_codes_remaining": 10},
    )
    codes = StaticDevice.objects.get(user=teller).token_set.values_list("token", flat=True)
    trail = str([(r.before, r.after) for r in records_since(mark)])
    assert not any(code in trail for code in codes) and secret not in trail
    assert enrolled.actor_user_id == teller.pk
    assert sql.violations() == []
    assert audit_chain_verify().ok


def test_a_wrong_enrolment_code_is_recorded_as_a_failed_verification(client, teller):
    password_login(client, "teller1")
    client.get("/mfa/enrol/")
    mark = last_sequence()
    client.post("/mfa/enrol/", {"token": "000000"})
    (record,) = records_since(mark)
    assert record.action == "access.mfa_verification_failed"
    assert (record.before, record.after) == (None, {"username": "teller1", "stage": "enrol", "reason": "invalid_code"})


def test_a_verified_code_and_a_wrong_one_are_recorded(teller):
    totp = enrol_totp(teller)
    device = TOTPDevice.objects.get(user=teller)
    mark = last_sequence()
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    with sql_log() as sql:
        assert mfa_verify(user=teller, token=wrong).device is None
        device.throttle_reset()  # let the right code be checked at once
        assert mfa_verify(user=teller, token=totp.now()).device == device
    failed, verified = records_since(mark)
    assert (failed.action, failed.actor, failed.object_id) == (
        "access.mfa_verification_failed",
        "teller1",
        str(teller.pk),
    )
    assert failed.after == {"username": "teller1", "stage": "verify", "reason": "invalid_code"}
    assert verified.action == "access.mfa_verified"
    assert verified.after == {"username": "teller1", "device_type": "totp", "device_id": device.pk}
    assert sql.violations() == []
    assert audit_chain_verify().ok


def test_issuing_and_using_backup_codes_is_recorded_with_counts_only(teller):
    enrol_totp(teller)
    mark = last_sequence()
    codes = mfa_backup_codes_issue(user=teller, count=3, actor="boss")
    mfa_backup_codes_issue(user=teller, count=2)
    with sql_log() as sql:
        result = mfa_verify(user=teller, token=codes[0])  # replaced: no longer valid
        StaticDevice.objects.filter(user=teller).get().throttle_reset()
        TOTPDevice.objects.filter(user=teller).get().throttle_reset()
        fresh = StaticDevice.objects.get(user=teller).token_set.first().token
        used = mfa_verify(user=teller, token=fresh)
    assert result.device is None and isinstance(used.device, StaticDevice)
    first, second, failed, used_record = records_since(mark)
    assert (first.action, first.actor, first.before, first.after) == (
        "access.mfa_backup_codes_issued",
        "boss",
        {"backup_codes_remaining": 0},
        {"username": "teller1", "backup_codes_remaining": 3},
    )
    assert (second.actor, second.before["backup_codes_remaining"], second.after["backup_codes_remaining"]) == (
        "teller1",
        3,
        2,
    )
    assert failed.action == "access.mfa_verification_failed"
    assert used_record.action == "access.mfa_backup_code_used"
    assert (used_record.before, used_record.after) == (
        {"backup_codes_remaining": 2},
        {"username": "teller1", "backup_codes_remaining": 1, "device_id": used.device.pk},
    )
    assert fresh not in str(used_record.after) and codes[0] not in str(failed.after)
    assert sql.violations() == []
    assert audit_chain_verify().ok


def test_an_administrator_deleting_a_device_in_the_admin_is_an_audited_reset(teller):
    enrol_totp(teller)
    device = TOTPDevice.objects.get(user=teller)
    boss_user = make_staff("boss", "administrator")
    boss = otp_login(Client(), boss_user)
    mark = last_sequence()
    with sql_log() as sql:
        response = boss.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    (record,) = records_since(mark)
    assert (record.action, record.object_type, record.object_id, record.actor, record.actor_user_id) == (
        "access.mfa_device_reset",
        "user",
        str(teller.pk),
        "boss",
        boss_user.pk,
    )
    assert record.before == {"device_type": "totp", "device_id": device.pk, "device_name": "phone", "confirmed": True}
    assert record.after == {"username": "teller1", "device_id": None}
    assert AccessEvent.objects.filter(user=teller, kind=AccessEventKind.MFA_DEVICE_RESET, actor="boss").exists()
    assert sql.violations() == []  # the admin's log entry is written before the device is deleted
    assert audit_chain_verify().ok


def test_deleting_backup_codes_with_the_admin_bulk_action_is_recorded_per_device(teller):
    other = make_staff("teller2", "teller")
    mfa_backup_codes_issue(user=teller, count=2)
    mfa_backup_codes_issue(user=other, count=4)
    boss = otp_login(Client(), make_staff("boss", "administrator"))
    ids = list(StaticDevice.objects.filter(user__in=[teller, other]).order_by("pk").values_list("pk", flat=True))
    mark = last_sequence()
    response = boss.post(
        "/admin/otp_static/staticdevice/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )
    assert response.status_code == 302
    records = records_since(mark)
    assert [(r.action, r.object_id, r.before["backup_codes_remaining"]) for r in records] == [
        ("access.mfa_device_reset", str(teller.pk), 2),
        ("access.mfa_device_reset", str(other.pk), 4),
    ]
    assert audit_chain_verify().ok


def test_a_user_without_the_permission_cannot_reset_a_device(teller):
    enrol_totp(teller)
    device = TOTPDevice.objects.get(user=teller)
    auditor = otp_login(Client(), make_staff("aud", "auditor"))
    mark = last_sequence()
    response = auditor.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert records_since(mark, "access.") == []


def test_the_reset_service_records_who_and_what(teller):
    mfa_backup_codes_issue(user=teller, count=1)
    device = StaticDevice.objects.get(user=teller)
    mark = last_sequence()
    mfa_device_reset(device=device, actor="cli:root")
    (record,) = records_since(mark)
    assert record.before["device_type"] == "backup_codes" and record.actor == "cli:root"


def test_a_successful_password_sign_in_adds_no_access_record(teller):
    mark = last_sequence()
    assert password_login(Client(), "teller1", PASSWORD).status_code == 302
    assert [r.action for r in records_since(mark)] == ["auth.login_succeeded"]
