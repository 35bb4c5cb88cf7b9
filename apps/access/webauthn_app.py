"""django-otp-webauthn, installed with QENEX's own start-up checks of the relying party settings.

The plugin's checks already refuse an empty RP ID or origin list (``otp_webauthn.E010`` / ``E030``); these say
which ``QENEX_*`` variable to set, and that an origin must belong to the RP ID.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register
from django_otp_webauthn.apps import OtpWebauthnConfig


def webauthn_relying_party_configured(app_configs, **kwargs) -> list[Error]:
    """Production must name its relying party; every allowed origin must be the RP ID or a subdomain of it."""
    errors = []
    rp_id = getattr(settings, "OTP_WEBAUTHN_RP_ID", "")
    origins = getattr(settings, "OTP_WEBAUTHN_ALLOWED_ORIGINS", [])
    if getattr(settings, "PRODUCTION", False):
        if not rp_id:
            errors.append(
                Error(
                    "QENEX_WEBAUTHN_RP_ID is not set: production has no default relying party for security keys.",
                    hint="Set QENEX_WEBAUTHN_RP_ID to the public host name staff sign in at, e.g. bank.example.",
                    id="qenex_access.E101",
                )
            )
        if not origins:
            errors.append(
                Error(
                    "QENEX_WEBAUTHN_ORIGINS is not set: production accepts no security-key origin by default.",
                    hint="Set QENEX_WEBAUTHN_ORIGINS to the portal's origin(s), e.g. https://bank.example.",
                    id="qenex_access.E102",
                )
            )
    for origin in origins:
        host = urlsplit(origin).hostname or ""
        if rp_id and host != rp_id and not host.endswith(f".{rp_id}"):
            errors.append(
                Error(
                    f"Security-key origin {origin!r} is not {rp_id!r} or a subdomain of it.",
                    hint="Make QENEX_WEBAUTHN_ORIGINS agree with QENEX_WEBAUTHN_RP_ID.",
                    id="qenex_access.E103",
                )
            )
    return errors


class QenexWebAuthnConfig(OtpWebauthnConfig):
    default = False

    def ready(self) -> None:
        super().ready()
        register(webauthn_relying_party_configured, Tags.security)
