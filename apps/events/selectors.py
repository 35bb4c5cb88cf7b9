"""Reads of the outbox and the webhook tables."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from apps.core.errors import InvalidInput, NotFound

from .errors import InvalidCursor
from .models import DeliveryStatus, EventCursor, OutboxEvent, WebhookDelivery, WebhookSubscription

MAX_PAGE = 1000


def parse_cursor(cursor: str | None) -> tuple[int, int]:
    """``"<txid>-<id>"`` as the API hands it out; empty means the beginning."""
    if not cursor:
        return (-1, 0)
    txid, sep, row = cursor.partition("-")
    if not sep or not txid.isdigit() or not row.isdigit():
        raise InvalidCursor("after must be a cursor returned by this API (<txid>-<id>)", field="after")
    return int(txid), int(row)


def events_after(*, cursor: str | None, limit: int = 100, event_types: list[str] | None = None) -> list[OutboxEvent]:
    """Events after ``cursor`` in (txid, id) order, only from transactions older than every one still running.

    Ids are drawn at INSERT but become visible at COMMIT, so "id > last seen" alone would skip a row whose
    transaction started earlier and commits later. Below the snapshot's xmin every transaction has ended, so the
    rows there are final: a cursor never moves past an event that has yet to appear. (SQLite has one writer.)
    """
    txid, row = parse_cursor(cursor)
    query = OutboxEvent.objects.filter(Q(txid__gt=txid) | Q(txid=txid, id__gt=row))
    if connection.vendor == "postgresql":
        query = query.filter(txid__lt=RawSQL("pg_snapshot_xmin(pg_current_snapshot())::text::bigint", []))
    if event_types:
        query = query.filter(event_type__in=event_types)
    return list(query.order_by("txid", "id")[: max(1, min(limit, MAX_PAGE))])


def outbox_unsent(*, limit: int) -> list[OutboxEvent]:
    """The relay's next batch: the oldest unsent rows (a row committed late is still unsent, so it comes later)."""
    return list(OutboxEvent.objects.filter(sent_at__isnull=True).order_by("id")[:limit])


def outbox_lag() -> tuple[int, float | None]:
    """(unsent rows, created_at epoch of the oldest unsent) for the lag metrics."""
    oldest = OutboxEvent.objects.filter(sent_at__isnull=True).order_by("id").values_list("created_at", flat=True)
    first = oldest.first()
    count = OutboxEvent.objects.filter(sent_at__isnull=True).count()
    return count, first.timestamp() if first else None


def outbox_prunable(*, created_before, cursor_name: str, limit: int) -> list[int]:
    """Ids of outbox rows that may go, oldest first: relayed to Kafka (``sent_at`` set), created before
    ``created_before``, already read by the webhook dispatcher (cursor ``cursor_name``, when it has run) and named
    by no webhook delivery (the delivery log keeps its events, for replay). A row never relayed is never chosen."""
    query = OutboxEvent.objects.filter(sent_at__isnull=False, created_at__lt=created_before).exclude(
        Exists(WebhookDelivery.objects.filter(event=OuterRef("pk")))
    )
    position = EventCursor.objects.filter(name=cursor_name).values_list("position", flat=True).first()
    if position is not None:
        txid, row = parse_cursor(position)
        query = query.filter(Q(txid__lt=txid) | Q(txid=txid, id__lte=row))
    return list(query.order_by("id").values_list("id", flat=True)[:limit])


def subscription_list() -> list[WebhookSubscription]:
    return list(WebhookSubscription.objects.order_by("-id"))


def subscription_get(public_id: str) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.filter(public_id=public_id).first()
    if subscription is None:
        raise NotFound(f"no webhook subscription {public_id}", field="subscription")
    return subscription


def deliveries_of(*, subscription: WebhookSubscription, status: str | None = None) -> QuerySet[WebhookDelivery]:
    """A subscription's delivery log (the API paginates it by id), of one status if given."""
    if status is not None and status not in DeliveryStatus.values:
        raise InvalidInput(
            f"status must be one of {', '.join(DeliveryStatus.values)}", field="status", code="invalid_status"
        )
    query = WebhookDelivery.objects.filter(subscription=subscription).select_related("subscription", "event")
    return query.filter(status=status) if status else query


def delivery_get(public_id: str) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.select_related("subscription", "event").filter(public_id=public_id).first()
    if delivery is None:
        raise NotFound(f"no webhook delivery {public_id}", field="delivery")
    return delivery


def subscriptions_active() -> list[WebhookSubscription]:
    return list(WebhookSubscription.objects.filter(is_active=True))


def deliveries_due(*, now, limit: int = 100) -> list[str]:
    return list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now, subscription__is_active=True
        )
        .order_by("next_attempt_at", "id")
        .values_list("public_id", flat=True)[:limit]
    )


def delivery_counts() -> dict[str, int]:
    rows = (
        WebhookDelivery.objects.exclude(status=DeliveryStatus.DELIVERED)
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {DeliveryStatus.PENDING: 0, DeliveryStatus.FAILED: 0} | dict(rows)
