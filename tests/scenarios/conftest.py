import importlib
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.customers.conftest import kyc_on  # noqa: F401 (a fixture for these scenarios)


@pytest.fixture(autouse=True)
def seeded_risk_rules(transactional_db):
    """The risk rules the data migration seeds: a transactional test's flush empties the table, so put them back."""
    from apps.customers.models import RiskRule
    from apps.customers.services import risk_rule_save

    seed = importlib.import_module("apps.customers.migrations.0002_risk_rules_and_roles")
    if not RiskRule.objects.exists():
        for factor, value, points, reason in seed.RULES:
            risk_rule_save(factor=factor, value=value, points=points, reason=reason, actor="migration")


@contextmanager
def running_bank(workdir: Path, *, network_url: str | None = None, **env_overrides: str) -> Iterator[dict]:
    """The bank's moving parts as real processes: a network sandbox (unless ``network_url`` names one), a Celery
    worker submitting payments and beat reading the answers feeds; this process sends its tasks to that worker.

    Yields ``{"sandbox", "env", "queue", "worker", "beat", "logs"}``; the processes are stopped on exit.
    """
    from django.conf import settings
    from django.db import connection

    from qenex.celery import app
    from tests.network_sandbox import NetworkSandbox
    from tests.payments.gateway.test_worker import _beat, _env, _stop, _worker

    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)")
    from apps.inbound.models import InboundCursor
    from apps.payments.models import AckCursor

    # Feed cursors left by an earlier test's network (a process of its own that is gone, and whose beat may have
    # written them after that test's database was emptied): this network's feeds start at zero.
    AckCursor.objects.all().delete()
    InboundCursor.objects.all().delete()
    with ExitStack() as stack:
        sandbox = None
        if network_url is None:
            sandbox = stack.enter_context(NetworkSandbox(workdir, rail="all", delay=0.1))
            network_url = sandbox.url
        queue = f"test-scenario-{os.getpid()}-{workdir.name}"
        env = _env(queue, network_url, **env_overrides)
        logs = {"worker": workdir / "worker.log", "beat": workdir / "beat.log"}
        worker, beat = _worker(queue, env, logs["worker"]), _beat(env, workdir)
        stack.callback(_stop, worker)
        stack.callback(_stop, beat)
        eager, default_queue = app.conf.task_always_eager, app.conf.task_default_queue
        urls = settings.QENEX_PAYMENTS_NETWORK_URLS
        app.conf.task_always_eager, app.conf.task_default_queue = False, queue
        settings.QENEX_PAYMENTS_NETWORK_URLS = env["QENEX_PAYMENTS_NETWORK_URLS"]

        def restore() -> None:
            settings.QENEX_PAYMENTS_NETWORK_URLS = urls
            app.conf.task_always_eager, app.conf.task_default_queue = eager, default_queue

        stack.callback(restore)
        yield {"sandbox": sandbox, "env": env, "queue": queue, "worker": worker, "beat": beat, "logs": logs}
