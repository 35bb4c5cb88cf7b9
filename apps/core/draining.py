"""Daphne that drains on SIGTERM: stop accepting connections, let the requests in flight finish, then exit 0.

Daphne's own SIGTERM handling stops the reactor at once and cancels every running application instance, so a
rolling restart (Kubernetes, systemd, ``main.py stop``) would cut requests off mid-way. ``DrainingServer``
replaces that handler once the reactor runs: the listening ports close (new connections are refused), and the
reactor stops when no request is still being handled, or after ``QENEX_DRAIN_SECONDS`` (default 20, below the
supervisor's SIGKILL deadline), whichever comes first. A second SIGTERM stops at once. Hand-written because
Daphne offers no drain hook; it subclasses Daphne's ``Server`` and touches only its listeners and connections.
"""

from __future__ import annotations

import logging
import os
import signal
import time

from daphne.server import Server
from twisted.internet import reactor

logger = logging.getLogger("qenex.serve")
DEFAULT_DRAIN_SECONDS = 20.0


def drain_seconds() -> float:
    raw = os.environ.get("QENEX_DRAIN_SECONDS", "")
    try:
        return max(float(raw), 0.0) if raw else DEFAULT_DRAIN_SECONDS
    except ValueError:
        return DEFAULT_DRAIN_SECONDS


class DrainingServer(Server):
    def run(self):
        self._ports = []
        self._draining_since: float | None = None
        reactor.callWhenRunning(self._install_drain_handler)
        super().run()

    def listen_success(self, port):
        self._ports.append(port)
        super().listen_success(port)

    def _install_drain_handler(self) -> None:
        # Runs after Twisted installed its own handlers (which would stop at once): take SIGTERM over.
        signal.signal(signal.SIGTERM, lambda signum, frame: reactor.callFromThread(self.drain))

    def in_flight(self) -> int:
        return sum(
            1
            for details in self.connections.values()
            if "disconnected" not in details
            and details.get("application_instance") is not None
            and not details["application_instance"].done()
        )

    def drain(self) -> None:
        if self._draining_since is not None:
            logger.info("second SIGTERM: stopping now")
            self.stop()
            return
        self._draining_since = time.monotonic()
        logger.info("SIGTERM: no new connections; draining %d request(s) in flight", self.in_flight())
        for port in self._ports:
            port.stopListening()
        self._check_drained()

    def _check_drained(self) -> None:
        waited = time.monotonic() - (self._draining_since or 0.0)
        if self.in_flight() == 0 or waited >= drain_seconds():
            if self.in_flight():
                logger.warning("drain deadline reached with %d request(s) still running", self.in_flight())
            self.stop()
            return
        reactor.callLater(0.05, self._check_drained)


def main(argv: list[str] | None = None) -> None:
    """``python -m apps.core.draining <daphne arguments>``: daphne with this server (``serve --workers``'s children)."""
    import sys

    from daphne.cli import CommandLineInterface

    cli = CommandLineInterface()
    cli.server_class = DrainingServer
    cli.run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
