"""One QENEX instance on one machine, as the seed's ``python main.py`` runs it: web, worker, beat and metrics.

The supervisor starts the processes it is asked for, as children: the web server (``manage.py serve``, daphne),
and, when a broker (Redis) is configured, a Celery worker and beat. It serves the Prometheus metrics of them
all on ``metrics.port`` (prometheus_client multiprocess mode: each child writes to ``var/metrics/``).

SIGTERM or SIGINT stops it: each child gets SIGTERM (the web server stops listening and drains the requests
still running, ``apps.core.draining``; the Celery worker's warm shutdown finishes its running
tasks), then ``STOP_TIMEOUT_SECONDS`` (``QENEX_STOP_TIMEOUT``) later anything left gets SIGKILL. If a child
exits on its own, the supervisor stops the others and exits 1, so systemd, Docker or Kubernetes can restart the
whole instance rather than run half of it.

``stop`` and ``status`` find the instance by its pid file; their exit codes are the LSB init-script ones
(status: 0 running, 1 dead with a stale pid file, 3 not running; stop: 0 stopped or was not running).
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qenex import config as qenex_config

logger = logging.getLogger("qenex.instance")

ROOT = Path(__file__).resolve().parent.parent.parent
STOP_TIMEOUT_SECONDS = float(os.environ.get("QENEX_STOP_TIMEOUT", "30"))
PROCESS_NAMES = ("web", "worker", "beat")

STATUS_RUNNING, STATUS_DEAD, STATUS_NOT_RUNNING = 0, 1, 3


def default_pid_file() -> Path:
    return qenex_config.var_dir() / "qenex.pid"


def default_log_file() -> Path:
    return qenex_config.var_dir() / "qenex.log"


def child_commands(names: Sequence[str], *, var_dir: Path) -> dict[str, list[str]]:
    """The command line of each child process by name."""
    python = sys.executable
    concurrency = os.environ.get("QENEX_WORKER_CONCURRENCY", "")  # Celery's default: one pool process per core
    commands = {
        "web": [python, str(ROOT / "manage.py"), "serve"],
        "worker": [python, "-m", "celery", "-A", "qenex", "worker", "--loglevel", "INFO",
                   *(["--concurrency", concurrency] if concurrency else [])],
        "beat": [python, "-m", "celery", "-A", "qenex", "beat", "--loglevel", "INFO",
                 "--schedule", str(var_dir / "celerybeat-schedule")],
    }
    return {name: commands[name] for name in names}


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    try:
        zombie = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"  # exited, not reaped
        # A pid file outliving its process whose pid was reused: not ours, never signal it.
        ours = b"main.py" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # no /proc: trust the signal
        return True
    return ours and not zombie


def status(pid_file: Path) -> tuple[int, str]:
    """Return (LSB exit code, sentence) for the instance whose pid file this is."""
    pid = read_pid(pid_file)
    if pid is None:
        return STATUS_NOT_RUNNING, "qenex is not running"
    if _alive(pid):
        return STATUS_RUNNING, f"qenex is running (pid {pid})"
    return STATUS_DEAD, f"qenex is not running, but its pid file {pid_file} names pid {pid}"


def stop(pid_file: Path, *, timeout: float = STOP_TIMEOUT_SECONDS + 10) -> tuple[int, str]:
    """SIGTERM the instance and wait until it has exited. Return (exit code, sentence)."""
    pid = read_pid(pid_file)
    if pid is None or not _alive(pid):
        pid_file.unlink(missing_ok=True)
        return 0, "qenex was not running"
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return 0, f"qenex stopped (pid {pid})"
        time.sleep(0.1)
    return 1, f"qenex (pid {pid}) did not stop within {timeout:.0f} s"


def daemonize(*, pid_file: Path, log_file: Path) -> None:
    """Detach (double fork, new session); the first process exits once the daemon has written its pid file."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.unlink(missing_ok=True)
    if os.fork() > 0:  # the caller's process: wait for the pid file, so "started" means it
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and read_pid(pid_file) is None:
            time.sleep(0.05)
        pid = read_pid(pid_file)
        if pid is None:
            sys.stderr.write(f"error: qenex did not start; see {log_file}\n")
            os._exit(1)
        sys.stdout.write(f"qenex started (pid {pid}); log {log_file}\n")
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    os.chdir("/")
    os.umask(0o027)
    log = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)
    pid_file.write_text(f"{os.getpid()}\n")


@dataclass
class Child:
    name: str
    process: subprocess.Popen


class Supervisor:
    """Runs the children and the metrics listener until told to stop or until a child exits."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self.children: list[Child] = []
        self._stopping = False

    def _on_signal(self, signum: int, frame: object) -> None:
        logger.info("received %s, stopping", signal.Signals(signum).name)
        self._stopping = True

    def run(self) -> int:
        import django

        var_dir = qenex_config.var_dir()
        metrics_dir = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or var_dir / "metrics")
        metrics_dir.mkdir(parents=True, exist_ok=True)
        for stale in metrics_dir.glob("*.db"):  # last run's files would be summed into this run's counters
            stale.unlink()
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        os.environ["QENEX_INSTANCE_PID"] = str(os.getpid())
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qenex.settings")
        django.setup()
        from django.conf import settings

        from apps.core.metrics import start_listener

        names = self.names
        if not settings.REDIS_URL and {"worker", "beat"} & set(names):
            logger.warning("no broker configured (REDIS_URL): tasks run in the web process; not starting %s",
                           " and ".join(n for n in names if n != "web"))
            names = [n for n in names if n == "web"]
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        listener = None
        if settings.QENEX["metrics"]["enabled"]:
            listener = start_listener(settings.QENEX["api"]["host"], settings.QENEX["metrics"]["port"])
        for name, command in child_commands(names, var_dir=var_dir).items():
            self.children.append(Child(name, subprocess.Popen(command, cwd=ROOT)))  # noqa: S603 - fixed commands
            logger.info("started %s (pid %s)", name, self.children[-1].process.pid)
        exit_code = 0
        while not self._stopping:
            for child in self.children:
                if child.process.poll() is not None:
                    logger.error("%s exited with %s; stopping the instance", child.name, child.process.returncode)
                    exit_code, self._stopping = 1, True
            time.sleep(0.2)
        self._stop_children()
        if listener is not None:
            listener.shutdown()
        logger.info("stopped")
        return exit_code

    def _stop_children(self) -> None:
        from prometheus_client import multiprocess

        for child in self.children:
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for child in self.children:
            try:
                child.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.error("%s did not stop within %.0f s; killing it", child.name, STOP_TIMEOUT_SECONDS)
                child.process.kill()
                child.process.wait()
            multiprocess.mark_process_dead(child.process.pid)


def run(*, names: Sequence[str], daemon: bool, pid_file: Path, log_file: Path) -> int:
    """Start the instance in the foreground, or detached with ``daemon``. Return the exit code."""
    code, message = status(pid_file)
    if code == STATUS_RUNNING:
        sys.stderr.write(f"error: {message}\n")
        return 1
    if daemon:
        daemonize(pid_file=pid_file, log_file=log_file)
    else:  # so that ``stop`` and ``status`` work for a foreground instance too
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        pid_file.write_text(f"{os.getpid()}\n")
    try:
        return Supervisor(names).run()
    finally:
        if read_pid(pid_file) == os.getpid():
            pid_file.unlink(missing_ok=True)
