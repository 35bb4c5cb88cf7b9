"""Login success and failure into the audit trail (Django's auth signals are the only hook it offers)."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from .services import audit_record


@receiver(user_logged_in, dispatch_uid="audit_login_succeeded")
def _login_succeeded(sender, request, user, **kwargs) -> None:
    audit_record(
        action="auth.login_succeeded",
        object_type="user",
        object_id=str(user.pk),
        after={"username": user.get_username()},
        actor=user.get_username(),
        user_id=user.pk,
    )


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Only the name that was tried: Django masks secrets in ``credentials``, but nothing else belongs here.
    username = str(credentials.get("username", ""))[:150]
    audit_record(action="auth.login_failed", object_type="user", after={"username": username}, actor=username)
