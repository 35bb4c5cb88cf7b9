"""``{% security_key_verify %}`` and ``{% security_key_register %}``: the security-key buttons of the MFA pages.

Each renders a small form read by ``static/js/security-keys.js`` (no inline script: the portal's CSP).
"""

from __future__ import annotations

from django import template
from django.urls import reverse

from apps.access.webauthn import security_key_is_enrolled

register = template.Library()


@register.inclusion_tag("access/_security_key_form.html", takes_context=True)
def security_key_verify(context, next_url: str = "/"):
    """The "use security key" button, shown only to a user who has one."""
    user = context["request"].user
    if not user.is_authenticated or not security_key_is_enrolled(user=user):
        return {"show": False}
    return {
        "show": True,
        "mode": "authenticate",
        "begin": reverse("mfa-webauthn-authentication-begin"),
        "complete": reverse("mfa-webauthn-authentication-complete"),
        "next": next_url,
        "label": "Use security key",
    }


@register.inclusion_tag("access/_security_key_form.html", takes_context=True)
def security_key_register(context, next_url: str = "/", label: str = "Register a security key"):
    return {
        "show": context["request"].user.is_authenticated,
        "mode": "register",
        "begin": reverse("mfa-webauthn-registration-begin"),
        "complete": reverse("mfa-webauthn-registration-complete"),
        "next": next_url,
        "label": label,
    }
