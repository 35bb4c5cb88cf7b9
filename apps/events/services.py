"""Writes of the event stream: emit into the outbox, mark relayed rows sent, de-duplicate consumers, webhooks.

``emit_event`` runs inside the caller's transaction (it refuses to run outside one): the outbox row commits or
rolls back with the change it describes. Postings need no call at all: a database trigger on
``ledger_journalentry`` (migration 0002) writes their ``transaction.posted`` rows, one INSERT … SELECT per
statement, so a batch of a thousand entries costs one extra statement and no Python.
"""

from __future__ import annotations

import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import Conflict, InvalidInput, NotFound

from . import selectors, signing
from .catalog import EVENT_TYPES
from .envelope import envelope_bytes
from .errors import UnknownEventType
from .metrics import WEBHOOK_ATTEMPTS_TOTAL
from .models import (
    DeliveryStatus,
    EventCursor,
    OutboxEvent,
    ProcessedEvent,
    WebhookDelivery,
    WebhookSubscription,
)

logger = logging.getLogger(__name__)


def _in_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("emit_event must run inside the transaction of the change it describes")


def _event(event_type: str, aggregate_id: str, payload: dict[str, Any], version: int, now: datetime) -> OutboxEvent:
    aggregate_type = EVENT_TYPES.get(event_type)
    if aggregate_type is None:
        raise UnknownEventType(f"unknown event type {event_type!r}", field="event_type")
    return OutboxEvent(
        event_type=event_type,
        version=version,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        payload=payload,
        created_at=now,
    )


def emit_event(event_type: str, aggregate_id: str, payload: dict[str, Any], version: int = 1) -> OutboxEvent:
    """Write one outbox row in the caller's transaction (its schema: ``schemas/<type>.v<version>.json``)."""
    _in_transaction()
    event = _event(event_type, aggregate_id, payload, version, timezone.now())
    event.save(force_insert=True)
    return event


def emit_events(events: Iterable[tuple[str, str, dict[str, Any]]], version: int = 1) -> list[OutboxEvent]:
    """Several events in one INSERT, in the caller's transaction: (type, aggregate id, payload) each."""
    _in_transaction()
    now = timezone.now()
    rows = [_event(event_type, aggregate_id, payload, version, now) for event_type, aggregate_id, payload in events]
    return OutboxEvent.objects.bulk_create(rows) if rows else []


def fx_deal_booked_emit(
    *,
    deal_id: str,
    customer_account: str,
    pair: str,
    side: str,
    sold_currency: str,
    sold_minor: int,
    bought_currency: str,
    bought_minor: int,
    rate: str,
    transactions: list[str],
) -> OutboxEvent:
    """For the FX desk's deal booking, inside its transaction: the ``fx.deal_booked`` v1 event."""
    return emit_event(
        "fx.deal_booked",
        deal_id,
        {
            "deal": deal_id,
            "customer_account": customer_account,
            "pair": pair,
            "side": side,
            "sold": {"currency": sold_currency, "amount_minor": sold_minor},
            "bought": {"currency": bought_currency, "amount_minor": bought_minor},
            "rate": rate,
            "transactions": transactions,
        },
    )


# --- relay -------------------------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def outbox_mark_sent(*, ids: list[int], now: datetime | None = None) -> int:
    """The relay's confirmation: Kafka acknowledged these rows (acks=all). A row already marked stays as it was."""
    if not ids:
        return 0
    return OutboxEvent.objects.filter(id__in=ids, sent_at__isnull=True).update(sent_at=now or timezone.now())


def outbox_prune(*, now: datetime | None = None, batch_size: int | None = None, max_batches: int | None = None) -> int:
    """Delete relayed outbox rows older than QENEX_EVENTS_OUTBOX_RETENTION_DAYS, ``batch_size`` rows per short
    transaction (each audited), at most ``max_batches`` per run; answer how many went. Unrelayed rows, rows the
    webhook dispatcher has yet to read and rows a webhook delivery names stay (``selectors.outbox_prunable``)."""
    now = now or timezone.now()
    retention_days = settings.QENEX_EVENTS_OUTBOX_RETENTION_DAYS
    batch_size = batch_size or settings.QENEX_EVENTS_PRUNE_BATCH_SIZE
    max_batches = max_batches or settings.QENEX_EVENTS_PRUNE_MAX_BATCHES
    cutoff = now - timedelta(days=retention_days)
    deleted = 0
    for _ in range(max_batches):
        with transaction.atomic(durable=True):
            ids = selectors.outbox_prunable(created_before=cutoff, cursor_name=DISPATCH_CURSOR, limit=batch_size)
            if not ids:
                break
            count, _ = OutboxEvent.objects.filter(id__in=ids, sent_at__isnull=False).delete()
            audit_record(
                action="events.outbox_pruned",
                object_type="outbox",
                object_id=f"{ids[0]}-{ids[-1]}",
                after={"deleted": count, "first_id": ids[0], "last_id": ids[-1], "created_before": cutoff},
                actor="system:outbox_prune",
            )
        deleted += count
        if len(ids) < batch_size:
            break
    return deleted


# --- consumers ---------------------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def event_consume(*, consumer: str, event_id: str, handle: Callable[[], None]) -> bool:
    """Run ``handle`` once per (consumer, event id): False, and nothing run, for an event already processed.

    The processed-id row and whatever ``handle`` writes commit together, so a crash between them redelivers the
    event and it is handled then (at-least-once delivery, exactly-once effect).
    """
    try:
        with transaction.atomic():
            ProcessedEvent.objects.create(consumer=consumer[:64], event_id=event_id)
    except IntegrityError:
        return False
    handle()
    return True


# --- webhooks ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedSubscription:
    subscription: WebhookSubscription
    secret: str  # shown once


def _check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500:
        raise InvalidInput("url must be an http(s) URL of at most 500 characters", field="url", code="invalid_url")
    if parts.scheme == "http" and not settings.QENEX_WEBHOOK_ALLOW_HTTP:
        raise InvalidInput("url must use https", field="url", code="invalid_url")
    return url


def _check_types(event_types: list[str]) -> list[str]:
    if not isinstance(event_types, list) or not all(isinstance(t, str) for t in event_types):
        raise InvalidInput("event_types must be a list of event types", field="event_types")
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise UnknownEventType(
            f"unknown event type(s): {', '.join(unknown)}; known: {', '.join(sorted(EVENT_TYPES))}",
            field="event_types",
        )
    return sorted(set(event_types))


def _subscription_state(subscription: WebhookSubscription) -> dict[str, Any]:
    return {
        "url": subscription.url,
        "event_types": subscription.event_types,
        "is_active": subscription.is_active,
        "description": subscription.description,
    }


@transaction.atomic(durable=True)
def webhook_subscription_create(
    *, url: str, event_types: list[str], description: str = "", actor: str = "system"
) -> CreatedSubscription:
    """A subscription with a new random secret; events committed from now on are delivered to it."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    subscription = WebhookSubscription(
        url=_check_url(url),
        event_types=_check_types(event_types),
        description=(description or "")[:200],
        created_by=actor[:150],
    )
    subscription.secret = secret
    subscription.save()
    audit_record(
        action="events.webhook_subscription_created",
        object_type="webhook_subscription",
        object_id=subscription.public_id,
        after=_subscription_state(subscription),
        actor=actor,
    )
    return CreatedSubscription(subscription, secret)


@transaction.atomic(durable=True)
def webhook_subscription_set_active(
    *, public_id: str, active: bool, actor: str, reason: str = ""
) -> WebhookSubscription:
    """Deactivate (pause) or reactivate a subscription; already so is no change and no audit record.

    An inactive subscription gets no new deliveries (events committed meanwhile are not delivered to it: read them
    from ``GET /api/v1/events``) and its pending ones wait, unsent, until it is active again.
    """
    subscription = WebhookSubscription.objects.select_for_update().filter(public_id=public_id).first()
    if subscription is None:
        raise NotFound(f"no webhook subscription {public_id}", field="subscription")
    if subscription.is_active == active:
        return subscription
    before = _subscription_state(subscription)
    subscription.is_active = active
    subscription.save(update_fields=["is_active"])
    audit_record(
        action="events.webhook_subscription_" + ("activated" if active else "deactivated"),
        object_type="webhook_subscription",
        object_id=subscription.public_id,
        before=before,
        after=_subscription_state(subscription) | ({"reason": reason[:200]} if reason else {}),
        actor=actor,
    )
    return subscription


DISPATCH_CURSOR = "webhooks"


@transaction.atomic(durable=True)
def webhooks_dispatch(*, limit: int = 500) -> list[str]:
    """Turn the outbox's next events into deliveries for the subscriptions that want them; return their ids.

    One reader (the cursor row is locked), reading the outbox by the same safe cursor as the API. A subscription
    gets the events committed after it was created.
    """
    cursor, _ = EventCursor.objects.select_for_update().get_or_create(name=DISPATCH_CURSOR)
    events = selectors.events_after(cursor=cursor.position, limit=limit)
    if not events:
        return []
    subscriptions = selectors.subscriptions_active()
    deliveries = [
        WebhookDelivery(subscription=subscription, event=event, next_attempt_at=event.created_at)
        for event in events
        for subscription in subscriptions
        if subscription.wants(event.event_type) and event.created_at >= subscription.created_at
    ]
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    cursor.position, cursor.updated_at = events[-1].cursor, timezone.now()
    cursor.save(update_fields=["position", "updated_at"])
    return [delivery.public_id for delivery in deliveries]


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off after the ``attempts``-th failure: base, 2×base, 4×base … capped."""
    base = settings.QENEX_WEBHOOK_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), settings.QENEX_WEBHOOK_RETRY_MAX_SECONDS))


@dataclass(frozen=True)
class AttemptResult:
    status: str
    attempts: int
    status_code: int | None
    next_attempt_at: datetime | None


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    # urllib: one POST with a timeout and no redirects followed needs nothing more; no dependency for it.
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - http(s) checked
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=settings.QENEX_WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))[:500]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a redirect is an answer, not a place to send the event again
        return None


def webhook_deliver(*, delivery_id: str, now: datetime | None = None) -> AttemptResult | None:
    """One attempt: claim the delivery (commit), POST it signed (no transaction open), record the answer.

    None when the delivery is not due (delivered, failed, its next attempt is later, or its subscription is inactive:
    it waits, pending, for the reactivation): safe to run twice.
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription", "event")
            .filter(
                public_id=delivery_id,
                status=DeliveryStatus.PENDING,
                next_attempt_at__lte=now,
                subscription__is_active=True,
            )
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        # Claimed: a second worker finds it not due until this attempt's answer (or its timeout) is long past.
        delivery.next_attempt_at = now + timedelta(seconds=settings.QENEX_WEBHOOK_TIMEOUT_SECONDS * 2)
        delivery.last_attempt_at = now
        delivery.save(update_fields=["attempts", "next_attempt_at", "last_attempt_at"])
    subscription, event = delivery.subscription, delivery.event
    body = envelope_bytes(event)
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "QENEX-Webhooks/1",
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.signature(secret=subscription.secret, timestamp=timestamp, body=body),
        signing.EVENT_ID_HEADER: str(event.event_id),
        signing.EVENT_TYPE_HEADER: event.event_type,
        signing.DELIVERY_HEADER: delivery.public_id,
    }
    status_code, error = _post(subscription.url, body, headers)
    ok = status_code is not None and 200 <= status_code < 300
    WEBHOOK_ATTEMPTS_TOTAL.labels("delivered" if ok else "failed").inc()
    with transaction.atomic(durable=True):
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        delivery.last_status_code, delivery.last_error = status_code, error
        if ok:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, now
        elif delivery.attempts >= settings.QENEX_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        delivery.save(update_fields=["status", "last_status_code", "last_error", "delivered_at", "next_attempt_at"])
    return AttemptResult(
        delivery.status,
        delivery.attempts,
        status_code,
        delivery.next_attempt_at if delivery.status == DeliveryStatus.PENDING else None,
    )


REPLAY_BATCH_MAX = 500


def _replay(delivery: WebhookDelivery, *, actor: str, reason: str) -> None:
    """The one replay rule (a locked row): due now with a fresh attempt budget, audited. Never a delivery still
    PENDING (its attempt may be in flight: a second send), never one of an inactive subscription (it would wait)."""
    if delivery.status == DeliveryStatus.PENDING:
        raise Conflict(
            f"webhook delivery {delivery.public_id} is still pending: it is sent or retried without a replay",
            field="delivery",
            code="delivery_pending",
        )
    if not delivery.subscription.is_active:
        raise Conflict(
            f"webhook subscription {delivery.subscription.public_id} is inactive: reactivate it first",
            field="subscription",
            code="subscription_inactive",
        )
    before = {"status": delivery.status, "attempts": delivery.attempts}
    delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.PENDING, 0, timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    audit_record(
        action="events.webhook_delivery_replayed",
        object_type="webhook_delivery",
        object_id=delivery.public_id,
        before=before,
        after={"status": delivery.status, "event_id": str(delivery.event.event_id)}
        | ({"reason": reason[:200]} if reason else {}),
        actor=actor,
    )


@transaction.atomic(durable=True)
def webhook_delivery_replay(*, delivery_id: str, actor: str, reason: str = "") -> WebhookDelivery:
    """Send a delivery again (failed, or delivered and wanted once more): due now, with a fresh attempt budget."""
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("subscription", "event")
        .filter(public_id=delivery_id)
        .first()
    )
    if delivery is None:
        raise NotFound(f"no webhook delivery {delivery_id}", field="delivery")
    _replay(delivery, actor=actor, reason=reason)
    return delivery


@dataclass(frozen=True)
class ReplayedFailed:
    deliveries: list[WebhookDelivery]
    remaining: int  # FAILED deliveries of the subscription left for the next call (at most ``limit`` per call)


@transaction.atomic(durable=True)
def webhook_subscription_replay_failed(
    *, subscription_id: str, actor: str, reason: str = "", limit: int = REPLAY_BATCH_MAX
) -> ReplayedFailed:
    """Replay the subscription's FAILED deliveries, oldest first, at most ``limit`` (each audited as one replay)."""
    subscription = WebhookSubscription.objects.select_for_update().filter(public_id=subscription_id).first()
    if subscription is None:
        raise NotFound(f"no webhook subscription {subscription_id}", field="subscription")
    if not subscription.is_active:
        raise Conflict(
            f"webhook subscription {subscription_id} is inactive: reactivate it first",
            field="subscription",
            code="subscription_inactive",
        )
    limit = max(1, min(limit, REPLAY_BATCH_MAX))
    failed = WebhookDelivery.objects.filter(subscription=subscription, status=DeliveryStatus.FAILED)
    deliveries = list(
        failed.select_for_update(of=("self",)).select_related("subscription", "event").order_by("id")[:limit]
    )
    for delivery in deliveries:
        _replay(delivery, actor=actor, reason=reason)
    return ReplayedFailed(deliveries, failed.count())
