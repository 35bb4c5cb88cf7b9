"""manage.py screen NAME...: screen names against the loaded lists and print the API's JSON answer per name."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from apps.compliance.screening import ENTITY_TYPES, screen_name
from apps.core.errors import DomainError


class Command(BaseCommand):
    help = "Screen one or more names; prints one JSON line per name, as POST /api/v1/screening/search answers."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="+", metavar="NAME")
        parser.add_argument("--entity-type", choices=ENTITY_TYPES)
        parser.add_argument("--country")
        parser.add_argument("--date-of-birth", help="YYYY or YYYY-MM-DD")
        parser.add_argument("--indent", type=int, default=None, help="pretty-print the JSON")

    def handle(self, *args, names, entity_type, country, date_of_birth, indent, **options):
        matched = 0
        for name in names:
            try:
                result = screen_name(name=name, entity_type=entity_type, country=country, date_of_birth=date_of_birth)
            except DomainError as exc:
                raise CommandError(f"{name!r}: {exc.code}: {exc.message}") from None
            matched += result.is_potential_match
            self.stdout.write(json.dumps({"name": name, **result.as_dict()}, ensure_ascii=False, indent=indent))
        if matched:
            self.stderr.write(f"{matched} of {len(names)} name(s) are potential matches")
