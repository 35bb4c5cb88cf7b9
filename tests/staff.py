"""Staff users for tests: a role, an authenticator app (pyotp) and a real sign-in through password and OTP."""

from __future__ import annotations

import base64

import pyotp
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "a-long-password-123"


def make_staff(username: str, role: str | None = None, *, superuser: bool = False):
    User = get_user_model()
    if superuser:
        user = User.objects.create_superuser(username, f"{username}@example.invalid", PASSWORD)
    else:
        user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def enrol_totp(user) -> pyotp.TOTP:
    """Give ``user`` a confirmed authenticator; return the app side that produces its codes."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return pyotp.TOTP(base64.b32encode(device.bin_key).decode())


def password_login(client, username: str, password: str = PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def otp_login(client, user, totp: pyotp.TOTP | None = None):
    """Sign ``client`` in as ``user`` the way a person does: password, then a fresh authenticator code."""
    totp = totp or enrol_totp(user)
    response = password_login(client, user.get_username())
    assert response.status_code == 302, response.content
    response = client.post("/mfa/verify/", {"token": totp.now()})
    assert response.status_code == 302, response.content
    return client
