"""WebSocket sign-in for staff: the Channels counterpart of the HTTP stack's OTP rule.

Over HTTP, ``OTPMiddleware`` marks the session's second factor and ``StaffMfaMiddleware`` /
``OTPSessionAuthentication`` treat a password-only session as not signed in. ``StaffAuthMiddlewareStack``
does the same for every WebSocket route: ``scope["user"]`` is the session's user only when the session
passed the OTP step with a confirmed device of that user; otherwise it is ``AnonymousUser``. Consumers
still check the permission of the page that shows the same data.
"""

from __future__ import annotations

from importlib import import_module

from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device


@database_sync_to_async
def _verified_device(session, user) -> Device | None:
    """The confirmed device of ``user`` that verified this session, as django-otp's middleware decides it."""
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    return device


async def verified_user(scope):
    """The session's user when it is signed in and passed the OTP step, else ``AnonymousUser``."""
    user = await get_user(scope)
    device = await _verified_device(scope["session"], user) if user.is_authenticated else None
    if device is None:
        return AnonymousUser()
    user.otp_device = device
    user.is_verified = lambda: True
    return user


async def verified_user_again(scope):
    """``verified_user`` from the session store as it is now (signed out, expired or flushed: anonymous).

    A socket outlives the handshake; a long-lived consumer calls this to notice the session has ended.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    fresh = await database_sync_to_async(_loaded)(store(session_key=scope["session"].session_key))
    return await verified_user(dict(scope, session=fresh))


def _loaded(session):
    session.get(SESSION_KEY)  # reads the store now, off the event loop; a missing or expired session is empty
    return session


class OTPVerifiedAuthMiddleware(BaseMiddleware):
    """Put the signed-in, OTP-verified user in ``scope["user"]``, or ``AnonymousUser``."""

    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        scope["user"] = await verified_user(scope)
        return await super().__call__(scope, receive, send)


def StaffAuthMiddlewareStack(inner):  # noqa: N802  (named like Channels' AuthMiddlewareStack)
    return CookieMiddleware(SessionMiddleware(OTPVerifiedAuthMiddleware(inner)))
