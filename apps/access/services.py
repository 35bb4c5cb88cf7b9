"""Every write about staff access: failed/successful password checks, locks, unlocks and MFA enrolment.

A password failure and the lock it may cause are written in one transaction with the row locked, so two
concurrent wrong guesses cannot both slip under the limit. Every change leaves an ``AccessEvent``.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

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


def _state_for_update(user: AbstractBaseUser) -> LoginState:
    LoginState.objects.get_or_create(user=user)
    return LoginState.objects.select_for_update(no_key=True).get(user=user)


@transaction.atomic
def login_failure_record(*, user: AbstractBaseUser, remote_addr: str = "") -> LoginState:
    """Count one wrong password; the ``max_login_attempts``-th consecutive failure locks the login."""
    state = _state_for_update(user)
    now = timezone.now()
    state.failed_attempts += 1
    state.last_failure_at = now
    detail = {"failed_attempts": state.failed_attempts, "remote_addr": remote_addr}
    access_event_record(user=user, kind=AccessEventKind.LOGIN_FAILED, actor=user.get_username(), detail=detail)
    if state.locked_at is None and state.failed_attempts >= max_login_attempts():
        state.locked_at = now
        access_event_record(user=user, kind=AccessEventKind.LOCKED, actor="system", detail=detail)
    state.save()
    return state


@transaction.atomic
def login_success_record(*, user: AbstractBaseUser, remote_addr: str = "") -> LoginState:
    """Reset the failure counter after a correct password (never called for a locked login)."""
    state = _state_for_update(user)
    state.failed_attempts = 0
    state.last_success_at = timezone.now()
    state.save()
    access_event_record(
        user=user, kind=AccessEventKind.LOGIN_SUCCEEDED, actor=user.get_username(), detail={"remote_addr": remote_addr}
    )
    return state


@transaction.atomic
def login_locked_refusal_record(*, user: AbstractBaseUser, remote_addr: str = "") -> None:
    access_event_record(
        user=user,
        kind=AccessEventKind.LOCKED_LOGIN_REFUSED,
        actor=user.get_username(),
        detail={"remote_addr": remote_addr},
    )


@transaction.atomic
def user_unlock(*, user: AbstractBaseUser, actor: str, reason: str = "") -> LoginState:
    """Lift a lock and reset the counter. Audited: who unlocked whom, and why."""
    state = _state_for_update(user)
    if state.locked_at is None:
        raise NotLocked(f"the login of {user.get_username()} is not locked", field="username")
    detail = {"locked_at": state.locked_at.isoformat(), "failed_attempts": state.failed_attempts, "reason": reason}
    state.locked_at = None
    state.failed_attempts = 0
    state.save()
    access_event_record(user=user, kind=AccessEventKind.UNLOCKED, actor=actor, detail=detail)
    return state


# --- MFA -----------------------------------------------------------------------------------------------


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


@transaction.atomic
def mfa_totp_device_confirm(*, user: AbstractBaseUser, device_id: int, token: str) -> MfaConfirmation:
    """Confirm an enrolment with the first code from the authenticator app and issue fresh backup codes.

    A wrong code returns ``confirmed=False`` rather than raising, so the failure event and django-otp's
    throttling counter are committed. Raise ``MfaDeviceNotFound`` for a device that is not the user's
    pending one.
    """
    device = TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
    if device is None:
        raise MfaDeviceNotFound("no pending authenticator enrolment; start again", field="token")
    if not device.verify_token(token):
        access_event_record(user=user, kind=AccessEventKind.OTP_FAILED, actor=user.get_username(), detail={})
        return MfaConfirmation(device, False, [])
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = mfa_backup_codes_issue(user=user)
    access_event_record(user=user, kind=AccessEventKind.MFA_ENROLLED, actor=user.get_username(), detail={})
    return MfaConfirmation(device, True, codes)


@transaction.atomic
def mfa_verify(*, user: AbstractBaseUser, token: str):
    """Return the confirmed device (authenticator or backup code) that accepts ``token``, or None.

    django-otp refuses a TOTP code already used (it stores the last accepted time step) and deletes a
    backup code once used. Both outcomes are recorded.
    """
    device = match_token(user, token.strip().replace(" ", ""))
    if device is None:
        access_event_record(user=user, kind=AccessEventKind.OTP_FAILED, actor=user.get_username(), detail={})
        return None
    access_event_record(
        user=user,
        kind=AccessEventKind.OTP_VERIFIED,
        actor=user.get_username(),
        detail={"device": type(device).__name__},
    )
    return device


@transaction.atomic
def mfa_backup_codes_issue(*, user: AbstractBaseUser, count: int = BACKUP_CODE_COUNT) -> list[str]:
    """Replace the user's backup codes with ``count`` new single-use codes and return them."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [secrets.token_hex(5) for _ in range(count)]  # 40 bits each, single use
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def mfa_totp_device_create_confirmed(*, user: AbstractBaseUser, name: str = TOTP_DEVICE_NAME) -> TOTPDevice:
    """Create a confirmed TOTP device directly (used by ``load_demo`` to print a provisioning URI once)."""
    device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
    access_event_record(user=user, kind=AccessEventKind.MFA_ENROLLED, actor="system", detail={"via": "command"})
    return device
