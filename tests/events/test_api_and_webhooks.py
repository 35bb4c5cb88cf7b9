"""GET /api/v1/events by cursor; webhook subscriptions, signed deliveries, retries with back-off, replay."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import AuditRecord
from apps.events import services, signing
from apps.events.models import DeliveryStatus, OutboxEvent, WebhookDelivery
from apps.ledger.services import post_deposit
from tests.conftest import make_client
from tests.events.webhook_helpers import dispatched
from tests.factories import funded_account


@pytest.mark.django_db(transaction=True)
def test_the_cursor_api_pages_through_committed_events_in_order():
    account = funded_account("1.00")
    for n in range(5):
        post_deposit(to_account=account.public_id, amount=f"{n + 1}.00", currency="USD")
    expected = list(OutboxEvent.objects.order_by("txid", "id").values_list("event_id", flat=True))
    client = make_client(["events:read"])
    seen, after = [], ""
    # An event shows once every transaction older than its own has ended (cluster-wide: other databases' long
    # transactions on a shared server delay it), so the reader follows the cursor until it has them all.
    deadline = time.monotonic() + 120
    while len(seen) < len(expected) and time.monotonic() < deadline:
        response = client.get("/api/v1/events", {"after": after, "limit": 2})
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["results"]) <= 2
        seen += [item["event_id"] for item in body["results"]]
        after = body["next_cursor"] or ""
        if not body["results"]:
            time.sleep(0.2)
    assert seen == [str(e) for e in expected] and len(seen) >= 6
    only = client.get("/api/v1/events", {"type": "transaction.posted"}).json()["results"]
    assert {item["type"] for item in only} == {"transaction.posted"} and len(only) == 6


@pytest.mark.django_db
def test_the_cursor_api_refuses_bad_input_and_keys_without_the_scope():
    client = make_client(["events:read"])
    assert client.get("/api/v1/events", {"after": "nonsense"}).json()["error"]["code"] == "invalid_cursor"
    assert client.get("/api/v1/events", {"limit": "0"}).status_code == 400
    assert make_client(["accounts:read"], name="other").get("/api/v1/events").status_code == 403
    refused = client.post("/api/v1/events/webhooks", {"url": "http://127.0.0.1:1/", "event_types": []}, format="json")
    assert refused.status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_webhook_is_signed_retried_with_backoff_logged_and_replayed(receiver, settings):
    settings.QENEX_WEBHOOK_RETRY_BASE_SECONDS = 10
    hook = receiver([500, 503])
    client = make_client(["events:webhooks"])
    created = client.post(
        "/api/v1/events/webhooks", {"url": hook.url, "event_types": ["transaction.posted"]}, format="json"
    )
    assert created.status_code == 201, created.content
    secret, subscription_id = created.json()["secret"], created.json()["id"]
    assert AuditRecord.objects.filter(action="events.webhook_subscription_created", object_id=subscription_id).exists()
    assert [s["id"] for s in client.get("/api/v1/events/webhooks").json()] == [subscription_id]

    account = funded_account("5.00")  # a deposit (transaction.posted) and the account's own events
    (delivery_id,) = dispatched()
    assert services.webhooks_dispatch() == []  # the cursor moved on: dispatched once

    first = services.webhook_deliver(delivery_id=delivery_id)
    assert (first.status, first.attempts, first.status_code) == (DeliveryStatus.PENDING, 1, 500)
    delivery = WebhookDelivery.objects.get(public_id=delivery_id)
    assert timedelta(seconds=9) < delivery.next_attempt_at - delivery.last_attempt_at <= timedelta(seconds=11)
    assert services.webhook_deliver(delivery_id=delivery_id) is None  # not due yet
    second = services.webhook_deliver(delivery_id=delivery_id, now=first.next_attempt_at)
    assert (second.attempts, second.status_code) == (2, 503)
    assert second.next_attempt_at - first.next_attempt_at >= timedelta(seconds=19)  # 2 x base: exponential
    third = services.webhook_deliver(delivery_id=delivery_id, now=second.next_attempt_at)
    assert (third.status, third.status_code) == (DeliveryStatus.DELIVERED, 200)

    headers, body = hook.requests[-1]
    assert signing.verify(
        secret=secret,
        timestamp=headers[signing.TIMESTAMP_HEADER],
        body=body,
        signature_header=headers[signing.SIGNATURE_HEADER],
        now=int(headers[signing.TIMESTAMP_HEADER]),
    )
    assert not signing.verify(
        secret="whsec_wrong",
        timestamp=headers[signing.TIMESTAMP_HEADER],
        body=body,
        signature_header=headers[signing.SIGNATURE_HEADER],
        now=int(headers[signing.TIMESTAMP_HEADER]),
    )
    event = json.loads(body)
    assert event["type"] == "transaction.posted" and event["payload"]["to_account"] == account.public_id
    assert headers[signing.EVENT_ID_HEADER] == event["event_id"]

    services.webhook_delivery_replay(delivery_id=delivery_id, actor="officer")
    again = services.webhook_deliver(delivery_id=delivery_id)
    assert again.status == DeliveryStatus.DELIVERED and len(hook.requests) == 4
    assert json.loads(hook.requests[-1][1])["event_id"] == event["event_id"]


@pytest.mark.django_db(transaction=True)
def test_a_delivery_fails_after_the_last_attempt_and_an_unreachable_receiver_counts(settings):
    settings.QENEX_WEBHOOK_MAX_ATTEMPTS = 2
    from tests.throwaway import free_port

    services.webhook_subscription_create(url=f"http://127.0.0.1:{free_port()}/gone", event_types=[])
    funded_account("1.00")
    ids = dispatched()
    assert ids
    now = timezone.now()
    first = services.webhook_deliver(delivery_id=ids[0], now=now)
    assert first.status_code is None and first.status == DeliveryStatus.PENDING
    last = services.webhook_deliver(delivery_id=ids[0], now=first.next_attempt_at)
    assert last.status == DeliveryStatus.FAILED
    assert WebhookDelivery.objects.get(public_id=ids[0]).last_error


@pytest.mark.django_db
def test_a_subscription_with_a_bad_url_or_type_is_refused():
    from apps.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.webhook_subscription_create(url="ftp://x", event_types=[])
    with pytest.raises(InvalidInput) as refused:
        services.webhook_subscription_create(url="https://example.invalid/h", event_types=["nope"])
    assert refused.value.code == "unknown_event_type"
