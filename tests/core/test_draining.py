"""SIGTERM drains the web server (apps.core.draining, what ``manage.py serve`` runs): a request in flight
completes, new connections are refused, and the process exits 0. A real daphne process on a free port.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.throwaway import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SERVE = (
    "import sys; from daphne.cli import CommandLineInterface; from apps.core.draining import DrainingServer; "
    "cli = CommandLineInterface(); cli.server_class = DrainingServer; cli.run(sys.argv[1:])"
)


def _wait_listening(port: int, deadline: float = 30.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("the server did not start listening")


def test_sigterm_finishes_the_request_in_flight_refuses_new_ones_and_exits_0():
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, "-b", "127.0.0.1", "-p", str(port), "tests.core.slow_asgi:application"],
        cwd=ROOT, env={**os.environ, "QENEX_DRAIN_SECONDS": "20"},
    )
    try:
        _wait_listening(port)
        answer: dict = {}

        def slow_request() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/slow?seconds=3")
            response = conn.getresponse()
            answer["status"], answer["body"] = response.status, response.read()

        client = threading.Thread(target=slow_request)
        client.start()
        time.sleep(1.0)  # the request is being handled
        server.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        with pytest.raises(OSError):  # no longer listening: a new connection is refused
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        assert server.poll() is None  # still running: draining
        client.join(timeout=30)
        assert answer == {"status": 200, "body": b"slept 3.0"}
        assert server.wait(timeout=15) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
