"""``manage.py check --deploy``: production must have a checkpoint signing key."""

from django.conf import settings
from django.core.checks import Error, register

from . import signing
from .errors import SigningKeyUnavailable


@register(deploy=True)
def audit_signing_key_configured(app_configs, **kwargs):
    if not getattr(settings, "PRODUCTION", False):
        return []
    try:
        signing.signing_key()
    except SigningKeyUnavailable as exc:
        return [Error(str(exc), hint="python manage.py audit_keygen --out <path>", id="audit.E001")]
    return []
