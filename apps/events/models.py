"""The transactional outbox, the consumers' record of processed events and the signed-webhook subscriptions.

An :class:`OutboxEvent` row is written in the same database transaction as the change it describes (by
``apps.events.services.emit_event``, or by the database trigger on ``ledger_journalentry`` for postings), so an
event exists exactly when its change committed. The relay (``manage.py run_event_relay``) publishes unsent rows to
Kafka and sets ``sent_at``; ``GET /api/v1/events`` reads the same rows by cursor.
"""

from __future__ import annotations

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Func, Q
from django.utils import timezone

from apps.core.ids import new_public_id
from apps.security.fields import EncryptedTextField


class CurrentTransactionId(Func):
    """The inserting transaction's 64-bit id on PostgreSQL (``pg_current_xact_id()``), 0 elsewhere.

    The cursor orders events by (txid, id) and reads only transactions older than every one still running, so a
    reader never passes an event whose transaction commits later with a smaller id (see selectors.events_after).
    """

    template = "0"
    output_field = models.BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return "(pg_current_xact_id()::text::bigint)", []


class OutboxEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    event_type = models.CharField(max_length=64)
    version = models.PositiveSmallIntegerField(default=1)
    aggregate_type = models.CharField(max_length=32)
    aggregate_id = models.CharField(max_length=64)
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)
    txid = models.BigIntegerField(db_default=CurrentTransactionId(), editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["txid", "id"], name="outbox_cursor"),
            models.Index(fields=["id"], condition=Q(sent_at__isnull=True), name="outbox_unsent"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type}.v{self.version} {self.aggregate_type}:{self.aggregate_id}"

    @property
    def cursor(self) -> str:
        return f"{self.txid}-{self.id}"


class ProcessedEvent(models.Model):
    """A consumer's record that it handled an event: a redelivered event (at-least-once) is skipped."""

    consumer = models.CharField(max_length=64)
    event_id = models.UUIDField()
    processed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consumer", "event_id"], name="processed_event_once")]

    def __str__(self) -> str:
        return f"{self.consumer} {self.event_id}"


class EventCursor(models.Model):
    """How far a reader of the outbox has got (the webhook dispatcher)."""

    name = models.CharField(max_length=64, unique=True)
    position = models.CharField(max_length=48, default="")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} at {self.position}"


def _subscription_id() -> str:
    return new_public_id("whs")


def _delivery_id() -> str:
    return new_public_id("whd")


class WebhookSubscription(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=_subscription_id, editable=False)
    url = models.URLField(max_length=500)
    event_types = models.JSONField(default=list, help_text="Event types delivered; an empty list means all")
    secret = EncryptedTextField(bind_to="public_id", help_text="HMAC-SHA256 key, shown once at creation")
    is_active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.public_id} {self.url}"

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING"  # waiting for its (next) attempt
    DELIVERED = "DELIVERED"  # the receiver answered 2xx
    FAILED = "FAILED"  # every attempt failed: an operator replays it


class WebhookDelivery(models.Model):
    """One event to one subscription, with its attempts: the delivery log."""

    public_id = models.CharField(max_length=32, unique=True, default=_delivery_id, editable=False)
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.PROTECT, related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.status}"
