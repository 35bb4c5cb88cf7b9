"""``manage.py card_switch --port 8583 --script steps.json``: act as the card switch, send a script of messages.

The script is a JSON list of steps, each one message to the issuer host:

    [{"send": "0100", "ref": "coffee", "pan": "4111111111111111", "amount_minor": 450, "expiry": "3012"},
     {"send": "0220", "of": "coffee", "amount_minor": 400},
     {"send": "0400", "of": "coffee"}]

``ref`` names an authorisation so later steps (``of``) can clear or reverse it; ``0100`` takes any field of
``CardSwitch.authorisation_request`` (currency_code, mcc, processing_code, stan, rrn...). Prints one JSON line per
answer (MTI, response code, STAN, RRN, auth id, milliseconds), never the PAN. No database.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.cards.switch import CardSwitch
from apps.payments.formats.iso8583 import CardMessage


class Command(BaseCommand):
    help = "Send a script of ISO 8583 0100/0220/0400/0420 messages to the card host and print the answers."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", required=True, type=int, help="the card host's TCP port")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--script", type=Path, help="JSON list of steps (default: read from stdin)")
        parser.add_argument("--terminal", default="TERM0001", help="DE41 of every message")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            text = options["script"].read_text() if options["script"] else sys.stdin.read()
            steps = json.loads(text)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the script: {exc}")
        if not isinstance(steps, list):
            raise CommandError("the script must be a JSON list of steps")
        answers: dict[str, CardMessage] = {}
        with CardSwitch(options["host"], options["port"], terminal_id=options["terminal"]) as switch:
            for number, step in enumerate(steps, 1):
                started = time.perf_counter()
                try:
                    answer = self._send(switch, dict(step), answers)
                except (KeyError, TypeError, ValueError) as exc:
                    raise CommandError(f"step {number}: {exc}")
                elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
                line = {
                    "step": number,
                    "ref": step.get("ref") or step.get("of"),
                    "mti": answer.mti,
                    "response_code": answer.response_code,
                    "stan": answer.stan,
                    "rrn": answer.rrn,
                    "auth_id": answer.auth_id,
                    "amount_minor": answer.amount,
                    "elapsed_ms": elapsed_ms,
                }
                self.stdout.write(json.dumps(line))

    @staticmethod
    def _send(switch: CardSwitch, step: dict[str, Any], answers: dict[str, CardMessage]) -> CardMessage:
        kind = step.pop("send")
        if kind == "0100":
            ref = step.pop("ref", None)
            answer = switch.authorise(**step)
            if ref:
                answers[ref] = answer
            return answer
        original = answers[step["of"]]
        if kind == "0220":
            return switch.advise(original, amount_minor=step.get("amount_minor"))
        if kind in ("0400", "0420"):
            return switch.reverse(original, mti=kind)
        raise ValueError(f"send must be 0100, 0220, 0400 or 0420, not {kind!r}")
