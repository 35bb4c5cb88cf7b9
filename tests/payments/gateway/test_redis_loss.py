"""Redis is a broker, not a store of record (docs/runbooks/redis-loss.md): payments are sent while their
submission tasks sit in a throwaway Redis that no worker reads yet; that Redis is killed (its messages gone, it
persists nothing); a fresh Redis starts empty, with a worker and beat on it. Beat's requeue re-drives the
payments from their rows in PostgreSQL, and each settles exactly once: one capture entry, one network payment,
the ledger exact."""

from __future__ import annotations

import os

import pytest
import redis
from django.conf import settings
from django.db import connection

from apps.ledger.models import JournalEntry
from apps.ledger.selectors import balance_get
from apps.payments.models import PaymentOrder
from apps.payments.states import PaymentStatus
from qenex.celery import app
from tests.factories import funded_account
from tests.ledger.invariants import ledger_violations
from tests.throwaway import RedisServer

from .payments import sct_body
from .test_worker import _beat, _env, _stop, _worker, finished, send

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
S = PaymentStatus


def _use_broker(url: str) -> None:
    """Point this process's Celery app at ``url`` (drop the pooled connections to the previous broker)."""
    app.conf.broker_url = url
    app._pool = None  # the next send builds a pool for the new URL (kombu keys its producer pools by connection)
    app.amqp._producer_pool = None


def test_payments_queued_in_a_lost_redis_are_re_driven_from_the_database_and_settle_once(
    session_link, gateway_sandbox, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    queue = f"test-redis-loss-{os.getpid()}"
    lost = RedisServer(tmp_path / "redis-lost")
    broker, eager = app.conf.broker_url, app.conf.task_always_eager
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    _use_broker(lost.url())
    urls, settings.QENEX_PAYMENTS_NETWORK_URLS = settings.QENEX_PAYMENTS_NETWORK_URLS, f"*={session_link.url}"
    processes = []
    try:
        accounts = [funded_account("500.00", "EUR") for _ in range(3)]
        # SEPA Instant: 24/7, so no payment is warehoused for a later value date whatever time the test runs.
        payments = [send(sct_body(a.public_id, speed="instant"), a) for a in accounts]
        rows = PaymentOrder.objects.filter(pk__in=[p.pk for p in payments])
        assert {(p.status, p.rail) for p in rows} == {(S.QUEUED, "sepa_inst")}, [(p.status, p.value_date) for p in rows]
        assert redis.Redis(port=lost.port).llen(queue) >= len(payments)  # waiting in the broker, no worker yet
        lost.kill()  # every queued submission message is gone with it

        fresh = RedisServer(tmp_path / "redis-fresh")
        env = _env(queue, session_link.url, REDIS_URL=fresh.url(), QENEX_PAYMENTS_STALE_SECONDS="1")
        processes = [_worker(queue, env, tmp_path / "worker.log"), _beat(env, tmp_path)]
        settled = [finished(p, {"worker": tmp_path / "worker.log"}, timeout=60) for p in payments]
    finally:
        for process in processes:
            _stop(process)
        settings.QENEX_PAYMENTS_NETWORK_URLS = urls
        app.conf.task_always_eager, app.conf.task_default_queue = eager, "celery"
        _use_broker(broker)
        lost.kill()
        if "fresh" in locals():
            fresh.kill()
    assert [p.status for p in settled] == [S.SETTLED] * 3, [p.reason for p in settled]
    for payment, account in zip(settled, accounts, strict=True):
        seen = gateway_sandbox.get(f"/_sandbox/seen?id={payment.uetr}")[1]["submissions"]
        assert [s["duplicate"] for s in seen] == [False] + [True] * (len(seen) - 1)
        assert JournalEntry.objects.filter(metadata__hold=payment.hold_id).count() == 1
        assert balance_get(account=account).ledger_minor == 50000 - 15000
    assert ledger_violations(with_audit=True) == {}
