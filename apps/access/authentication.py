"""DRF session authentication that accepts only sessions verified with a second factor."""

from __future__ import annotations

from rest_framework.authentication import SessionAuthentication


class OTPSessionAuthentication(SessionAuthentication):
    """Like ``SessionAuthentication``, but a password-only session counts as unauthenticated.

    ``django_otp.middleware.OTPMiddleware`` gives the request's user ``is_verified()``; a session that
    has not passed the OTP step is ignored here, so the API answers 401/403 exactly as for no session.
    API keys (``ApiKeyAuthentication``) are unaffected.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, auth = result
        is_verified = getattr(user, "is_verified", None)
        if is_verified is None or not is_verified():
            return None
        return user, auth
