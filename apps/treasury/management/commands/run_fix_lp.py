"""Run the FIX 4.4 liquidity-provider simulator (see apps.treasury.fix.lp)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand

from apps.treasury.fix.lp import Faults, serve


class Command(BaseCommand):
    help = "Run the FIX 4.4 liquidity-provider simulator (acceptor) on 127.0.0.1"

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, required=True)
        parser.add_argument("--control-port", type=int, default=None, help="plain-text fault control port")
        parser.add_argument("--state-dir", default="var/fix-lp", help="message store and answered ClOrdIDs")
        parser.add_argument("--quote-ttl", type=float, default=10.0, help="seconds an LP quote is valid")
        parser.add_argument("--spread-bp", default="2", help="spread each side, basis points of mid")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--tick", type=float, default=0.5, help="seconds between random-walk steps")
        parser.add_argument("--reject", action="store_true", help="reject every order")
        parser.add_argument("--delay-ms", type=int, default=0, help="delay before answering an order")
        parser.add_argument("--drop-next-order", action="store_true", help="drop the connection on the first order")

    def handle(self, *args, **options):
        faults = Faults(
            reject_orders=options["reject"], delay_ms=options["delay_ms"], drop_next_order=options["drop_next_order"]
        )
        try:
            asyncio.run(
                serve(
                    port=options["port"],
                    control_port=options["control_port"],
                    state_dir=Path(options["state_dir"]),
                    faults=faults,
                    quote_ttl=options["quote_ttl"],
                    spread_bp=Decimal(options["spread_bp"]),
                    seed=options["seed"],
                    tick_seconds=options["tick"],
                )
            )
        except KeyboardInterrupt:
            pass
