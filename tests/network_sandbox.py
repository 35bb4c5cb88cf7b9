"""Start a payment network sandbox as a real subprocess, and talk to it (reusable by any test).

    from tests.network_sandbox import NetworkSandbox
    with NetworkSandbox(tmp_path, rail="sepa", delay=0.1) as network:
        receipt = network.submit("sepa", pacs008_bytes)
        acks = network.wait_for_replies("sepa", receipt["network_reference"], count=2)

``tests/payments/sandbox/conftest.py`` has a session-wide ``network_sandbox`` fixture for all rails.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NetworkSandbox:
    """A ``manage.py run_network_sandbox`` process on a free 127.0.0.1 port."""

    def __init__(
        self,
        workdir: Path,
        *,
        rail: str = "all",
        delay: float = 0.1,
        args: tuple[str, ...] = (),
        state_file: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.rail = rail
        self.delay = delay
        self.args = args
        self.state_file = state_file
        self.env = env or {}
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> NetworkSandbox:
        self.port = free_port()
        command = [
            sys.executable,
            "manage.py",
            "run_network_sandbox",
            "--rail",
            self.rail,
            "--port",
            str(self.port),
            "--delay",
            str(self.delay),
            *self.args,
        ]
        if self.state_file is not None:
            command += ["--state-file", str(self.state_file)]
        env = {**os.environ, "QENEX_ENV": "development", "QENEX_VAR_DIR": str(self.workdir / "var"), **self.env}
        self.log = open(self.workdir / f"sandbox-{self.port}.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sandbox exited with {self.process.returncode}: {self.output()}")
            try:
                status, _ = self.get("/_sandbox/health")
                if status == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"sandbox did not answer within {timeout}s: {self.output()}")

    def output(self) -> str:
        return (self.workdir / f"sandbox-{self.port}.log").read_text(errors="replace")

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

    def __enter__(self) -> NetworkSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ HTTP
    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
    ) -> tuple[int, Any]:
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def get(self, path: str) -> tuple[int, Any]:
        return self.request("GET", path)

    def submit(
        self, rail: str, raw: bytes, outcome: str | None = None, *, expect: int = 202, timeout: float = 30.0
    ) -> dict[str, Any]:
        path = "files" if rail == "ach" else "messages"
        headers = {"X-Sandbox-Outcome": outcome} if outcome else {}
        status, body = self.request("POST", f"/{rail}/{path}", raw, headers, timeout=timeout)
        assert status == expect, (status, body)
        return body

    def status(self, rail: str, ident: str) -> dict[str, Any]:
        path = "files" if rail == "ach" else "messages"
        status, body = self.get(f"/{rail}/{path}/{ident}/status")
        assert status == 200, body
        return body

    def acks(self, rail: str, since: int = 0) -> list[dict[str, Any]]:
        status, body = self.get(f"/{rail}/acks?since={since}&limit=1000")
        assert status == 200, body
        return body["acks"]

    def seen(self, ident: str) -> int:
        status, body = self.get(f"/_sandbox/seen?id={urllib.request.quote(ident)}")
        assert status == 200, body
        return body["count"]

    def answer(self, *answers: dict[str, Any], expect: int = 201) -> list[dict[str, Any]]:
        """Tell the ACH network what the receiving banks answer about entries (``POST /_sandbox/ach/answer``):
        ``answer({"trace_number": X, "return": "R01"}, {"trace_number": Y, "noc": "C01", "corrected_data": "123"})``.
        """
        body = json.dumps({"answers": list(answers)}).encode()
        status, reply = self.request("POST", "/_sandbox/ach/answer", body, {"Content-Type": "application/json"})
        assert status == expect, (status, reply)
        return reply["answers"] if status == 201 else reply

    def wait_for_replies(self, rail: str, ident: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Poll the status until ``count`` answers are published; return them in publication order."""
        deadline = time.monotonic() + timeout
        while True:
            replies = self.status(rail, ident)["replies"]
            if len(replies) >= count or time.monotonic() > deadline:
                assert len(replies) >= count, f"{len(replies)} of {count} answers after {timeout}s: {replies}"
                return replies
            time.sleep(0.05)

    def feed_for(self, rail: str, reference: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until the feed holds ``count`` entries for ``reference``; return them in feed order."""
        deadline = time.monotonic() + timeout
        while True:
            entries = [a for a in self.acks(rail) if a["network_reference"] == reference]
            if len(entries) >= count or time.monotonic() > deadline:
                assert len(entries) >= count, f"{len(entries)} of {count} feed entries after {timeout}s"
                return entries
            time.sleep(0.05)
