"""Screening alerts and the officers' allow and block lists (imported by ``apps.compliance.models``).

An alert is one potential match of one screened party (a customer, or a party of a payment) with one list entry.
An officer clears it (a false positive: the party goes on the allow list for that entry, until the entry changes)
or confirms it (a true match: the money is stopped for good). Names are PII: encrypted, with a blind index
(``party_key``, one purpose for alerts and both lists) that says "the same counterparty" without decrypting.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.core.ids import new_public_id
from apps.security.fields import BlindIndexField, EncryptedTextField

PARTY_KEY_PURPOSE = "compliance.screening_party"
BLOCK_LIST_CODE = "block_list"  # the list_code of an alert raised by the bank's own block list


class SubjectType(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    PAYMENT = "payment", "Outbound payment"
    INBOUND_PAYMENT = "inbound_payment", "Inbound payment"


class PartyRole(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    DEBTOR = "debtor", "Debtor (payer)"
    CREDITOR = "creditor", "Creditor (payee)"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLEARED = "cleared", "Cleared (false positive)"
    CONFIRMED = "confirmed", "Confirmed (true match)"


def _alert_id() -> str:
    return new_public_id("sal")


def _allow_id() -> str:
    return new_public_id("alw")


def _block_id() -> str:
    return new_public_id("blk")


def _rescreen_id() -> str:
    return new_public_id("rsc")


class ScreeningAlert(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=_alert_id, editable=False)
    subject_type = models.CharField(max_length=16, choices=SubjectType.choices)
    subject_id = models.CharField(max_length=64, help_text="customer public id, payment public id, message id")
    party_role = models.CharField(max_length=16, choices=PartyRole.choices)
    party_name = EncryptedTextField(bind_to="public_id")
    party_key = BlindIndexField(source="party_name", purpose=PARTY_KEY_PURPOSE)
    party_country = models.CharField(max_length=100, blank=True)
    owner_id = models.CharField(max_length=64, blank=True, help_text="the customer whose money the alert stops")
    account = models.CharField(max_length=32, blank=True, help_text="the customer account of a payment")
    list_code = models.CharField(max_length=32)
    entry_id = models.CharField(max_length=64, help_text="the list's own id (or the block-list entry's)")
    entry_hash = models.CharField(max_length=64, blank=True, help_text="the entry's content digest when raised")
    matched_name = models.CharField(max_length=500)
    score = models.FloatField()
    explanation = models.JSONField(default=list)
    source = models.CharField(max_length=32, help_text="onboarding, change, payment, rescreen")
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            # A party is alerted once per entry while the alert is open (rescreens and retries add nothing).
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "party_role", "list_code", "entry_id"],
                condition=Q(status="open"),
                name="screening_alert_one_open_per_entry",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in AlertStatus]), name="screening_alert_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(decided_by=""), name="screening_alert_decided_has_officer"
            ),
        ]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "status"]),
            models.Index(fields=["owner_id", "status"]),
            models.Index(fields=["status", "created_at"]),
        ]
        permissions = [("decide_screeningalert", "Can clear or confirm a screening alert")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.subject_type}:{self.subject_id} ~ {self.list_code}:{self.entry_id}"


class AllowListEntry(models.Model):
    """A cleared false positive: this party is not that list entry, while the entry stays as it was."""

    public_id = models.CharField(max_length=32, unique=True, default=_allow_id, editable=False)
    party_name = EncryptedTextField(bind_to="public_id")
    party_key = BlindIndexField(source="party_name", purpose=PARTY_KEY_PURPOSE)
    list_code = models.CharField(max_length=32)
    entry_id = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, help_text="valid while the list entry's digest is this one")
    reason = models.CharField(max_length=1000)
    alert = models.ForeignKey(ScreeningAlert, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["party_key", "list_code", "entry_id"])]
        verbose_name_plural = "allow-list entries"

    def __str__(self) -> str:
        return f"{self.public_id} not {self.list_code}:{self.entry_id}"


class BlockListEntry(models.Model):
    """A party the bank refuses to deal with, listed or not: every screening of it raises an alert."""

    public_id = models.CharField(max_length=32, unique=True, default=_block_id, editable=False)
    party_name = EncryptedTextField(bind_to="public_id")
    party_key = BlindIndexField(source="party_name", purpose=PARTY_KEY_PURPOSE)
    reason = models.CharField(max_length=1000)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True)

    class Meta:
        indexes = [models.Index(fields=["party_key"])]
        verbose_name_plural = "block-list entries"

    def __str__(self) -> str:
        return self.public_id


class RescreenStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class RescreenRun(models.Model):
    """One rescreen of customers and held payments against the entries a list load added or changed."""

    public_id = models.CharField(max_length=32, unique=True, default=_rescreen_id, editable=False)
    load = models.ForeignKey("compliance.SanctionsListLoad", on_delete=models.PROTECT, related_name="+")
    entry_ids = models.JSONField(default=list, help_text="list ids of the added and changed entries")
    status = models.CharField(max_length=16, choices=RescreenStatus.choices, default=RescreenStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    alerts_raised = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.public_id} ({self.status} {self.done}/{self.total})"
