"""Serve the ASGI app with daphne on the configured ``api.host`` / ``api.port`` (TLS when ssl_cert/ssl_key are set).

The address comes from the same configuration as everything else (config.json ``api`` section, overridden
by ``QENEX_API_HOST`` / ``QENEX_API_PORT``), so ``--config`` and the environment mean the same here as
elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


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

    def handle(self, *args, dry_run: bool = False, **options):
        arguments = daphne_arguments(settings.QENEX["api"])
        if dry_run:
            self.stdout.write(" ".join(arguments))
            return
        from daphne.cli import CommandLineInterface

        from apps.core.draining import DrainingServer

        cli = CommandLineInterface()
        cli.server_class = DrainingServer  # SIGTERM drains the requests in flight instead of cancelling them
        cli.run(arguments)
