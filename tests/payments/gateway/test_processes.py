"""The test processes' own hygiene: a module's worker and beat leave nothing behind for the next module.

Not in test_worker.py: that module's own worker and beat run until its last test, writing feed cursors meanwhile.
"""

from __future__ import annotations

import os
import time

import pytest

from apps.inbound.models import InboundCursor
from apps.payments.models import AckCursor

from .test_worker import _beat, _env, _worker, stop_and_forget_feeds

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_modules_processes_leave_no_feed_positions_behind(django_db_blocker, session_link, tmp_path):
    """What ``stop_and_forget_feeds`` is for: beat records feed cursors; once its processes stop, none is left."""
    queue = f"test-payments-forget-{os.getpid()}"
    env = _env(queue, session_link.url, QENEX_INBOUND_POLL_SECONDS="0.3")
    worker, beat = _worker(queue, env, tmp_path / "worker.log"), _beat(env, tmp_path)
    try:
        deadline = time.monotonic() + 90
        while not (AckCursor.objects.exists() and InboundCursor.objects.exists()):
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
            time.sleep(0.2)
    finally:
        stop_and_forget_feeds(django_db_blocker, beat, worker)
    time.sleep(1.5)  # more than beat's interval: nothing of theirs still runs to write one again
    assert not AckCursor.objects.exists() and not InboundCursor.objects.exists()
