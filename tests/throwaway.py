"""Throwaway servers for fault tests: a PostgreSQL cluster and a Redis on their own ports, and the app served
by its real ASGI server (``manage.py serve``, daphne) pointed at them. Tests stop, kill and restart these;
never the shared servers on 5432 and 6379.
"""

from __future__ import annotations

import atexit
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        pytest.skip("needs PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    return Path(found[-1]).parent


class PostgresCluster:
    """initdb + pg_ctl in a temporary directory, as the ``postgres`` user when the tests run as root."""

    def __init__(self, port: int | None = None) -> None:
        self.bin = _pg_bin()
        # Its own directory under /tmp (not pytest's tmp_path, which is 0700 and root's): the server user
        # must reach its data and socket directory.
        self.base = Path(tempfile.mkdtemp(prefix="qenex-pg-"))
        self.data = self.base / "pgdata"
        self.log = self.base / "postgres.log"
        self.port = port or free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(self.base, pw.pw_uid, pw.pw_gid)

    def _run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        command = list(args)
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=timeout)

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")

    def init_migrated(self) -> None:
        """``init`` with a database ``qenex`` holding the migrated schema (not started), as a copy of the first
        such cluster this test process made: migrating takes half a minute, copying a stopped cluster's data
        directory well under a second. The schema and the migrations' rows depend on the code alone, not on the
        environment a test gives the app afterwards."""
        self._run("cp", "-a", str(_migrated_data_directory()), str(self.data))

    def running(self) -> bool:
        return self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "status", check=False).returncode == 0

    def start(self, wait: bool = True) -> None:
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.log),
            "-w" if wait else "-W",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self, mode: str = "fast") -> None:
        """``pg_ctl restart``: stop (``mode`` says how open sessions end) and start again, waiting until it serves."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-l", str(self.log), "-w", "restart")

    def psql(self, sql: str, database: str = "postgres") -> str:
        return self._run(
            str(self.bin / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-At",
            "-c",
            sql,
        ).stdout.strip()

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


_migrated: PostgresCluster | None = None


def _migrated_data_directory() -> Path:
    """The data directory of a stopped cluster with database ``qenex`` migrated, made once per test process and
    removed at its exit."""
    global _migrated
    if _migrated is None:
        template = PostgresCluster()
        atexit.register(template.destroy)
        template.init()
        template.start()
        try:
            template.psql("CREATE DATABASE qenex")
            manage(app_env(template.url("qenex"), template.base / "var", REDIS_URL=""), "migrate", "--noinput", "-v0")
        finally:
            template.stop()
        _migrated = template
    return _migrated.data


class RedisServer:
    def __init__(self, base: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("needs redis-server")
        self.port = free_port()
        base.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(base),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _tcp_open(self.port), "redis-server to listen")

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


def _tcp_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def app_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for the app in a child process: test mode (any Host, fast hashes), its own var/ directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QENEX_", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        QENEX_ENV="test",
        DJANGO_SETTINGS_MODULE="qenex.settings",
        DATABASE_URL=database_url,
        QENEX_VAR_DIR=str(var_dir),
        QENEX_CELERY_EAGER="true",
        QENEX_KYC_REQUIRED="false",  # as in the suite (qenex/settings_test.py): these tests open accounts for any owner
        QENEX_PAYMENTS_CALENDARS="false",  # as in the suite: payments go out whenever the test runs
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


class AppServer:
    """``manage.py serve`` (daphne) on a free port; ``call`` answers (status, headers, JSON body)."""

    def __init__(self, env: dict[str, str], log: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.log = log
        self._log_handle = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve"],
            cwd=ROOT,
            env={**env, "QENEX_API_HOST": "127.0.0.1", "QENEX_API_PORT": str(self.port)},
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: _tcp_open(self.port), "the ASGI server to listen")

    def call(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> tuple[int, dict, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, dict(response.headers), json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                payload = json.loads(raw or b"{}")
            except ValueError:
                payload = {"raw": raw.decode(errors="replace")[:500]}
            return error.code, dict(error.headers), payload

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log_handle.close()
