"""Staff login state (consecutive failures, lock) and an append-only log of security events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class LoginState(models.Model):
    """Consecutive password failures of one staff user from one source IP, and the lock they caused.

    Locks are per (user, source IP): wrong guesses from one address lock that address out, never the user's
    own sign-ins from elsewhere. ``source_ip`` is "" when the address is unknown (``authenticate()`` without
    a request). A lock ends by itself at ``locked_until`` (exponential back-off) or by an audited unlock.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_states")
    source_ip = models.CharField(max_length=64, blank=True, default="")
    failed_attempts = models.PositiveIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True, help_text="When the current or last lock began")
    locked_until = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("unlock_user", "Can unlock a staff login locked after failed attempts")]
        constraints = [models.UniqueConstraint(fields=["user", "source_ip"], name="access_loginstate_user_source_ip")]

    def __str__(self) -> str:
        return f"{self.user} from {self.source_ip or 'unknown address'} ({'locked' if self.is_locked else 'open'})"

    def is_locked_at(self, now) -> bool:
        return self.locked_until is not None and self.locked_until > now

    @property
    def is_locked(self) -> bool:
        return self.is_locked_at(timezone.now())


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
