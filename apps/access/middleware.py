"""Staff MFA enforcement and the portal's Content-Security-Policy.

``StaffMfaMiddleware`` runs after ``django_otp.middleware.OTPMiddleware``: a signed-in user whose session
has not passed the OTP step may reach only the OTP pages (verify, or enrol when there is no confirmed
authenticator yet), sign-out and static files. Everything else — portal and admin alike — redirects there.
The API is not redirected: ``OTPSessionAuthentication`` treats such a session as unauthenticated.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse

from .selectors import mfa_is_enrolled

# Paths a password-only session may reach. /api/ is handled by OTPSessionAuthentication.
# /mfa/webauthn/ holds the security-key ceremonies of the OTP step; views_webauthn checks who may use them.
_OPEN_PREFIXES = ("/api/", "/health", "/metrics", "/favicon.ico", "/mfa/webauthn/")

DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class StaffMfaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or getattr(user, "api_key", None) is not None:
            return self.get_response(request)
        is_verified = getattr(user, "is_verified", None)
        if is_verified is not None and is_verified():
            return self.get_response(request)
        path = request.path
        verify, enrol, logout = reverse("mfa-verify"), reverse("mfa-enrol"), reverse("logout")
        if path in (verify, enrol, logout) or path.startswith(_OPEN_PREFIXES + (settings.STATIC_URL,)):
            return self.get_response(request)
        target = verify if mfa_is_enrolled(user=user) else enrol
        return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")


class ContentSecurityPolicyMiddleware:
    """Send a strict CSP on portal pages: scripts and styles only from this origin, nothing inline.

    The Django admin and the JSON API are left alone; the Swagger page (``/api/docs/``, self-hosted Swagger UI
    with its start-up script in a separate file) gets the policy too. Set ``QENEX_CSP`` to change the policy.
    """

    excluded_prefixes = ("/admin/", "/api/")
    included_prefixes = ("/api/docs/",)

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "QENEX_CSP", DEFAULT_CSP)

    def __call__(self, request):
        response = self.get_response(request)
        excluded = request.path.startswith(self.excluded_prefixes) and not request.path.startswith(
            self.included_prefixes
        )
        if excluded or "Content-Security-Policy" in response:
            return response
        if response.get("Content-Type", "").startswith("text/html"):
            response["Content-Security-Policy"] = self.policy
        return response
