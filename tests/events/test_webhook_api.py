"""The integrators' webhook API: subscriptions (get, deactivate, reactivate), the delivery log and replays.

The delivery tests go the real way: the dispatcher reads committed events into deliveries and
``services.webhook_deliver`` POSTs them, signed, to a receiver thread on 127.0.0.1.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from apps.audit.models import AuditRecord
from apps.events import selectors, services, signing
from apps.events.models import DeliveryStatus, EventCursor, OutboxEvent, WebhookDelivery, WebhookSubscription
from apps.ledger.services import post_deposit
from tests.conftest import make_client
from tests.events.webhook_helpers import dispatched_until
from tests.factories import funded_account
from tests.staff import make_staff, otp_login

API = "/api/v1/events"


def subscribe(client, url: str, event_types: list[str]) -> dict:
    created = client.post(f"{API}/webhooks", {"url": url, "event_types": event_types}, format="json")
    assert created.status_code == 201, created.content
    return created.json()


def audits(action: str, object_id: str) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action=action, object_id=object_id).order_by("sequence"))


def signed_by(secret: str, request) -> bool:
    headers, body = request
    return signing.verify(
        secret=secret,
        timestamp=headers[signing.TIMESTAMP_HEADER],
        body=body,
        signature_header=headers[signing.SIGNATURE_HEADER],
        now=int(headers[signing.TIMESTAMP_HEADER]),
    )


@pytest.mark.django_db(transaction=True)
def test_failed_deliveries_are_listed_and_replayed_one_or_all_through_the_api(receiver, settings):
    settings.QENEX_WEBHOOK_MAX_ATTEMPTS = 1  # the first failure is final: FAILED until replayed
    hook = receiver([500, 500])  # the receiver is down for two requests, then answers 200
    client = make_client(["events:webhooks"])
    created = subscribe(client, hook.url, ["transaction.posted"])
    subscription_id, secret = created["id"], created["secret"]

    account = funded_account("5.00")
    post_deposit(to_account=account.public_id, amount="2.00", currency="USD")
    first_id, second_id = sorted(dispatched_until(2))
    for delivery_id in (first_id, second_id):
        assert services.webhook_deliver(delivery_id=delivery_id).status == DeliveryStatus.FAILED
    assert len(hook.requests) == 2

    failed = client.get(f"{API}/webhooks/{subscription_id}/deliveries", {"status": "FAILED"})
    assert failed.status_code == 200, failed.content
    assert sorted(d["id"] for d in failed.json()["results"]) == [first_id, second_id]
    assert client.get(f"{API}/webhooks/{subscription_id}/deliveries", {"status": "DELIVERED"}).json()["results"] == []
    detail = client.get(f"{API}/webhook-deliveries/{first_id}").json()
    assert (detail["status"], detail["attempts"], detail["last_status_code"]) == ("FAILED", 1, 500)
    assert detail["next_attempt_at"] is None and detail["subscription"] == subscription_id

    # One delivery: due now with a fresh budget, audited with the reason.
    replayed = client.post(f"{API}/webhook-deliveries/{first_id}/replay", {"reason": "receiver fixed"}, format="json")
    assert replayed.status_code == 200, replayed.content
    assert (replayed.json()["status"], replayed.json()["attempts"]) == ("PENDING", 0)
    (record,) = audits("events.webhook_delivery_replayed", first_id)
    assert record.actor == "api:test-client" and record.after["reason"] == "receiver fixed"
    assert record.before == {"status": "FAILED", "attempts": 1}
    # Replaying it again while it is pending would only risk a second, concurrent send.
    again = client.post(f"{API}/webhook-deliveries/{first_id}/replay", {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "delivery_pending"
    assert len(audits("events.webhook_delivery_replayed", first_id)) == 1

    # All the subscription's failed ones: only the second is still FAILED.
    bulk = client.post(f"{API}/webhooks/{subscription_id}/replay-failed", {}, format="json")
    assert bulk.status_code == 200, bulk.content
    assert bulk.json() == {"replayed": 1, "remaining": 0, "deliveries": [second_id]}
    assert len(audits("events.webhook_delivery_replayed", second_id)) == 1

    for delivery_id in (first_id, second_id):
        assert services.webhook_deliver(delivery_id=delivery_id).status == DeliveryStatus.DELIVERED
    assert len(hook.requests) == 4
    assert all(signed_by(secret, request) for request in hook.requests)
    first_events = [json.loads(body)["event_id"] for _, body in hook.requests[:2]]
    assert sorted(json.loads(body)["event_id"] for _, body in hook.requests[2:]) == sorted(first_events)
    assert {h[signing.DELIVERY_HEADER] for h, _ in hook.requests[2:]} == {first_id, second_id}

    # A delivered one may be asked for again (the integrator lost it): sent once more, same event.
    delivered = client.post(f"{API}/webhook-deliveries/{second_id}/replay", {}, format="json")
    assert delivered.status_code == 200 and delivered.json()["status"] == "PENDING"
    assert services.webhook_deliver(delivery_id=second_id).status == DeliveryStatus.DELIVERED
    assert len(hook.requests) == 5 and hook.requests[-1][0][signing.DELIVERY_HEADER] == second_id
    nothing = client.post(f"{API}/webhooks/{subscription_id}/replay-failed", {}, format="json").json()
    assert nothing == {"replayed": 0, "remaining": 0, "deliveries": []}


def dispatcher_passed(event: OutboxEvent) -> None:
    """Run the dispatcher until its cursor is at or past ``event`` (visible once older transactions ended)."""
    import time

    target = (event.txid, event.id)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        services.webhooks_dispatch()
        position = EventCursor.objects.filter(name=services.DISPATCH_CURSOR).values_list("position", flat=True)
        if position and selectors.parse_cursor(position[0]) >= target:
            return
        time.sleep(0.2)
    raise AssertionError(f"the dispatcher never passed event {event.pk}")


@pytest.mark.django_db(transaction=True)
def test_a_deactivated_subscription_is_paused_and_its_waiting_delivery_goes_out_on_reactivation(receiver, settings):
    settings.QENEX_WEBHOOK_RETRY_BASE_SECONDS = 10
    hook = receiver([503])
    client = make_client(["events:webhooks"])
    subscription_id = subscribe(client, hook.url, ["transaction.posted"])["id"]
    account = funded_account("3.00")
    (delivery_id,) = dispatched_until(1)
    first = services.webhook_deliver(delivery_id=delivery_id)
    assert (first.status, first.status_code) == (DeliveryStatus.PENDING, 503)

    paused = client.post(f"{API}/webhooks/{subscription_id}/deactivate", {"reason": "maintenance"}, format="json")
    assert paused.status_code == 200, paused.content
    assert paused.json()["is_active"] is False
    (record,) = audits("events.webhook_subscription_deactivated", subscription_id)
    assert record.before["is_active"] is True and record.after == record.after | {"is_active": False}
    assert record.after["reason"] == "maintenance"
    # Already inactive: no change, no second record.
    assert client.post(f"{API}/webhooks/{subscription_id}/deactivate", {}, format="json").status_code == 200
    assert len(audits("events.webhook_subscription_deactivated", subscription_id)) == 1

    # The retry is due, but the subscription is paused: not sent, not even queued by the beat.
    assert selectors.deliveries_due(now=first.next_attempt_at) == []
    assert services.webhook_deliver(delivery_id=delivery_id, now=first.next_attempt_at) is None
    refused = client.post(f"{API}/webhooks/{subscription_id}/replay-failed", {}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "subscription_inactive"
    # An event committed while it is inactive is not delivered to it, even after the reactivation.
    post_deposit(to_account=account.public_id, amount="1.00", currency="USD")
    dispatcher_passed(OutboxEvent.objects.filter(event_type="transaction.posted").latest("id"))
    assert len(hook.requests) == 1

    resumed = client.post(f"{API}/webhooks/{subscription_id}/reactivate", {"reason": "back"}, format="json")
    assert resumed.status_code == 200 and resumed.json()["is_active"] is True
    assert len(audits("events.webhook_subscription_activated", subscription_id)) == 1
    assert selectors.deliveries_due(now=first.next_attempt_at) == [delivery_id]
    done = services.webhook_deliver(delivery_id=delivery_id, now=first.next_attempt_at)
    assert (done.status, done.attempts, done.status_code) == (DeliveryStatus.DELIVERED, 2, 200)
    assert len(hook.requests) == 2
    assert hook.requests[0][0][signing.EVENT_ID_HEADER] == hook.requests[1][0][signing.EVENT_ID_HEADER]
    log = client.get(f"{API}/webhooks/{subscription_id}/deliveries").json()["results"]
    assert [d["id"] for d in log] == [delivery_id]


@pytest.fixture
def logged_delivery(db):
    """A subscription with one FAILED delivery in its log (its event from a real posting)."""
    created = services.webhook_subscription_create(url="https://hooks.example.invalid/q", event_types=[])
    funded_account("1.00")
    delivery = WebhookDelivery.objects.create(
        subscription=created.subscription,
        event=OutboxEvent.objects.filter(event_type="transaction.posted").latest("id"),
        status=DeliveryStatus.FAILED,
        attempts=8,
    )
    return created.subscription, delivery


@pytest.mark.django_db
def test_bad_input_is_refused_with_a_code_and_changes_nothing(logged_delivery):
    subscription, delivery = logged_delivery
    client = make_client(["events:webhooks"])
    other = make_client(["events:read"], name="reader")  # a key without the scope
    records = AuditRecord.objects.count()

    def refused(response, status: int, code: str, field: str | None = None):
        assert response.status_code == status, response.content
        assert response.json()["error"]["code"] == code
        if field:
            assert response.json()["error"]["field"] == field

    hooks = f"{API}/webhooks"
    refused(
        client.post(hooks, {"url": "https://h.example.invalid/", "event_types": ["nope"]}, format="json"),
        400,
        "unknown_event_type",
        "event_types",
    )
    refused(
        client.post(hooks, {"url": "ftp://h.example.invalid/", "event_types": []}, format="json"), 400, "invalid_url"
    )
    refused(client.post(hooks, {"url": "not a url", "event_types": []}, format="json"), 400, "invalid_url")
    refused(client.post(hooks, {"event_types": []}, format="json"), 400, "missing_field", "url")
    assert WebhookSubscription.objects.count() == 1

    sid, did = subscription.public_id, delivery.public_id
    refused(client.post(f"{hooks}/{sid}/deactivate", {"why": "x"}, format="json"), 400, "unknown_field", "why")
    refused(client.post(f"{hooks}/{sid}/reactivate", {"reason": "x" * 201}, format="json"), 400, "too_long")
    refused(client.post(f"{hooks}/{sid}/replay-failed", {"limit": 0}, format="json"), 400, "min_value")
    refused(client.get(f"{hooks}/{sid}/deliveries", {"status": "LOST"}), 400, "invalid_status", "status")
    for path in ("", "/deactivate", "/reactivate", "/replay-failed"):
        method = client.get if path == "" else client.post
        refused(method(f"{hooks}/whs_nope{path}", **({} if path == "" else {"format": "json"})), 404, "not_found")
    refused(client.get(f"{hooks}/whs_nope/deliveries"), 404, "not_found")
    refused(client.get(f"{API}/webhook-deliveries/whd_nope"), 404, "not_found")
    refused(client.post(f"{API}/webhook-deliveries/whd_nope/replay", {}, format="json"), 404, "not_found")

    services.webhook_subscription_set_active(public_id=sid, active=False, actor="ops")
    records += 1
    refused(client.post(f"{API}/webhook-deliveries/{did}/replay", {}, format="json"), 409, "subscription_inactive")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 8)
    assert AuditRecord.objects.count() == records

    # A key without the scope reads and changes nothing here.
    for path in (f"{hooks}/{sid}", f"{hooks}/{sid}/deliveries", f"{API}/webhook-deliveries/{did}"):
        assert other.get(path).status_code == 403, path
    for path in (
        f"{hooks}/{sid}/deactivate",
        f"{hooks}/{sid}/reactivate",
        f"{hooks}/{sid}/replay-failed",
        f"{API}/webhook-deliveries/{did}/replay",
    ):
        assert other.post(path, {}, format="json").status_code == 403, path
    assert WebhookSubscription.objects.get().is_active is False and AuditRecord.objects.count() == records


@pytest.mark.django_db
def test_staff_manage_webhooks_with_the_operations_role_and_an_auditor_only_reads(logged_delivery):
    subscription, delivery = logged_delivery
    sid, did = subscription.public_id, delivery.public_id
    operations = otp_login(Client(), make_staff("hooks-ops", "operations"))
    auditor = otp_login(Client(), make_staff("hooks-auditor", "auditor"))
    teller = otp_login(Client(), make_staff("hooks-teller", "teller"))
    json_body = {"data": {}, "content_type": "application/json"}

    assert auditor.get(f"{API}/webhooks/{sid}").status_code == 200
    assert auditor.get(f"{API}/webhooks/{sid}/deliveries").json()["results"][0]["id"] == did
    assert teller.get(f"{API}/webhooks/{sid}").status_code == 403
    for path in (f"{API}/webhooks/{sid}/deactivate", f"{API}/webhook-deliveries/{did}/replay"):
        assert auditor.post(path, **json_body).status_code == 403, path
    # The admin's actions ask the same permission: an auditor's (de)activate and replay do nothing.
    auditor.post("/admin/events/webhooksubscription/", {"action": "deactivate", "_selected_action": [subscription.pk]})
    auditor.post("/admin/events/webhookdelivery/", {"action": "replay", "_selected_action": [delivery.pk]})
    subscription.refresh_from_db()
    delivery.refresh_from_db()
    assert subscription.is_active and delivery.status == DeliveryStatus.FAILED

    replayed = operations.post(f"{API}/webhook-deliveries/{did}/replay", **json_body)
    assert replayed.status_code == 200 and replayed.json()["status"] == "PENDING"
    assert audits("events.webhook_delivery_replayed", did)[0].actor == "hooks-ops"
    assert operations.post(f"{API}/webhooks/{sid}/deactivate", **json_body).json()["is_active"] is False
    operations.post("/admin/events/webhooksubscription/", {"action": "activate", "_selected_action": [subscription.pk]})
    subscription.refresh_from_db()
    assert subscription.is_active
    assert [r.actor for r in audits("events.webhook_subscription_activated", sid)] == ["hooks-ops"]
