"""/api/v1/system/status reports what really runs: database, broker, a real Celery worker, beat, features."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from apps.core import status
from tests.conftest import make_client

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_status():
    status.clear_cache()
    yield
    status.clear_cache()


def beat_ran(ago: timedelta) -> None:
    every = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="expire-holds", task="apps.ledger.tasks.expire_holds", interval=every,
                                last_run_at=timezone.now() - ago)


def test_eager_mode_is_operational_and_flags_are_not_claimed_as_running(anon, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    body = anon.get("/api/v1/system/status").json()
    assert body["status"] == "operational"
    assert body["components"]["database"]["status"] == "ok"
    assert body["components"]["workers"]["status"] == "eager"
    # The seed's flags are configuration; fraud detection runs only with a model in production, and none is.
    assert body["features"]["fraud_detection"]["configured"] is True
    assert body["features"]["fraud_detection"]["running"] is False
    assert body["features"]["fraud_detection"]["model"] == "no model"
    assert body["versions"]["django"] and body["versions"]["qenex"] == django_settings.QENEX_VERSION


def test_broker_down_is_degraded_not_a_500(anon, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    started = time.monotonic()
    response = anon.get("/api/v1/system/status")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["components"]["broker"] == {"status": "down"}
    assert body["components"]["workers"]["status"] == "unknown"
    assert time.monotonic() - started < 5


def test_beat_is_ok_when_it_ran_recently_and_stale_otherwise(anon):
    assert status.beat_status()["status"] == "never ran"
    beat_ran(timedelta(minutes=1))
    assert status.beat_status()["status"] == "ok"
    PeriodicTask.objects.update(last_run_at=timezone.now() - timedelta(hours=1))
    assert status.beat_status()["status"] == "stale"


def test_the_background_probes_are_cached(anon, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    assert anon.get("/api/v1/system/status").json()["components"]["beat"]["status"] == "never ran"
    beat_ran(timedelta(minutes=1))
    assert anon.get("/api/v1/system/status").json()["components"]["beat"]["status"] == "never ran"  # cached
    status.clear_cache()
    assert anon.get("/api/v1/system/status").json()["components"]["beat"]["status"] == "ok"


def test_versions_are_only_for_authenticated_callers_where_the_docs_are_closed(anon, settings):
    settings.QENEX_API_DOCS_PUBLIC = False
    assert "versions" not in anon.get("/api/v1/system/status").json()
    assert "versions" in make_client(["accounts:read"]).get("/api/v1/system/status").json()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_answers_the_ping(on_postgresql, settings):
    if not django_settings.REDIS_URL:
        pytest.skip("needs Redis: set REDIS_URL (make test does when Redis answers)")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert status.workers_status(broker="ok")["status"] == "down"  # no worker yet
    db = connection.settings_dict
    env = {**os.environ, "QENEX_ENV": "development", "QENEX_CELERY_EAGER": "false",
           "QENEX_VAR_DIR": "/tmp/qenex-status-test", "DJANGO_SETTINGS_MODULE": "qenex.settings",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"}
    proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "qenex", "worker", "--pool=solo", "-Q",
                             f"status-{os.getpid()}", "-l", "warning", "--without-gossip", "--without-mingle"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while (report := status.workers_status(broker="ok"))["status"] != "ok" and time.monotonic() < deadline:
            time.sleep(0.5)
        assert report == {"status": "ok", "answered": 1}
    finally:
        proc.terminate()
        proc.wait(timeout=20)
