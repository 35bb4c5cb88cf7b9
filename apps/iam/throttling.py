"""Rate limits (per API key, per source IP, anonymous callers and failed API-key attempts per IP).

And what happens when their store fails.

Every throttle keeps its counters in the default cache (Redis when ``REDIS_URL`` is set). When Redis is
down, ``StoreFailureRule`` applies one rule to all of them, ``QENEX_THROTTLE_ON_REDIS_FAILURE``:

* ``open`` (default): the call goes through unlimited; a warning is logged (at most once a minute per
  process) and ``qenex_rate_limiter_unavailable_total{scope,outcome="allowed"}`` counts it.
* ``closed``: the call is refused with 503 ``rate_limiter_unavailable`` and ``Retry-After``
  (``outcome="refused"``).

A throttle that guards against guessing (failed authentication) may set ``on_store_failure = "closed"`` to
fail closed whatever the setting. New throttles subclass ``QenexRateThrottle``.
"""

from __future__ import annotations

import logging
import math
import threading
import time

from django.conf import settings
from prometheus_client import Counter
from redis.exceptions import RedisError
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.throttling import AnonRateThrottle as DrfAnonRateThrottle
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

RATE_LIMITER_UNAVAILABLE = Counter(
    "qenex_rate_limiter_unavailable_total",
    "API calls whose rate limit could not be checked because the rate limiter's store (Redis) failed",
    ["scope", "outcome"],
)
WARN_EVERY_SECONDS = 60.0
RETRY_AFTER_SECONDS = 5
# What a store failure looks like: Redis' own errors (refused, timed out, reset) and a socket that died under it.
STORE_ERRORS = (RedisError, OSError)


class RateLimiterUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "rate_limiter_unavailable"
    default_detail = "the rate limiter is unavailable, so the request was refused; retry later"

    def __init__(self) -> None:
        super().__init__()
        self.wait = RETRY_AFTER_SECONDS  # DRF's handler turns this into Retry-After


class StoreFailureRule:
    """The one rule for a rate limiter whose store failed: let the call through (open) or refuse it (closed)."""

    _lock = threading.Lock()
    _last_warning = 0.0

    @classmethod
    def apply(cls, *, scope: str, policy: str | None, error: BaseException) -> bool:
        """Return True to allow the call; raise ``RateLimiterUnavailable`` to refuse it."""
        policy = policy or settings.QENEX_THROTTLE_ON_REDIS_FAILURE
        outcome = "allowed" if policy == "open" else "refused"
        RATE_LIMITER_UNAVAILABLE.labels(scope, outcome).inc()
        with cls._lock:
            now = time.monotonic()
            warn = now - cls._last_warning >= WARN_EVERY_SECONDS
            if warn:
                cls._last_warning = now
        if warn:
            logger.warning(
                "rate limiter store unavailable (%s: %s); QENEX_THROTTLE_ON_REDIS_FAILURE=%s: calls are %s "
                "(counted in qenex_rate_limiter_unavailable_total; this warning repeats at most every %ds)",
                error.__class__.__name__,
                error,
                policy,
                outcome,
                WARN_EVERY_SECONDS,
            )
        if policy == "open":
            return True
        raise RateLimiterUnavailable()


class QenexRateThrottle(SimpleRateThrottle):
    """A cache-backed rate limit that applies ``StoreFailureRule`` when the cache fails."""

    on_store_failure: str | None = None  # None: QENEX_THROTTLE_ON_REDIS_FAILURE; or "open" / "closed"

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except STORE_ERRORS as error:
            return StoreFailureRule.apply(scope=self.scope, policy=self.on_store_failure, error=error)


class AnonRateThrottle(QenexRateThrottle, DrfAnonRateThrottle):
    """Anonymous callers per IP (DRF's rule), with the store-failure rule."""


class ApiKeyRateThrottle(QenexRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request, view):
        key = getattr(request.user, "api_key", None)
        if key is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": key.prefix}


class IpRateThrottle(QenexRateThrottle):
    """Every caller per source IP, authenticated or not.

    Bounds one machine that holds many keys. The client address is the socket's, unless
    ``QENEX_NUM_PROXIES`` says how many trusted proxies append to X-Forwarded-For: a header a client can
    write itself must never choose its own rate-limit bucket.
    """

    scope = "ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AuthFailureRateThrottle(QenexRateThrottle):
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
