"""``manage.py export_subject <customer> [--out DIR]``: everything held about a customer, as JSON and HTML."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import DomainError
from apps.privacy.services import render_html, subject_export


class Command(BaseCommand):
    help = "Export everything QENEX holds about one customer (subject access), logged in the audit trail."

    def add_arguments(self, parser):
        parser.add_argument("customer", help="the customer's public id")
        parser.add_argument("--out", default=".", help="directory for <export id>.json and .html (default: .)")
        parser.add_argument("--actor", default="cli", help="who is exporting (recorded in the audit trail)")

    def handle(self, *args, customer: str, out: str, actor: str, **options):
        directory = Path(out)
        if not directory.is_dir():
            raise CommandError(f"--out {out}: not a directory")
        try:
            data, export = subject_export(customer_id=customer, actor=actor)
        except DomainError as exc:
            raise CommandError(f"{exc.message} ({exc.code})") from None
        json_path = directory / f"{export.public_id}.json"
        html_path = directory / f"{export.public_id}.html"
        json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        html_path.write_text(render_html(data), encoding="utf-8")
        self.stdout.write(f"export {export.public_id} sha256={export.sha256}: {json_path} {html_path}")
