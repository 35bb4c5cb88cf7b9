"""Fraud app tables: model versions (the registry), alerts raised by inline scoring, and analysts' labels."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from apps.core.ids import new_public_id


def _alert_public_id() -> str:
    return new_public_id("fra")


class ModelStatus(models.TextChoices):
    CANDIDATE = "candidate"
    PRODUCTION = "production"
    RETIRED = "retired"


class ModelVersion(models.Model):
    """One trained artifact (``QENEX_FRAUD_MODEL_DIR/<version>/model.joblib``); at most one is in production."""

    version = models.CharField(max_length=64, unique=True)
    artifact_path = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64, help_text="checked before the artifact is loaded")
    status = models.CharField(max_length=12, choices=ModelStatus.choices, default=ModelStatus.CANDIDATE)
    metrics = models.JSONField(default=dict, blank=True)
    feature_names = models.JSONField(default=list, blank=True)
    data_from = models.DateTimeField(null=True, blank=True)
    data_to = models.DateTimeField(null=True, blank=True)
    label_delay_days = models.PositiveIntegerField(default=7)
    code_version = models.CharField(max_length=100, blank=True, help_text="git describe of the training code")
    created_by = models.CharField(max_length=150, default="system")
    created_at = models.DateTimeField(default=timezone.now)
    promoted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="production"), name="one_production_fraud_model"
            )
        ]
        permissions = [("promote_modelversion", "Can promote or roll back a fraud model")]

    def __str__(self) -> str:
        return f"{self.version} ({self.status})"


class AlertKind(models.TextChoices):
    POSTING = "posting"
    PAYMENT = "payment"
    CARD = "card_authorisation"


class AlertStatus(models.TextChoices):
    OPEN = "open"
    FRAUD = "fraud"
    NOT_FRAUD = "not_fraud"


class FraudAlert(models.Model):
    """A transaction the model scored at or above the review threshold, with the features that raised it most."""

    public_id = models.CharField(max_length=32, unique=True, default=_alert_public_id, editable=False)
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    reference = models.CharField(max_length=64, blank=True, help_text="payment or card authorisation id, if any")
    customer_id = models.CharField(max_length=64, db_index=True)
    account = models.CharField(max_length=32, blank=True)
    counterparty_id = models.CharField(max_length=128, blank=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    occurred_at = models.DateTimeField()
    score = models.FloatField()
    decision = models.CharField(max_length=8, help_text="review (>= review threshold) or block")
    action = models.CharField(max_length=8, help_text="what happened to the transaction: passed, held, rejected")
    model_version = models.CharField(max_length=64)
    explanation = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        permissions = [("review_fraudalert", "Can decide fraud alerts (fraud / not fraud)")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.decision} {self.score:.2f}"


class FraudLabel(models.Model):
    """What an analyst decided about a transaction: the ground truth for the next training and the live metrics."""

    alert = models.OneToOneField(FraudAlert, on_delete=models.PROTECT, null=True, blank=True, related_name="label")
    reference = models.CharField(max_length=64, blank=True)
    customer_id = models.CharField(max_length=64)
    counterparty_id = models.CharField(max_length=128, blank=True)
    occurred_at = models.DateTimeField(help_text="when the labelled transaction happened")
    is_fraud = models.BooleanField()
    decided_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["customer_id", "occurred_at"]),
            models.Index(fields=["counterparty_id", "occurred_at"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {'fraud' if self.is_fraud else 'not fraud'}"
