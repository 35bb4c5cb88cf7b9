"""Create an API client and print its key once: ``manage.py create_api_client NAME --scopes ...``."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.core.errors import DomainError
from apps.iam.models import SCOPES
from apps.iam.services import api_client_create


class Command(BaseCommand):
    help = "Create an API client with a scoped key; the key is printed once and stored only as a hash."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument(
            "--scopes",
            default="accounts:read,accounts:write,transactions:read,transactions:write",
            help=f"comma-separated scopes, from: {', '.join(sorted(SCOPES))}",
        )
        parser.add_argument("--expires-in-days", type=int, default=None)
        parser.add_argument("--token-only", action="store_true", help="print only the token (for scripts)")

    def handle(self, *args, name, scopes, expires_in_days, token_only, **options):
        expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        try:
            issued = api_client_create(
                name=name, scopes=[s.strip() for s in scopes.split(",") if s.strip()], expires_at=expires_at
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if token_only:
            self.stdout.write(issued.token)
            return
        self.stdout.write(f"API client {name!r} created with scopes {', '.join(issued.key.scopes)}.")
        self.stdout.write("Its key (shown only now, store it safely):")
        self.stdout.write(issued.token)
