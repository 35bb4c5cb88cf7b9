"""The link between the bank and a network sandbox: an HTTP relay that can force the next message's outcome.

The sandbox decides an outcome per request from its ``X-Sandbox-Outcome`` header; the payments code never
sends one (production networks have no such header). The relay adds it to the next submission(s) a test
plans, e.g. ``reject:AC04`` or ``accept,stall`` (the network takes the message but answers the HTTP request
late, so our client times out and must resend). Everything else passes through untouched.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HEADER = "X-Sandbox-Outcome"


class _Relay(BaseHTTPRequestHandler):
    server: NetworkLink
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    def _relay(self, body: bytes | None) -> None:
        headers = {"Content-Type": self.headers.get("Content-Type", "application/octet-stream")}
        if self.command == "POST":
            outcome = self.server.take_outcome()
            if outcome:
                headers[HEADER] = outcome
        request = urllib.request.Request(
            self.server.target + self.path, data=body, method=self.command, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - the test's sandbox
                status, data = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, data = error.code, error.read()
        except OSError:
            self.close_connection = True
            return
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up waiting (a stalled answer): that is the point
            self.close_connection = True

    def do_GET(self):  # noqa: N802
        self._relay(None)

    def do_POST(self):  # noqa: N802
        self._relay(self.rfile.read(int(self.headers.get("Content-Length", "0"))))


class NetworkLink(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, target: str) -> None:
        super().__init__(("127.0.0.1", 0), _Relay)
        self.target = target.rstrip("/")
        self._outcomes: deque[str] = deque()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def force_next(self, *outcomes: str) -> None:
        """The next submissions get these outcomes, one each, in order."""
        with self._lock:
            self._outcomes.extend(outcomes)

    def take_outcome(self) -> str | None:
        with self._lock:
            return self._outcomes.popleft() if self._outcomes else None

    def clear(self) -> None:
        with self._lock:
            self._outcomes.clear()

    def close(self) -> None:
        self.shutdown()
        self.server_close()
