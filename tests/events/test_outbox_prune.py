"""Outbox pruning: relayed rows past the retention go in bounded, audited batches; nothing unrelayed ever goes."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from apps.audit.models import AuditRecord
from apps.events import services, tasks
from apps.events.models import OutboxEvent, WebhookDelivery
from apps.ledger.services import post_deposit
from tests.factories import funded_account


def _relay_all_but(keep_unsent: int) -> tuple[set[int], set[int]]:
    """Mark every outbox row sent except the newest ``keep_unsent`` (as the relay would after Kafka's ack)."""
    ids = list(OutboxEvent.objects.order_by("id").values_list("id", flat=True))
    relayed, unsent = ids[: len(ids) - keep_unsent], ids[len(ids) - keep_unsent :]
    services.outbox_mark_sent(ids=relayed)
    return set(relayed), set(unsent)


def _deposits(account, n: int) -> None:
    for i in range(n):
        post_deposit(to_account=account.public_id, amount=f"{i + 1}.00", currency="USD")


@pytest.mark.django_db
def test_relayed_rows_past_the_retention_are_deleted_in_batches_and_unrelayed_rows_stay(settings):
    settings.QENEX_EVENTS_OUTBOX_RETENTION_DAYS = 7
    _deposits(funded_account("1.00"), 7)
    relayed, unsent = _relay_all_but(2)
    assert len(relayed) >= 5

    assert services.outbox_prune(now=timezone.now() + timedelta(days=6), batch_size=2) == 0  # not old enough yet
    assert services.outbox_prune(now=timezone.now() + timedelta(days=8), batch_size=2, max_batches=1) == 2  # bounded
    deleted = services.outbox_prune(now=timezone.now() + timedelta(days=8), batch_size=2)
    assert deleted == len(relayed) - 2
    assert set(OutboxEvent.objects.values_list("id", flat=True)) == unsent  # never relayed: kept, however old
    audits = AuditRecord.objects.filter(action="events.outbox_pruned")
    assert sum(a.after["deleted"] for a in audits) == len(relayed)
    assert audits.count() == 1 + -(-(len(relayed) - 2) // 2)  # one record per batch


@pytest.mark.django_db
def test_the_beat_task_prunes_with_the_configured_retention(settings):
    _deposits(funded_account("1.00"), 2)
    relayed, unsent = _relay_all_but(1)
    settings.QENEX_EVENTS_OUTBOX_RETENTION_DAYS = 7
    assert tasks.outbox_prune.apply().get() == 0
    settings.QENEX_EVENTS_OUTBOX_RETENTION_DAYS = 0  # everything relayed before now is past it
    assert tasks.outbox_prune.apply().get() == len(relayed)
    assert set(OutboxEvent.objects.values_list("id", flat=True)) == unsent
    entry = django_settings.CELERY_BEAT_SCHEDULE["events-outbox-prune"]
    assert entry["task"] == tasks.outbox_prune.name


@pytest.mark.django_db(transaction=True)
def test_rows_the_webhooks_still_need_are_kept(settings):
    settings.QENEX_WEBHOOK_ALLOW_HTTP = True
    account = funded_account("1.00")
    services.webhook_subscription_create(url="http://127.0.0.1:9/hook", event_types=["transaction.posted"])
    post_deposit(to_account=account.public_id, amount="2.00", currency="USD")
    deadline = time.monotonic() + 60  # the dispatcher reads below the cluster's xmin (see test_api_and_webhooks)
    while not WebhookDelivery.objects.exists() and time.monotonic() < deadline:
        services.webhooks_dispatch()
        time.sleep(0.2)
    delivered_event = WebhookDelivery.objects.get().event_id
    post_deposit(to_account=account.public_id, amount="3.00", currency="USD")  # after the dispatcher's cursor
    newest = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first()
    relayed, unsent = _relay_all_but(0)
    assert not unsent
    services.outbox_prune(now=timezone.now() + timedelta(days=30))
    assert set(OutboxEvent.objects.values_list("id", flat=True)) == {delivered_event, newest}
