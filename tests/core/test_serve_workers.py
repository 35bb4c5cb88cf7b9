"""``manage.py serve --workers N``: N daphne processes answer on one port, and stopping the parent stops them all."""

from __future__ import annotations

import os

import psutil
import pytest

from tests.throwaway import AppServer, app_env, wait_for


@pytest.mark.slow
def test_two_workers_share_the_port_and_stop_together(tmp_path):
    database_url = os.environ.get("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    server = AppServer(app_env(database_url, tmp_path, QENEX_API_WORKERS="2"), tmp_path / "serve.log")
    try:
        parent = psutil.Process(server.process.pid)
        wait_for(lambda: len(parent.children()) == 2, "two daphne workers")
        workers = parent.children()
        for _ in range(20):
            status, _headers, _body = server.call("GET", "/health/live")
            assert status == 200
        assert all(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)
    finally:
        server.stop()
    assert server.process.returncode in (0, 1, -15), server.log.read_text()[-2000:]
    wait_for(lambda: not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers), "workers exit")


def test_zero_workers_is_refused(tmp_path):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="at least 1"):
        call_command("serve", "--workers", "0")
