"""Reads about staff access. They never write and never lock."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django_otp import devices_for_user

from .models import LoginState


def login_lock_get(*, user: AbstractBaseUser, source_ip: str) -> LoginState | None:
    """The current lock of ``user``'s sign-ins from ``source_ip``, or None."""
    return LoginState.objects.filter(user=user, source_ip=source_ip, locked_until__gt=timezone.now()).first()


def login_locks(*, user: AbstractBaseUser) -> list[LoginState]:
    """Every address ``user``'s sign-ins are locked out from now."""
    return list(LoginState.objects.filter(user=user, locked_until__gt=timezone.now()).order_by("source_ip"))


def mfa_is_enrolled(*, user: AbstractBaseUser) -> bool:
    """True when the user has a confirmed authenticator or security key (backup codes alone do not count)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp_webauthn.models import WebAuthnCredential

    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    )


def mfa_devices(*, user: AbstractBaseUser) -> list:
    return list(devices_for_user(user, confirmed=True))
