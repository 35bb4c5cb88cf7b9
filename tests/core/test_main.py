"""``python main.py``: the seed's all-in-one start (web, worker, beat, metrics), ``--daemon``, ``stop``, ``status``.

The instance runs as real processes on ports 18410/18411, against the test database and this run's Redis db.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from django.db import connection

from tests.throwaway import _tcp_open, app_env, wait_for

ROOT = Path(__file__).resolve().parent.parent.parent
API_PORT, METRICS_PORT = 18410, 18411


def main_py(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def value(exposition: str, sample: str) -> float:
    found = re.search(rf"^{re.escape(sample)} (\S+)$", exposition, flags=re.M)
    return float(found.group(1)) if found else 0.0


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return app_env("sqlite://", tmp_path / "var")


def test_status_says_not_running_without_a_pid_file(env, tmp_path):
    done = main_py(env, "status", "--pid-file", str(tmp_path / "none.pid"))
    assert (done.returncode, done.stdout.strip()) == (3, "qenex is not running")


def test_status_of_a_stale_pid_file_is_1_and_stop_clears_it(env, tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    pid_file = tmp_path / "stale.pid"
    pid_file.write_text(f"{gone.pid}\n")
    assert main_py(env, "status", "--pid-file", str(pid_file)).returncode == 1
    stopped = main_py(env, "stop", "--pid-file", str(pid_file))
    assert (stopped.returncode, stopped.stdout.strip()) == (0, "qenex was not running")
    assert not pid_file.exists()


def test_a_pid_file_naming_another_program_is_stale_and_that_program_is_not_signalled(env, tmp_path):
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        pid_file = tmp_path / "reused.pid"
        pid_file.write_text(f"{other.pid}\n")
        assert main_py(env, "status", "--pid-file", str(pid_file)).returncode == 1
        assert main_py(env, "stop", "--pid-file", str(pid_file)).returncode == 0
        assert other.poll() is None  # still running: stop did not send it SIGTERM
    finally:
        other.kill()
        other.wait()


def test_a_bad_config_stops_before_detaching(env, tmp_path):
    config = tmp_path / "config.json"
    config.write_text('{"metrics": {"port": 0}}')
    done = main_py(env, "--config", str(config), "--daemon", "--pid-file", str(tmp_path / "q.pid"))
    assert done.returncode == 2 and "metrics.port=0 is invalid" in done.stderr
    assert not (tmp_path / "q.pid").exists()


@pytest.fixture
def instance(on_postgresql, transactional_db, tmp_path):
    """``main.py --daemon`` with web, worker and beat, on the test database; stopped at the end in any case."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis for the worker and beat: set REDIS_URL")
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    var_dir = tmp_path / "var"
    environment = app_env(database_url, var_dir, REDIS_URL=settings.REDIS_URL, QENEX_CELERY_EAGER="false",
                          QENEX_API_HOST="127.0.0.1", QENEX_API_PORT=str(API_PORT),
                          QENEX_METRICS_PORT=str(METRICS_PORT), QENEX_STOP_TIMEOUT="20")
    pid_file, log_file = tmp_path / "qenex.pid", tmp_path / "qenex.log"
    files = ["--pid-file", str(pid_file)]
    started = main_py(environment, "--daemon", *files, "--log-file", str(log_file))
    try:
        assert started.returncode == 0, started.stderr
        wait_for(lambda: _tcp_open(API_PORT) and _tcp_open(METRICS_PORT), "the web server and the metrics port")
        # The worker and beat start beside the web server, at their own pace on a loaded machine: a stop sent while
        # they still import would test their start-up, not the clean stop the tests are about.
        wait_for(lambda: log_file.exists() and " ready." in (text := log_file.read_text()) and
                 "beat: Starting..." in text, "the worker and beat", timeout=120)
        yield environment, files, pid_file, log_file
    finally:
        main_py(environment, "stop", *files)


@pytest.mark.slow
def test_daemon_runs_web_worker_beat_and_metrics_then_stops_cleanly(instance):
    environment, files, pid_file, log_file = instance
    supervisor = psutil.Process(int(pid_file.read_text()))
    assert supervisor.ppid() == 1 or supervisor.terminal() is None  # detached
    commands = [" ".join(child.cmdline()) for child in supervisor.children()]
    for expected in ("manage.py serve", "-m celery -A qenex worker", "-m celery -A qenex beat"):
        assert sum(expected in command for command in commands) == 1, (expected, commands)
    assert fetch(f"http://127.0.0.1:{API_PORT}/health/live").strip() == '{"status":"ok"}'
    assert "# TYPE qenex_memory_usage_bytes gauge" in fetch(f"http://127.0.0.1:{METRICS_PORT}/metrics")

    running = main_py(environment, "status", *files)
    assert (running.returncode, running.stdout.strip()) == (0, f"qenex is running (pid {supervisor.pid})")
    again = main_py(environment, "--daemon", *files)
    assert again.returncode == 1 and f"qenex is running (pid {supervisor.pid})" in again.stderr

    processes = [supervisor, *supervisor.children(recursive=True)]
    stopped = main_py(environment, "stop", *files)
    assert (stopped.returncode, stopped.stdout.strip()) == (0, f"qenex stopped (pid {supervisor.pid})")
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in processes)
    assert not pid_file.exists() and not _tcp_open(API_PORT) and not _tcp_open(METRICS_PORT)
    assert main_py(environment, "status", *files).returncode == 3
    log = log_file.read_text()
    assert "received SIGTERM, stopping" in log and "Warm shutdown" in log and "qenex.instance stopped" in log


@pytest.mark.slow
def test_the_metrics_port_sums_every_process_of_the_instance(instance):
    """A deposit through the web process and one from another process of the instance: the scrape has both."""
    environment, *_ = instance
    metrics_dir = Path(environment["QENEX_VAR_DIR"]) / "metrics"
    deposit = 'qenex_transactions_total{currency="EUR",type="DEPOSIT"}'
    volume = 'qenex_transaction_amount_sum{currency="EUR",type="DEPOSIT"}'
    token = subprocess.run(
        [sys.executable, "manage.py", "create_api_client", "main-py", "--scopes", "accounts:write",
         "--all-customers", "--token-only"], cwd=ROOT, env=environment, capture_output=True, text=True, check=True,
    ).stdout.strip()
    request = urllib.request.Request(
        f"http://127.0.0.1:{API_PORT}/api/v1/accounts", method="POST",
        data=b'{"owner_id": "mp", "account_type": "CHECKING", "currency": "EUR", "initial_balance": "5"}',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": "mp-1"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        account = json.loads(response.read())["id"]
    code = ("from apps.ledger.services import post_by_type; "
            f"post_by_type(entry_type='DEPOSIT', to_account='{account}', amount='7', currency='EUR')")
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, check=True, capture_output=True,
                   env={**environment, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)})
    scrape = fetch(f"http://127.0.0.1:{METRICS_PORT}/metrics")
    assert value(scrape, deposit) == 2 and value(scrape, volume) == 12
    assert value(fetch(f"http://127.0.0.1:{API_PORT}/metrics"), deposit) == 2  # /metrics aggregates the same
    assert os.listdir(metrics_dir)


@pytest.mark.slow
def test_a_child_that_dies_stops_the_instance_with_exit_1(tmp_path):
    """The web server refuses a half TLS configuration and exits: main.py does not run on without it."""
    environment = {k: v for k, v in app_env("", tmp_path / "var").items() if k != "DATABASE_URL"}
    config = tmp_path / "config.json"
    config.write_text('{"api": {"ssl_cert": "/nonexistent/cert.pem"}}')
    done = main_py({**environment, "QENEX_METRICS_PORT": str(METRICS_PORT), "REDIS_URL": ""},
                   "--config", str(config), "--pid-file", str(tmp_path / "q.pid"), timeout=120)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "web exited with 1; stopping the instance" in done.stderr
    assert not (tmp_path / "q.pid").exists() and not _tcp_open(METRICS_PORT)
