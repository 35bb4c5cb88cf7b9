"""Staff sign-in pages: password (with lockout), then the OTP step, or enrolment for a first sign-in."""

from __future__ import annotations

import base64
import math
from datetime import UTC
from urllib.parse import urlencode

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from . import services
from .errors import MfaDeviceNotFound
from .qr import qr_svg_data_uri
from .selectors import mfa_is_enrolled

PENDING_DEVICE_SESSION_KEY = "qenex_mfa_pending_device"


class StaffAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": "Too many failed attempts: this login is locked from your address until %(until)s UTC (%(wait)s). "
        "Signing in from elsewhere is not affected; an administrator can unlock it sooner.",
        "throttled": "Too many failed sign-ins from your address: wait %(wait)s and try again.",
    }

    def get_invalid_login_error(self):
        locked_until = getattr(self.request, "qenex_login_locked_until", None)
        if locked_until is not None:
            wait = _seconds_text(math.ceil((locked_until - timezone.now()).total_seconds()))
            until = locked_until.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
            return ValidationError(self.error_messages["locked"], code="locked", params={"until": until, "wait": wait})
        wait_seconds = getattr(self.request, "qenex_login_wait_seconds", None)
        if wait_seconds:
            return ValidationError(
                self.error_messages["throttled"], code="throttled", params={"wait": _seconds_text(wait_seconds)}
            )
        return super().get_invalid_login_error()


class StaffLoginView(auth_views.LoginView):
    form_class = StaffAuthenticationForm


def _next_url(request, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _seconds_text(seconds: int) -> str:
    seconds = max(1, seconds)
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _throttled_message(wait_seconds: int) -> str:
    return f"Too many attempts: wait {_seconds_text(wait_seconds)} and try again."


def _already_verified(request) -> bool:
    return bool(getattr(request.user, "is_verified", None) and request.user.is_verified())


@never_cache
@sensitive_post_parameters("token")
@login_required
def mfa_verify(request):
    """Ask for a code from the authenticator app (or a backup code) and mark the session verified."""
    if _already_verified(request):
        return redirect(_next_url(request))
    if not mfa_is_enrolled(user=request.user):
        return redirect(f"{reverse('mfa-enrol')}?{urlencode({'next': _next_url(request)})}")
    error = ""
    if request.method == "POST":
        result = services.mfa_verify(user=request.user, token=request.POST.get("token", ""))
        if result.device is not None:
            otp_login(request, result.device)
            request.session.cycle_key()
            return redirect(_next_url(request))
        if result.wait_seconds:
            error = _throttled_message(result.wait_seconds)
        else:
            error = "That code is not valid (codes are single-use and expire after 30 seconds)."
    return render(request, "access/verify.html", {"error": error, "next": _next_url(request)})


@never_cache
@sensitive_post_parameters("token")
@login_required
def mfa_enrol(request):
    """Enrol an authenticator: show its QR code, confirm with a first code, show backup codes once."""
    if mfa_is_enrolled(user=request.user):
        if _already_verified(request):
            return redirect(_next_url(request))
        return redirect(f"{reverse('mfa-verify')}?{urlencode({'next': _next_url(request)})}")
    error = ""
    if request.method == "POST":
        try:
            result = services.mfa_totp_device_confirm(
                user=request.user,
                device_id=int(request.session.get(PENDING_DEVICE_SESSION_KEY, 0)),
                token=request.POST.get("token", "").strip(),
            )
        except MfaDeviceNotFound:
            result = None
            error = "The enrolment expired; scan the new code below."
        if result is not None and result.confirmed:
            request.session.pop(PENDING_DEVICE_SESSION_KEY, None)
            otp_login(request, result.device)
            request.session.cycle_key()
            return render(
                request, "access/backup_codes.html", {"codes": result.backup_codes, "next": _next_url(request)}
            )
        if not error and result.wait_seconds:
            error = _throttled_message(result.wait_seconds)
        error = error or "That code is not valid; wait for the next code in the app and try again."
    device = services.mfa_totp_device_start(user=request.user)
    request.session[PENDING_DEVICE_SESSION_KEY] = device.pk
    return render(
        request,
        "access/enrol.html",
        {
            "qr": qr_svg_data_uri(device.config_url),
            "secret": base64.b32encode(device.bin_key).decode("ascii"),
            "error": error,
            "next": _next_url(request),
        },
    )
