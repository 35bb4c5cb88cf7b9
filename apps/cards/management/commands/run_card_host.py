"""``manage.py run_card_host --port 8583``: serve the issuer authorisation host (ISO 8583 over TCP).

Prints ``card host listening on HOST:PORT`` once it accepts connections; serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.cards.host import CardHost


class Command(BaseCommand):
    help = "Serve the card issuer host: ISO 8583 0100/0220/0400/0420 over TCP with a 2-byte length prefix."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", required=True, type=int, help="TCP port (0: any free port, printed)")
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 <= options["port"] <= 65535:
            raise CommandError(f"--port must be 0-65535, got {options['port']}")
        try:
            server = CardHost(options["host"], options["port"])
        except OSError as exc:
            raise CommandError(f"cannot listen on {options['host']}:{options['port']}: {exc}")
        host, port = server.server_address[:2]

        def stop(signum: int, frame: Any) -> None:
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"card host listening on {host}:{port}")
        sys.stdout.flush()
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            server.server_close()
