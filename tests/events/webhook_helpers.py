"""A webhook receiver thread on 127.0.0.1 and the dispatcher's wait, for the webhook tests."""

from __future__ import annotations

import http.server
import threading
import time

from apps.events import services


class Receiver:
    """A webhook receiver on 127.0.0.1: answers each request with the next status in ``answers``."""

    def __init__(self, answers: list[int]):
        self.answers, self.requests = list(answers), []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.headers, body))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def dispatched() -> list[str]:
    """Dispatch until the new events show (the same safe cursor as the API: see the cursor test)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ids = services.webhooks_dispatch()
        if ids:
            return ids
        time.sleep(0.2)
    return []


def dispatched_until(count: int) -> list[str]:
    """Dispatch until ``count`` deliveries were made (events may show in more than one dispatch)."""
    ids: list[str] = []
    deadline = time.monotonic() + 120
    while len(ids) < count and time.monotonic() < deadline:
        new = services.webhooks_dispatch()
        ids += new
        if not new:
            time.sleep(0.2)
    return ids
