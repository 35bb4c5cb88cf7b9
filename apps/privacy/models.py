"""Data-subject rights: consents and processing purposes, privacy flags, erasure requests, subject-access exports.

The customer is referred to by public id (``customer_id``): this app never holds a foreign key into another app's
tables, and nothing here is PII (purposes, flags, dates, digests).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.core.ids import new_public_id


class Purpose(models.TextChoices):
    CONTRACT = "contract", "Performance of the account contract"
    MARKETING = "marketing", "Direct marketing"
    PROFILING = "profiling", "Profiling for product offers"
    ANALYTICS = "analytics", "Analytics on pseudonymised data"
    THIRD_PARTY_SHARING = "third_party_sharing", "Sharing with partners"


class Consent(models.Model):
    """One decision of a customer about one purpose; the newest row per (customer, purpose) is in force."""

    customer_id = models.CharField(max_length=64, db_index=True)
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    granted = models.BooleanField()
    source = models.CharField(max_length=32, default="branch", help_text="branch, online, phone, api")
    recorded_by = models.CharField(max_length=150)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["customer_id", "purpose", "-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=[p.value for p in Purpose]), name="privacy_consent_purpose_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.purpose}={'yes' if self.granted else 'no'}"


class PrivacyFlags(models.Model):
    """Per customer: CCPA "do not sell or share" and the GDPR restriction of processing."""

    customer_id = models.CharField(max_length=64, unique=True)
    do_not_sell_or_share = models.BooleanField(default=False)
    processing_restricted = models.BooleanField(default=False)
    restriction_reason = models.CharField(max_length=200, blank=True)
    updated_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "privacy flags"
        permissions = [
            ("request_erasure", "Can record a data-subject erasure request"),
            ("export_subject", "Can export everything held about a data subject"),
        ]

    def __str__(self) -> str:
        return self.customer_id


class ErasureStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", "Waiting for a second officer"
    SCHEDULED = "scheduled", "Approved; waits for retention to end"
    EXECUTED = "executed", "Executed (crypto-shredded)"
    REJECTED = "rejected", "Rejected"


def _erasure_id() -> str:
    return new_public_id("era")


class ErasureRequest(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=_erasure_id, editable=False)
    customer_id = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=20, choices=ErasureStatus.choices, default=ErasureStatus.PENDING_APPROVAL)
    reason = models.CharField(max_length=200, blank=True)
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField(default=timezone.now)
    approval_id = models.CharField(max_length=32, blank=True)
    relationship_ended_at = models.DateTimeField(null=True, blank=True)
    execute_after = models.DateTimeField(null=True, blank=True, help_text="when retention of the records ends")
    retention_kinds = models.JSONField(default=list, blank=True, help_text="record kinds that held the erasure")
    held_reason = models.CharField(max_length=200, blank=True, help_text="why the last run did not execute it")
    executed_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ErasureStatus]), name="privacy_erasure_status_valid"
            ),
            models.UniqueConstraint(
                fields=["customer_id"],
                condition=~Q(status__in=["rejected"]),
                name="privacy_one_live_erasure_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.customer_id} ({self.status})"


class ExportKind(models.TextChoices):
    SUBJECT_ACCESS = "subject_access", "Subject access (everything held)"
    THIRD_PARTY = "third_party", "Partner sharing list"


def _export_id() -> str:
    return new_public_id("sar")


class SubjectExport(models.Model):
    """The log of exports: who exported whose data, when, and a digest of what was handed over."""

    public_id = models.CharField(max_length=32, unique=True, default=_export_id, editable=False)
    kind = models.CharField(max_length=16, choices=ExportKind.choices)
    customer_id = models.CharField(max_length=64, blank=True, db_index=True)
    exported_by = models.CharField(max_length=150)
    exported_at = models.DateTimeField(default=timezone.now)
    sha256 = models.CharField(max_length=64)
    records = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-exported_at"]

    def __str__(self) -> str:
        return f"{self.public_id} {self.kind} {self.customer_id}"
