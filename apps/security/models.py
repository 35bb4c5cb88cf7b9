"""Key-encryption-key versions: which KEK version new data keys are wrapped under, and which still decrypt."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class KekState(models.TextChoices):
    ACTIVE = "ACTIVE"  # wraps new data keys; exactly one per KEK
    DECRYPT_ONLY = "DECRYPT_ONLY"  # superseded; still unwraps rows not yet re-wrapped
    RETIRED = "RETIRED"  # no row references it any more (the HSM key is kept until an operator destroys it)


class KekVersion(models.Model):
    kek_id = models.CharField(max_length=48, help_text="HSM key label base, or the software KEK id")
    version = models.PositiveIntegerField()
    provider = models.CharField(max_length=16)
    state = models.CharField(max_length=16, choices=KekState.choices, default=KekState.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    superseded_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150, default="system")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kek_id", "version"], name="kek_version_unique"),
            models.UniqueConstraint(
                fields=["kek_id"], condition=Q(state=KekState.ACTIVE), name="kek_one_active_version"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="kek_version_gte_1"),
            models.CheckConstraint(condition=Q(state__in=[s.value for s in KekState]), name="kek_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kek_id}.v{self.version} ({self.state})"


class SubjectKey(models.Model):
    """One data subject's (a customer's) data key, wrapped by the KEK: destroying it erases their data.

    Encrypted fields declared with ``subject=`` encrypt under this key instead of a per-value DEK (see
    ``subject_keys``). ``wrapped_key`` is emptied when the key is destroyed (crypto-shredding); the row stays,
    so a later write for the subject is refused rather than silently creating a new key.
    """

    subject_id = models.CharField(max_length=64, unique=True, help_text="the customer's public id")
    kek_id = models.CharField(max_length=48)
    kek_version = models.PositiveIntegerField()
    wrapped_key = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.subject_id} ({'destroyed' if self.destroyed_at else 'active'})"


class BlindIndexRekey(models.Model):
    """Progress of re-keying one blind-index column under one index key (``manage.py rekey_blind_index``).

    ``key_id`` names the target key (``blind_index.key_id``, a digest, not the key). Rows up to ``last_pk`` have
    been recomputed under it; a run resumes after ``last_pk``. ``completed_at`` is set when the column's last
    row is done.
    """

    key_id = models.CharField(max_length=16)
    model_label = models.CharField(max_length=100)
    field_name = models.CharField(max_length=100)
    last_pk = models.BigIntegerField(null=True, blank=True)
    scanned = models.BigIntegerField(default=0)
    changed = models.BigIntegerField(default=0)
    failed = models.BigIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    started_by = models.CharField(max_length=150, default="system")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key_id", "model_label", "field_name"], name="blind_index_rekey_unique")
        ]

    def __str__(self) -> str:
        state = "done" if self.completed_at else f"after pk {self.last_pk}"
        return f"{self.model_label}.{self.field_name} -> {self.key_id} ({state})"
