"""Start the card issuer host (``manage.py run_card_host``) as a real process on the test database.

with CardHostProcess(tmp_path) as host:
    with CardSwitch("127.0.0.1", host.port) as switch:
        switch.authorise(pan=..., amount_minor=2500)
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.network_sandbox import ROOT, free_port


def child_env() -> dict[str, str]:
    """What a child process needs to use this test's database and keys (blind index, KEK in VAR_DIR)."""
    db = connection.settings_dict
    return {
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "QENEX_ENV": "development",
        "QENEX_VAR_DIR": str(settings.VAR_DIR),
        "DJANGO_SETTINGS_MODULE": "qenex.settings",
    }


class CardHostProcess:
    def __init__(self, workdir: Path, *, env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.env = env or {}
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> CardHostProcess:
        self.port = free_port()
        env = {**os.environ, **child_env(), **self.env}
        self.log_path = self.workdir / f"card-host-{self.port}.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "run_card_host", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"card host exited with {self.process.returncode}: {self.output()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"card host did not listen within {timeout}s: {self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self.log.close()
        self.process = None

    def __enter__(self) -> CardHostProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
