"""``manage.py run_network_sandbox --rail sepa --port 8701``: serve a payment network sandbox.

A thin adapter over :mod:`apps.payments.sandbox`: read the settings (flags > ``QENEX_SANDBOX_*``
environment > ``--sandbox-config`` JSON file > defaults), bind the HTTP server, print one line
``network sandbox listening on http://HOST:PORT rails=...`` once it accepts connections, and
serve until SIGINT/SIGTERM. It never opens the database.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.payments.sandbox.config import RAILS, RATE_NAMES, ConfigError, load_config
from apps.payments.sandbox.network import Network
from apps.payments.sandbox.server import serve


class Command(BaseCommand):
    help = "Run a payment network sandbox (SEPA, SEPA Inst, SWIFT, Fedwire, ACH) over HTTP, without the database."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rail", required=True, choices=(*RAILS, "all"), help="which network to simulate")
        parser.add_argument("--port", required=True, type=int, help="TCP port (0: any free port, printed)")
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
        parser.add_argument("--state-file", type=Path, help="keep the network's state in this JSON file")
        parser.add_argument("--sandbox-config", type=Path, help="JSON file with delay, seed, rates, reject reasons")
        parser.add_argument("--delay", dest="delay_seconds", type=float, help="seconds before the first answer")
        parser.add_argument("--stall-seconds", type=float, help="how long a stalled submission's response waits")
        parser.add_argument("--seed", type=int, help="seed of the fault RNG (per message id)")
        for name in RATE_NAMES:
            parser.add_argument(f"--{name.replace('_', '-')}-rate", dest=f"{name}_rate", type=float, metavar="P")
        parser.add_argument("--verbose", action="store_true", help="log every request to stderr")

    def handle(self, *args: Any, **options: Any) -> None:
        rails = RAILS if options["rail"] == "all" else (options["rail"],)
        if not 0 <= options["port"] <= 65535:
            raise CommandError(f"--port must be 0-65535, got {options['port']}")
        try:
            config = load_config(
                rails=rails,
                config_file=options["sandbox_config"],
                flags=options,
                state_file=options["state_file"],
            )
            network = Network(config)
        except (ConfigError, ValueError) as exc:
            raise CommandError(str(exc))
        try:
            server = serve(network, options["host"], options["port"], verbose=options["verbose"])
        except OSError as exc:
            raise CommandError(f"cannot listen on {options['host']}:{options['port']}: {exc}")
        host, port = server.server_address[:2]

        def stop(signum: int, frame: Any) -> None:
            server.stall_event.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"network sandbox listening on http://{host}:{port} rails={','.join(rails)}")
        sys.stdout.flush()
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            server.server_close()
