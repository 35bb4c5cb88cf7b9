"""Receive inbound payment messages from files (an upload): ``manage.py receive_inbound FILE... [--rail R]``."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import DomainError
from apps.inbound import services
from apps.payments.models import Rail


class Command(BaseCommand):
    help = "Receive pacs.008 / pacs.004 / MT103 / MT910 / Fedwire / NACHA files: credit, suspend, return, record."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="message files; - reads standard input")
        parser.add_argument("--rail", choices=Rail.values, help="the network it came from (else inferred)")
        parser.add_argument("--actor", default="system:command", help="who is recorded as receiving it")

    def handle(self, *args, files, rail, actor, **options):
        failed = 0
        for name in files:
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
            try:
                result = services.message_receive(raw=raw, rail=rail, source="command", actor=actor)
            except DomainError as exc:
                failed += 1
                self.stderr.write(f"{name}: {exc.message}")
                continue
            self.stdout.write(f"{name}: {result.message_type}: {len(result.items)} item(s)")
            for item in result.items:
                target = item.inbound.public_id if item.inbound else item.notice.public_id if item.notice else ""
                self.stdout.write(f"  {item.kind} {item.network_id}: {item.outcome} {target} {item.detail}".rstrip())
            for skipped in result.skipped:
                self.stdout.write(f"  skipped {skipped}")
        if failed:
            raise CommandError(f"{failed} of {len(files)} file(s) could not be received")
