"""The admin site: staff with a verified OTP session only; sign-in goes through the portal's login."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.http import HttpResponseRedirect


class QenexAdminSite(admin.AdminSite):
    site_header = "QENEX administration"
    site_title = "QENEX admin"

    def has_permission(self, request) -> bool:
        user = request.user
        return super().has_permission(request) and callable(getattr(user, "is_verified", None)) and user.is_verified()

    def login(self, request, extra_context=None):
        """Send every admin sign-in through the portal (password with lockout, then the OTP step)."""
        target = request.GET.get("next") or "/admin/"
        return HttpResponseRedirect(f"{settings.LOGIN_URL}?{urlencode({'next': target})}")
