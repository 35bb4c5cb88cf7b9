"""Create an API client and print its key once: ``manage.py create_api_client NAME --owners ... --scopes ...``."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.core.errors import DomainError
from apps.iam.models import SCOPES
from apps.iam.services import api_client_create


class Command(BaseCommand):
    help = (
        "Create an API client with a scoped key, limited to the accounts of --owners (or --all-customers); "
        "the key is printed once and stored only as a hash."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument(
            "--scopes",
            default="accounts:read,accounts:write,transactions:read,transactions:write",
            help=f"comma-separated scopes, from: {', '.join(sorted(SCOPES))}",
        )
        parser.add_argument("--owners", default="", help="comma-separated customer owner ids the key may reach")
        parser.add_argument(
            "--all-customers",
            action="store_true",
            help="the key may reach every customer's accounts (back-office integrators; never the bank's own)",
        )
        parser.add_argument(
            "--credit-any-customer",
            action="store_true",
            help="the key may also pay into (credit) accounts of customers outside --owners",
        )
        parser.add_argument("--expires-in-days", type=int, default=None)
        parser.add_argument("--token-only", action="store_true", help="print only the token (for scripts)")

    def handle(self, *args, name, scopes, owners, all_customers, credit_any_customer, expires_in_days, token_only, **o):
        owner_ids = [s.strip() for s in owners.split(",") if s.strip()]
        if not owner_ids and not all_customers:
            raise CommandError("say whose accounts the key may reach: --owners ID[,ID...] or --all-customers")
        expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        try:
            issued = api_client_create(
                name=name,
                scopes=[s.strip() for s in scopes.split(",") if s.strip()],
                owner_ids=owner_ids,
                all_customers=all_customers,
                credit_any_customer=credit_any_customer,
                expires_at=expires_at,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if token_only:
            self.stdout.write(issued.token)
            return
        client = issued.key.client
        reach = "every customer" if client.all_customers else f"owners {', '.join(client.owner_ids)}"
        if client.credit_any_customer:
            reach += " (and may credit any customer)"
        self.stdout.write(f"API client {name!r} created with scopes {', '.join(issued.key.scopes)}; reaches {reach}.")
        self.stdout.write("Its key (shown only now, store it safely):")
        self.stdout.write(issued.token)
