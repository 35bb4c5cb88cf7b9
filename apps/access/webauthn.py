"""Security keys (FIDO2/WebAuthn through django-otp-webauthn): reads and writes about a staff user's keys.

A key is a django-otp device (``WebAuthnCredential``), so a successful assertion marks the session verified
with django-otp's ``login`` exactly as a TOTP code does. The ceremonies themselves (challenge, signature and
origin checks) are the plugin's; the views in ``views_webauthn`` call these functions to record what happened.
Every event also reaches the audit trail, with the action names ``services`` uses for TOTP
(``access.mfa_enrolled``, ``access.mfa_verified``, ``access.mfa_verification_failed``), plus
``access.mfa_device_removed``; ``audit_record`` is always the last write of the transaction.
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from apps.audit.services import audit_record
from apps.core.errors import Conflict, DomainError

from .models import AccessEventKind
from .services import access_event_record

logger = logging.getLogger("qenex.access")

DEVICE_KIND = "security_key"


class SecurityKeyNotFound(DomainError):
    code = "security_key_not_found"
    http_status = 404


class LastAuthenticatorRefused(Conflict):
    code = "mfa_last_authenticator"


# --- reads ---------------------------------------------------------------------------------------------


def security_keys(*, user: AbstractBaseUser) -> list[WebAuthnCredential]:
    """Return the user's confirmed security keys, oldest first."""
    return list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk"))


def security_key_is_enrolled(*, user: AbstractBaseUser) -> bool:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


# --- writes --------------------------------------------------------------------------------------------


def _audit(*, action: str, user: AbstractBaseUser, actor: str, before=None, after=None) -> None:
    """The audit record of a change to ``user``'s keys: always the last write of the caller's transaction."""
    audit_record(
        action=action,
        object_type="user",
        object_id=str(user.pk),
        before=before,
        after={"username": user.get_username(), **(after or {})},
        actor=actor,
    )


def _summary(credential: WebAuthnCredential) -> dict:
    return {
        "credential": credential.pk,
        "aaguid": credential.aaguid,
        "credential_id_sha256": credential.credential_id_sha256,
    }


def security_key_registration_record(
    *, user: AbstractBaseUser, credential: WebAuthnCredential, first_factor: bool
) -> None:
    """Record a key just saved by the plugin. Call inside the registration's transaction, after the save.

    ``first_factor`` is true when the key is the user's enrolment (no authenticator before it).
    """
    detail = {"device_type": DEVICE_KIND, "first_authenticator": first_factor, **_summary(credential)}
    access_event_record(user=user, kind=AccessEventKind.MFA_ENROLLED, actor=user.get_username(), detail=detail)
    _audit(action="access.mfa_enrolled", user=user, actor=user.get_username(), after=detail)


@transaction.atomic
def security_key_remove(*, user: AbstractBaseUser, credential_id: int, actor: str) -> None:
    """Delete one of the user's keys, unless it is their only authenticator (that would end their MFA).

    The user's keys are locked in pk order first, so two concurrent removals cannot both pass the
    "another authenticator remains" check.
    """
    keys = list(WebAuthnCredential.objects.select_for_update(no_key=True).filter(user=user).order_by("pk"))
    credential = next((k for k in keys if k.pk == credential_id), None)
    if credential is None:
        raise SecurityKeyNotFound("no such security key", field="credential_id")
    others = any(k.confirmed and k.pk != credential_id for k in keys)
    if not others and not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise LastAuthenticatorRefused(
            "this key is your only authenticator; set up another one before removing it", field="credential_id"
        )
    before = {"device_type": DEVICE_KIND, **_summary(credential)}
    credential.delete()
    logger.info("access security key removed user=%s actor=%s %s", user.get_username(), actor, before)
    _audit(action="access.mfa_device_removed", user=user, actor=actor, before=before, after={"credential": None})


def security_key_verification_record(*, user: AbstractBaseUser, credential: WebAuthnCredential) -> None:
    """Record a successful assertion (call in the transaction that stored the key's new sign count)."""
    detail = {"device": type(credential).__name__, "device_type": DEVICE_KIND, "credential": credential.pk}
    access_event_record(user=user, kind=AccessEventKind.OTP_VERIFIED, actor=user.get_username(), detail=detail)
    _audit(action="access.mfa_verified", user=user, actor=user.get_username(), after=detail)


@transaction.atomic
def security_key_failure_record(*, user: AbstractBaseUser, code: str) -> None:
    """Record a refused assertion (bad signature, wrong user's key, replayed or missing challenge ...)."""
    detail = {"stage": "verify", "device_type": DEVICE_KIND, "reason": code}
    access_event_record(user=user, kind=AccessEventKind.OTP_FAILED, actor=user.get_username(), detail=detail)
    _audit(action="access.mfa_verification_failed", user=user, actor=user.get_username(), after=detail)
