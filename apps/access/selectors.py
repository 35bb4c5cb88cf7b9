"""Reads about staff access. They never write and never lock."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django_otp import devices_for_user

from .models import LoginState


def login_is_locked(*, user: AbstractBaseUser) -> bool:
    return LoginState.objects.filter(user=user, locked_at__isnull=False).exists()


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
