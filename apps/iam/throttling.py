"""Rate limiting per API key (anonymous callers are limited per IP by DRF's AnonRateThrottle)."""

from rest_framework.throttling import SimpleRateThrottle


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request, view):
        key = getattr(request.user, "api_key", None)
        if key is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": key.prefix}
