"""Security-key pages and the JSON endpoints of the WebAuthn ceremonies (django-otp-webauthn's views, tightened).

- ``/mfa/keys/``: the signed-in (OTP-verified) user's keys, a button to register another, and removal.
- ``/mfa/webauthn/registration/{begin,complete}/``: register a key for the signed-in user - only that user,
  and only from a verified session unless the user has no authenticator yet (enrolment with a key).
- ``/mfa/webauthn/authentication/{begin,complete}/``: the second factor after the password. Passwordless
  sign-in is off, so an anonymous caller gets 403; a key of another user is refused.

The JSON endpoints are reachable by a password-only session (``StaffMfaMiddleware`` lets ``/mfa/webauthn/``
through); every check that matters is here and in the plugin. The browser side is ``static/js/security-keys.js``.
"""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp_webauthn import exceptions
from django_otp_webauthn.utils import rewrite_exceptions
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from . import webauthn
from .selectors import mfa_is_enrolled

logger = logging.getLogger("django_otp_webauthn")


def _is_verified(request) -> bool:
    return bool(getattr(request.user, "is_verified", None) and request.user.is_verified())


class _RegistrationPolicy:
    """Only the signed-in user registers, for themselves; a user with an authenticator must be verified."""

    def user_is_mfa_enrolled(self, user) -> bool:
        # Our definition (TOTP or key), not the plugin's "any device": backup codes alone are no enrolment.
        return mfa_is_enrolled(user=user)


class SecurityKeyRegistrationBegin(_RegistrationPolicy, BeginCredentialRegistrationView):
    pass


class SecurityKeyRegistrationComplete(_RegistrationPolicy, CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        user = self.get_user()
        state = self.get_state()  # popped and saved first: a challenge is never used twice
        first_factor = not _is_verified(self.request)
        with rewrite_exceptions(logger=logger), transaction.atomic():
            credential = self.get_helper().register_complete(user=user, state=state, data=self.request.data)
            webauthn.security_key_registration_record(user=user, credential=credential, first_factor=first_factor)
        if first_factor:  # enrolment with a key: this key verifies the session, as a first TOTP code does
            otp_login(self.request, credential)
            self.request.session.cycle_key()
        return JsonResponse({"id": credential.pk})


class _AuthenticationPolicy:
    def check_can_authenticate(self):
        # A key is a second factor only: the password step must have signed the user in.
        user = self.get_user()
        if user is None:
            raise exceptions.NotAuthenticated()
        if not user.is_active:
            raise exceptions.UserDisabled()


class SecurityKeyAuthenticationBegin(_AuthenticationPolicy, BeginCredentialAuthenticationView):
    pass


class SecurityKeyAuthenticationComplete(_AuthenticationPolicy, CompleteCredentialAuthenticationView):
    def post(self, *args, **kwargs):
        user = self.get_user()
        try:
            state = self.get_state()  # popped and saved first: a replayed assertion finds no challenge
            with rewrite_exceptions(logger=logger), transaction.atomic():
                credential = self.get_helper().authenticate_complete(user=user, state=state, data=self.request.data)
                self.check_device_usable(credential)
                webauthn.security_key_verification_record(user=user, credential=credential)
        except exceptions.OTPWebAuthnApiError as exc:
            webauthn.security_key_failure_record(user=user, code=exc.code)
            raise
        otp_login(self.request, credential)
        self.request.session.cycle_key()
        return JsonResponse({"id": credential.pk, "redirect_url": self.get_success_url()})


@never_cache
@login_required
def security_keys_page(request, *, error: str = "", status: int = 200):
    """List the user's security keys, with a button to register another (reached only when verified)."""
    context = {"keys": webauthn.security_keys(user=request.user), "error": error}
    return render(request, "access/keys.html", context, status=status)


@never_cache
@require_POST
@login_required
def security_key_remove(request, credential_id: int):
    try:
        webauthn.security_key_remove(user=request.user, credential_id=credential_id, actor=request.user.get_username())
    except (webauthn.SecurityKeyNotFound, webauthn.LastAuthenticatorRefused) as exc:
        return security_keys_page(request, error=exc.message, status=exc.http_status)
    return redirect("mfa-keys")
