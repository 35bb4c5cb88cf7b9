"""Rate limiting per API key (anonymous callers are limited per IP by DRF's AnonRateThrottle)."""

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
