"""Staff login state (consecutive failures, lock) and an append-only log of security events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class LoginState(models.Model):
    """One row per staff user who ever failed or passed a password check."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_state")
    failed_attempts = models.PositiveIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("unlock_user", "Can unlock a staff login locked after failed attempts")]

    def __str__(self) -> str:
        return f"{self.user} ({'locked' if self.is_locked else 'open'})"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class AccessEventKind(models.TextChoices):
    LOGIN_FAILED = "LOGIN_FAILED"
    LOGIN_SUCCEEDED = "LOGIN_SUCCEEDED"
    LOCKED = "LOCKED"
    LOCKED_LOGIN_REFUSED = "LOCKED_LOGIN_REFUSED"
    UNLOCKED = "UNLOCKED"
    OTP_FAILED = "OTP_FAILED"
    OTP_VERIFIED = "OTP_VERIFIED"
    MFA_ENROLLED = "MFA_ENROLLED"
    BACKUP_CODES_ISSUED = "BACKUP_CODES_ISSUED"
    MFA_DEVICE_RESET = "MFA_DEVICE_RESET"


class AccessEvent(models.Model):
    """Who did what to a staff login, and when. Rows are only ever inserted."""

    kind = models.CharField(max_length=24, choices=AccessEventKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor = models.CharField(max_length=150, help_text="The user or process that caused the event")
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind} {self.user}"
