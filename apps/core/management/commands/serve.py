"""Serve the ASGI app with daphne on the configured ``api.host`` / ``api.port`` (TLS when ssl_cert/ssl_key are set).

The address comes from the same configuration as everything else (config.json ``api`` section, overridden
by ``QENEX_API_HOST`` / ``QENEX_API_PORT``), so ``--config`` and the environment mean the same here as
elsewhere.

``--workers N`` (or ``QENEX_API_WORKERS``) serves with N daphne processes: this process binds the address once
and each worker accepts connections from that one listening socket (daphne's ``--fd``), so the workers share the
port and the kernel spreads connections between them. One daphne process runs Python on one core at a time;
several use every core. Plain HTTP only: with TLS, serve one process per port behind the load balancer.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.core.draining import drain_seconds


def daphne_arguments(api: dict) -> list[str]:
    """Return daphne's command-line arguments for the ``api`` configuration section."""
    host, port = api["host"], api["port"]
    cert, key = api.get("ssl_cert"), api.get("ssl_key")
    if bool(cert) != bool(key):
        raise CommandError("api.ssl_cert and api.ssl_key must be set together")
    if cert:
        for name, path in (("api.ssl_cert", cert), ("api.ssl_key", key)):
            if not Path(path).is_file():
                raise CommandError(f"{name}={path!r} is not a readable file")
        # Twisted's endpoint syntax needs ':' in an IPv6 interface escaped.
        interface = host.replace(":", r"\:")
        return ["-e", f"ssl:{port}:interface={interface}:privateKey={key}:certKey={cert}", "qenex.asgi:application"]
    return ["-b", host, "-p", str(port), "qenex.asgi:application"]


class Command(BaseCommand):
    help = "Serve QENEX (HTTP and WebSocket) with daphne on the configured host and port."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="print the daphne arguments and exit")
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("QENEX_API_WORKERS") or 1),
            help="daphne processes sharing the port (default QENEX_API_WORKERS or 1)",
        )

    def handle(self, *args, dry_run: bool = False, workers: int = 1, **options):
        api = settings.QENEX["api"]
        arguments = daphne_arguments(api)
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        if dry_run:
            self.stdout.write(" ".join(arguments))
            return
        if workers > 1:
            if api.get("ssl_cert"):
                raise CommandError("--workers > 1 serves plain HTTP only; run one TLS process per port")
            self._serve_workers(api["host"], api["port"], workers)
            return
        from daphne.cli import CommandLineInterface

        from apps.core.draining import DrainingServer

        cli = CommandLineInterface()
        cli.server_class = DrainingServer  # SIGTERM drains the requests in flight instead of cancelling them
        cli.run(arguments)

    def _serve_workers(self, host: str, port: int, workers: int) -> None:
        """Bind once, start ``workers`` daphne processes on that socket, stop them all when one stops or on a signal."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(1024)
        listener.set_inheritable(True)
        fd = listener.fileno()
        # Each worker drains like the single server (apps.core.draining): SIGTERM finishes the requests in flight.
        command = [sys.executable, "-m", "apps.core.draining", "--fd", str(fd), "qenex.asgi:application"]
        children = [subprocess.Popen(command, pass_fds=(fd,)) for _ in range(workers)]  # noqa: S603 - own interpreter
        self.stdout.write(f"serving http://{host}:{port} with {workers} daphne processes")

        def stop(signum, _frame) -> None:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            os.wait()  # the first worker to exit (a crash, or the signal above) stops the others
        except ChildProcessError:
            pass
        finally:
            stop(signal.SIGTERM, None)
            for child in children:
                try:
                    child.wait(drain_seconds() + 5)
                except subprocess.TimeoutExpired:
                    child.kill()
            listener.close()
        codes = [child.returncode for child in children]
        if any(code not in (0, -signal.SIGTERM) for code in codes):
            raise CommandError(f"a worker exited with {codes}")
