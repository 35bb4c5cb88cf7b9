"""Every write about staff access: failed/successful password checks, locks, unlocks and MFA enrolment.

Password failures are counted per (user, source IP), so wrong guesses from one address lock out only that
address. A failure and the lock it may cause are written in one transaction with the row locked, so two
concurrent wrong guesses cannot both slip under the limit. Every change leaves an ``AccessEvent``; every
state change (lock, unlock, enrolment, verification, backup codes, device reset) also reaches the audit
trail, as the last write of its transaction (``audit_record`` locks the chain head until commit, so no
row lock may follow it).
"""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.services import audit_record

from .errors import MfaDeviceNotFound, NotLocked
from .models import AccessEvent, AccessEventKind, LoginState

logger = logging.getLogger("qenex.access")

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup codes"


def max_login_attempts() -> int:
    return int(settings.QENEX["security"].get("max_login_attempts", 3))


def access_event_record(*, user: AbstractBaseUser, kind: str, actor: str, detail: dict | None = None) -> AccessEvent:
    """Append one security event (and log it, so it reaches the central log too)."""
    logger.info("access %s user=%s actor=%s %s", kind, user.get_username(), actor, detail or {})
    return AccessEvent.objects.create(user=user, kind=kind, actor=actor[:150], detail=detail or {})


def _audit(*, action: str, user: AbstractBaseUser, actor: str, before: Any = None, after: Any = None) -> None:
    """Write the audit record of a change to ``user``'s access: the last write of the caller's transaction."""
    audit_record(
        action=action,
        object_type="user",
        object_id=str(user.pk),
        before=before,
        after={"username": user.get_username(), **(after or {})},
        actor=actor,
    )


def login_lock_seconds(failed_attempts: int) -> int:
    """How long the ``failed_attempts``-th consecutive failure from one address locks it out: 0 below the limit.

    At the limit the lock lasts ``QENEX_LOGIN_LOCK_SECONDS``, and each further failure (once a lock has run
    out) doubles it, up to ``QENEX_LOGIN_LOCK_MAX_SECONDS``.
    """
    beyond = failed_attempts - max_login_attempts()
    if beyond < 0:
        return 0
    base, cap = int(settings.QENEX_LOGIN_LOCK_SECONDS), int(settings.QENEX_LOGIN_LOCK_MAX_SECONDS)
    return min(cap, base * 2 ** min(beyond, 32))


def _state_for_update(user: AbstractBaseUser, source_ip: str) -> LoginState:
    LoginState.objects.get_or_create(user=user, source_ip=source_ip)
    return LoginState.objects.select_for_update(no_key=True).get(user=user, source_ip=source_ip)


def _lock_described(state: LoginState) -> dict[str, Any]:
    return {"source_ip": state.source_ip, "locked_until": state.locked_until, "failed_attempts": state.failed_attempts}


@transaction.atomic
def login_failure_record(*, user: AbstractBaseUser, source_ip: str = "") -> LoginState:
    """Count one wrong password from ``source_ip``; from the ``max_login_attempts``-th on, lock that address out.

    Only this (user, address) pair is locked: the user still signs in from elsewhere. The failure itself
    reaches the audit trail through Django's ``user_login_failed`` signal (``apps.audit.receivers``); the lock
    is recorded here.
    """
    state = _state_for_update(user, source_ip)
    now = timezone.now()
    before = _lock_described(state)
    state.failed_attempts += 1
    state.last_failure_at = now
    detail: dict[str, Any] = {"failed_attempts": state.failed_attempts, "remote_addr": source_ip}
    access_event_record(user=user, kind=AccessEventKind.LOGIN_FAILED, actor=user.get_username(), detail=detail)
    lock_seconds = 0 if state.is_locked_at(now) else login_lock_seconds(state.failed_attempts)
    if lock_seconds:
        state.locked_at, state.locked_until = now, now + timedelta(seconds=lock_seconds)
        detail = {**detail, "locked_until": state.locked_until.isoformat(), "lock_seconds": lock_seconds}
        access_event_record(user=user, kind=AccessEventKind.LOCKED, actor="system", detail=detail)
    state.save()
    if lock_seconds:
        _audit(
            action="access.login_locked",
            user=user,
            actor="system",
            before=before,
            after={**_lock_described(state), "locked_at": now, "lock_seconds": lock_seconds},
        )
    return state


@transaction.atomic
def login_success_record(*, user: AbstractBaseUser, source_ip: str = "") -> LoginState:
    """Reset the failure counter of this address after a correct password (never called while it is locked)."""
    state = _state_for_update(user, source_ip)
    state.failed_attempts = 0
    state.last_success_at = timezone.now()
    state.save()
    access_event_record(
        user=user, kind=AccessEventKind.LOGIN_SUCCEEDED, actor=user.get_username(), detail={"remote_addr": source_ip}
    )
    return state


@transaction.atomic
def login_locked_refusal_record(*, user: AbstractBaseUser, state: LoginState) -> None:
    access_event_record(
        user=user,
        kind=AccessEventKind.LOCKED_LOGIN_REFUSED,
        actor=user.get_username(),
        detail={"remote_addr": state.source_ip, "locked_until": state.locked_until.isoformat()},
    )


@transaction.atomic
def user_unlock(
    *, user: AbstractBaseUser, actor: str, reason: str = "", source_ip: str | None = None
) -> list[LoginState]:
    """Lift the user's current locks (every address, or only ``source_ip``) and reset their counters.

    Audited once: who unlocked whom, which addresses, and why. Raise ``NotLocked`` when nothing is locked.
    """
    now = timezone.now()
    locked = LoginState.objects.select_for_update(no_key=True).filter(user=user, locked_until__gt=now)
    if source_ip is not None:
        locked = locked.filter(source_ip=source_ip)
    states = list(locked.order_by("pk"))
    if not states:
        where = f" from {source_ip or 'an unknown address'}" if source_ip is not None else ""
        raise NotLocked(f"the login of {user.get_username()} is not locked{where}", field="username")
    before = [_lock_described(state) for state in states]
    for state in states:
        state.locked_until = None
        state.failed_attempts = 0
        state.save(update_fields=["locked_until", "failed_attempts"])
    detail = {
        "locks": [{**lock, "locked_until": lock["locked_until"].isoformat()} for lock in before],
        "reason": reason,
    }
    access_event_record(user=user, kind=AccessEventKind.UNLOCKED, actor=actor, detail=detail)
    _audit(
        action="access.login_unlocked",
        user=user,
        actor=actor,
        before={"locks": before},
        after={"locks": [], "unlocked": [state.source_ip for state in states], "reason": reason},
    )
    return states


# --- MFA -----------------------------------------------------------------------------------------------


def _device_type(device: Device) -> str:
    if isinstance(device, StaticDevice):
        return "backup_codes"
    if isinstance(device, TOTPDevice):
        return "totp"
    return type(device).__name__


def _throttle_wait_seconds(devices: list[Device], now: datetime | None = None) -> int:
    """Seconds until every throttled device of ``devices`` accepts a code again; 0 when none is throttled.

    django-otp refuses any code, right or wrong, for 1 s, 2 s, 4 s ... after consecutive failures, without
    checking it (and without counting the refusal as another failure).
    """
    now = now or timezone.now()
    wait = 0
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if not allowed:
            locked_until = (data or {}).get("locked_until")
            seconds = math.ceil((locked_until - now).total_seconds()) if locked_until else 1
            wait = max(wait, seconds, 1)
    return wait


def _verification_failed(*, user: AbstractBaseUser, stage: str, wait_seconds: int) -> None:
    """Record a refused code: a wrong one, or any code while django-otp throttles the device."""
    after: dict[str, Any] = {"stage": stage, "reason": "throttled" if wait_seconds else "invalid_code"}
    if wait_seconds:
        after["wait_seconds"] = wait_seconds
    access_event_record(user=user, kind=AccessEventKind.OTP_FAILED, actor=user.get_username(), detail=after)
    _audit(action="access.mfa_verification_failed", user=user, actor=user.get_username(), after=after)


@transaction.atomic
def mfa_totp_device_start(*, user: AbstractBaseUser) -> TOTPDevice:
    """Return the user's unconfirmed TOTP device, creating one (with a fresh secret) if there is none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


@dataclass(frozen=True)
class MfaConfirmation:
    device: TOTPDevice
    confirmed: bool
    backup_codes: list[str]  # shown once; django-otp keeps them for single use
    wait_seconds: int = 0  # > 0: the code was not checked, django-otp throttles the device after failures


@transaction.atomic
def mfa_totp_device_confirm(*, user: AbstractBaseUser, device_id: int, token: str) -> MfaConfirmation:
    """Confirm an enrolment with the first code from the authenticator app and issue fresh backup codes.

    A wrong code returns ``confirmed=False`` rather than raising, so the failure event and django-otp's
    throttling counter are committed; while the device is throttled ``wait_seconds`` says how long to
    wait. Raise ``MfaDeviceNotFound`` for a device that is not the user's pending one.
    """
    device = TOTPDevice.objects.select_for_update(no_key=True).filter(pk=device_id, user=user, confirmed=False).first()
    if device is None:
        raise MfaDeviceNotFound("no pending authenticator enrolment; start again", field="token")
    wait_seconds = _throttle_wait_seconds([device])
    if wait_seconds or not device.verify_token(token):
        _verification_failed(user=user, stage="enrol", wait_seconds=wait_seconds)
        return MfaConfirmation(device, False, [], wait_seconds)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes, replaced = _backup_codes_replace(user=user, count=BACKUP_CODE_COUNT)
    access_event_record(user=user, kind=AccessEventKind.MFA_ENROLLED, actor=user.get_username(), detail={})
    access_event_record(
        user=user, kind=AccessEventKind.BACKUP_CODES_ISSUED, actor=user.get_username(), detail={"count": len(codes)}
    )
    # The audit records come last: no row is locked after them.
    _audit(
        action="access.mfa_enrolled",
        user=user,
        actor=user.get_username(),
        before={"totp_confirmed": False},
        after={"totp_confirmed": True, "device_id": device.pk, "device_name": device.name},
    )
    _audit_backup_codes_issued(user=user, actor=user.get_username(), replaced=replaced, issued=len(codes))
    return MfaConfirmation(device, True, codes)


@dataclass(frozen=True)
class MfaVerification:
    device: Device | None  # the device that accepted the code, or None
    wait_seconds: int = 0  # > 0: refused without checking the code, django-otp throttles after failures


@transaction.atomic
def mfa_verify(*, user: AbstractBaseUser, token: str) -> MfaVerification:
    """Check ``token`` against the user's confirmed devices (authenticator, then backup codes).

    django-otp refuses a TOTP code already used (it stores the last accepted time step), deletes a backup
    code once used, and after a failure refuses every code for a growing back-off; a device in back-off is
    not asked, and if no other device accepts the code the result carries the seconds to wait. Every
    outcome is recorded.
    """
    token = token.strip().replace(" ", "")
    devices = list(devices_for_user(user, confirmed=True, for_verify=True))  # locked, as match_token does
    now = timezone.now()
    throttled = [d for d in devices if not d.verify_is_allowed()[0]]
    matched = next((d for d in devices if d not in throttled and d.verify_token(token)), None)
    if matched is None:
        wait_seconds = _throttle_wait_seconds(throttled, now)
        _verification_failed(user=user, stage="verify", wait_seconds=wait_seconds)
        return MfaVerification(None, wait_seconds)
    access_event_record(
        user=user,
        kind=AccessEventKind.OTP_VERIFIED,
        actor=user.get_username(),
        detail={"device": type(matched).__name__},
    )
    if isinstance(matched, StaticDevice):
        remaining = matched.token_set.count()  # the used code is already deleted
        _audit(
            action="access.mfa_backup_code_used",
            user=user,
            actor=user.get_username(),
            before={"backup_codes_remaining": remaining + 1},
            after={"backup_codes_remaining": remaining, "device_id": matched.pk},
        )
    else:
        _audit(
            action="access.mfa_verified",
            user=user,
            actor=user.get_username(),
            after={"device_type": _device_type(matched), "device_id": matched.pk},
        )
    return MfaVerification(matched)


def _backup_codes_replace(*, user: AbstractBaseUser, count: int) -> tuple[list[str], int]:
    """Replace the user's backup codes; return the new codes and how many unused ones were replaced."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True})
    replaced, _ = device.token_set.all().delete()
    codes = [secrets.token_hex(5) for _ in range(count)]  # 40 bits each, single use
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes, replaced


def _audit_backup_codes_issued(*, user: AbstractBaseUser, actor: str, replaced: int, issued: int) -> None:
    # Counts only: the codes themselves never reach the trail.
    _audit(
        action="access.mfa_backup_codes_issued",
        user=user,
        actor=actor,
        before={"backup_codes_remaining": replaced},
        after={"backup_codes_remaining": issued},
    )


@transaction.atomic
def mfa_backup_codes_issue(
    *, user: AbstractBaseUser, count: int = BACKUP_CODE_COUNT, actor: str | None = None
) -> list[str]:
    """Replace the user's backup codes with ``count`` new single-use codes and return them."""
    actor = actor or user.get_username()
    codes, replaced = _backup_codes_replace(user=user, count=count)
    access_event_record(user=user, kind=AccessEventKind.BACKUP_CODES_ISSUED, actor=actor, detail={"count": count})
    _audit_backup_codes_issued(user=user, actor=actor, replaced=replaced, issued=count)
    return codes


@transaction.atomic
def mfa_device_reset(*, device: Device, actor: str) -> None:
    """Delete a user's authenticator or backup-code device (lost phone); the user enrols again.

    Called by the admin when an administrator deletes a device.
    """
    user = device.user
    described = {
        "device_type": _device_type(device),
        "device_id": device.pk,
        "device_name": device.name,
        "confirmed": device.confirmed,
    }
    if isinstance(device, StaticDevice):
        described["backup_codes_remaining"] = device.token_set.count()
    device.delete()
    access_event_record(user=user, kind=AccessEventKind.MFA_DEVICE_RESET, actor=actor, detail=described)
    _audit(action="access.mfa_device_reset", user=user, actor=actor, before=described, after={"device_id": None})


@transaction.atomic
def mfa_totp_device_create_confirmed(*, user: AbstractBaseUser, name: str = TOTP_DEVICE_NAME) -> TOTPDevice:
    """Create a confirmed TOTP device directly (used by ``load_demo`` to print a provisioning URI once)."""
    device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
    access_event_record(user=user, kind=AccessEventKind.MFA_ENROLLED, actor="system", detail={"via": "command"})
    _audit(
        action="access.mfa_enrolled",
        user=user,
        actor="system",
        before={"totp_confirmed": False},
        after={"totp_confirmed": True, "device_id": device.pk, "device_name": device.name, "via": "command"},
    )
    return device
