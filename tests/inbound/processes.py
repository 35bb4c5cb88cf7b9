"""Real processes for the inbound tests: a network sandbox, a Celery worker and beat, against PostgreSQL and Redis.

Beat runs ``apps.inbound.tasks.inbound_tick`` every 0.3 s: the worker reads each rail's inbound feed, receives
what the network delivered, and sends the returns we owe. This process plays the other banks (it puts messages
on the sandbox's inbound feed) and the operator (it calls the services or the API).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from apps.inbound.models import InboundCursor
from apps.payments.models import AckCursor
from qenex.celery import app
from tests.network_sandbox import NetworkSandbox
from tests.payments.gateway.test_worker import _beat, _env, _worker, stop_and_forget_feeds


@contextmanager
def inbound_processes(workdir: Path, db_blocker) -> Iterator[dict[str, Any]]:
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)")
    # A new sandbox numbers its feeds from 1: no earlier network's positions may remain (each module's processes
    # forget theirs when they stop, see stop_and_forget_feeds; this covers processes started some other way).
    with db_blocker.unblock():
        InboundCursor.objects.all().delete()
        AckCursor.objects.all().delete()
    with NetworkSandbox(workdir, rail="all", delay=0.1) as sandbox:
        queue = f"test-inbound-{os.getpid()}-{workdir.name}"
        env = _env(queue, sandbox.url, QENEX_INBOUND_POLL_SECONDS="0.3")
        worker, beat = _worker(queue, env, workdir / "worker.log"), _beat(env, workdir)
        app.conf.task_always_eager, app.conf.task_default_queue = False, queue
        urls, settings.QENEX_PAYMENTS_NETWORK_URLS = settings.QENEX_PAYMENTS_NETWORK_URLS, f"*={sandbox.url}"
        try:
            yield {"sandbox": sandbox, "worker": workdir / "worker.log", "beat": workdir / "beat.log"}
        finally:
            settings.QENEX_PAYMENTS_NETWORK_URLS = urls
            app.conf.task_always_eager, app.conf.task_default_queue = True, "celery"
            stop_and_forget_feeds(db_blocker, beat, worker)


def until(condition: Callable[[], Any], processes: dict[str, Any], timeout: float = 30.0, what: str = "") -> Any:
    """Poll ``condition`` until it returns something truthy; fail with the worker's log after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    log = Path(processes["worker"]).read_text(errors="replace")[-3000:]
    raise AssertionError(f"not {what or 'done'} after {timeout}s; worker log:\n{log}")


def deliver(processes: dict[str, Any], rail: str, raw: bytes) -> dict[str, Any]:
    """Another bank sends ``raw`` to us over ``rail``: the network puts it on our inbound feed."""
    status, body = processes["sandbox"].request("POST", f"/{rail}/inbound", raw)
    assert status == 202, body
    return body
