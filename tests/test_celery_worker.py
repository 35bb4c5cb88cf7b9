"""A real Celery worker process, over the real Redis broker, runs a ledger task against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.ledger.models import HoldStatus
from apps.ledger.services import hold_place
from qenex.celery import app
from tests.factories import funded_account

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def worker(on_postgresql):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: set REDIS_URL (make test does when Redis answers)")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "QENEX_ENV": "development",
        "QENEX_CELERY_EAGER": "false",
        "QENEX_VAR_DIR": "/tmp/qenex-celery-test",
        "DJANGO_SETTINGS_MODULE": "qenex.settings",
    }
    queue = f"test-{os.getpid()}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "qenex",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "-l",
            "warning",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield queue
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def real_broker():
    """This process normally runs tasks eagerly; here it must hand them to the worker."""
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def test_expire_holds_runs_in_a_real_worker(worker, real_broker):
    account = funded_account("50.00")
    hold = hold_place(
        account=account.public_id, amount="20.00", currency="USD", expires_at=timezone.now() + timedelta(seconds=1)
    ).hold
    time.sleep(1.2)
    result = app.send_task("apps.ledger.tasks.expire_holds", queue=worker)
    assert result.get(timeout=60) == 1
    hold.refresh_from_db()
    assert hold.status == HoldStatus.EXPIRED
