"""A real LP simulator process (``manage.py run_fix_lp``) on free ports, and QENEX's FIX session to it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from apps.treasury.fix.client import lp_client, lp_client_reset
from tests.throwaway import free_port

ROOT = Path(__file__).resolve().parents[2]


class LpProcess:
    def __init__(self, tmp: Path, *extra: str) -> None:
        self.port, self.control_port = free_port(), free_port()
        self.state_dir = tmp / "lp"
        self.log = open(tmp / "lp.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "run_fix_lp", "--port", str(self.port), "--control-port",
             str(self.control_port), "--state-dir", str(self.state_dir), "--seed", "7", *extra],
            cwd=ROOT, env={**os.environ, "QENEX_ENV": os.environ.get("QENEX_ENV", "development")},
            stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 120  # a loaded two-core machine starts Django slowly
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.control_port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the LP simulator did not start")

    def command(self, line: str) -> str:
        with socket.create_connection(("127.0.0.1", self.control_port), timeout=5) as sock:
            stream = sock.makefile("rw")
            stream.write(line + "\n")
            stream.flush()
            return stream.readline().strip()

    def fills(self) -> int:
        return int(self.command("fills"))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture
def fix_lp(tmp_path, settings):
    lp = LpProcess(tmp_path)
    settings.QENEX_FX_LP_PORT = lp.port
    settings.QENEX_FX_FIX_STORE_DIR = str(tmp_path / "qenex-store")
    lp_client_reset()
    assert lp_client().wait_logged_on(20), "QENEX did not log on to the LP"
    yield lp
    lp_client_reset()
    lp.stop()
