"""Rate limiting per API key, per source IP, and of failed API-key attempts per source IP.

Anonymous callers are limited per IP by DRF's AnonRateThrottle. Every limit here is a DRF
``SimpleRateThrottle`` over the default cache (Redis), so they share one mechanism.
"""

from __future__ import annotations

import math

from rest_framework.throttling import SimpleRateThrottle


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request, view):
        key = getattr(request.user, "api_key", None)
        if key is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": key.prefix}


class IpRateThrottle(SimpleRateThrottle):
    """Every caller per source IP, authenticated or not.

    Bounds one machine that holds many keys. The client address is the socket's, unless
    ``QENEX_NUM_PROXIES`` says how many trusted proxies append to X-Forwarded-For: a header a client can
    write itself must never choose its own rate-limit bucket.
    """

    scope = "ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AuthFailureRateThrottle(SimpleRateThrottle):
    """Failed API-key attempts per source IP (``QENEX_THROTTLE_AUTH_FAILURES``).

    Authentication runs before DRF's throttles and a wrong key ends the request with 401, so without this a
    brute-forcer is never counted. ``ApiKeyAuthentication`` asks ``retry_after`` before checking a key — once
    the budget is spent no key from that address is checked at all, or the answer would still tell a found
    key from a wrong one — and calls ``failure_record`` after a failure. Successful calls use none of it.
    The bucket is the same client address as ``IpRateThrottle``'s.
    """

    scope = "auth_failures"

    def __init__(self) -> None:
        super().__init__()
        self._peeking = False

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def retry_after(self, request) -> int | None:
        """Whole seconds to wait when the address has spent its failures, else None. Records nothing."""
        self._peeking = True
        try:
            allowed = self.allow_request(request, None)
        finally:
            self._peeking = False
        return None if allowed else max(1, math.ceil(self.wait() or 1))

    def failure_record(self, request) -> None:
        self.allow_request(request, None)

    def throttle_success(self):
        # allow_request's "allowed" branch appends the attempt to the history; a peek must not.
        return True if self._peeking else super().throttle_success()
