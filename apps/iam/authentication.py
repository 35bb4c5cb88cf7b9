"""``Authorization: Bearer qnx_...`` (or ``Token qnx_...``) authentication for machine clients."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions

from .services import api_key_authenticate
from .throttling import AuthFailureRateThrottle


class ApiClientUser(AnonymousUser):
    """The request's user when an API key authenticated it: not a staff user, carries the key."""

    def __init__(self, key):
        super().__init__()
        self.api_key = key
        self.username = key.client.actor_name

    @property
    def is_authenticated(self):  # type: ignore[override]
        return True

    @property
    def is_anonymous(self):  # type: ignore[override]
        return False

    def __str__(self) -> str:
        return self.username


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keywords = ("Bearer", "Token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        parts = header.split()
        if not parts or parts[0] not in self.keywords:
            return None
        failures = AuthFailureRateThrottle()
        wait = failures.retry_after(request)
        if wait is not None:
            raise exceptions.Throttled(wait=wait)
        if len(parts) != 2:
            failures.failure_record(request)
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <api key>'")
        key = api_key_authenticate(parts[1])
        if key is None:
            failures.failure_record(request)
            raise exceptions.AuthenticationFailed("invalid, expired or revoked API key")
        return ApiClientUser(key), key

    def authenticate_header(self, request):
        return 'Bearer realm="qenex"'
