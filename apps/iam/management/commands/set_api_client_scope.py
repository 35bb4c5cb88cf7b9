"""Change whose accounts an API client reaches: ``manage.py set_api_client_scope NAME --owners a,b``."""

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import DomainError
from apps.iam.models import ApiClient
from apps.iam.services import api_client_set_scope


class Command(BaseCommand):
    help = "Set the customer owners an API client may reach (replaces the previous scope; audited)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--owners", default="", help="comma-separated customer owner ids")
        parser.add_argument("--all-customers", action="store_true", help="every customer (never the bank's own)")
        parser.add_argument("--credit-any-customer", action="store_true", help="may also pay into other customers")
        parser.add_argument("--actor", default="system", help="who makes the change, for the audit trail")

    def handle(self, *args, name, owners, all_customers, credit_any_customer, actor, **options):
        client = ApiClient.objects.filter(name=name).first()
        if client is None:
            raise CommandError(f"no API client named {name!r}")
        owner_ids = [s.strip() for s in owners.split(",") if s.strip()]
        if not owner_ids and not all_customers:
            raise CommandError("say whose accounts the key may reach: --owners ID[,ID...] or --all-customers")
        try:
            api_client_set_scope(
                client=client,
                owner_ids=owner_ids,
                all_customers=all_customers,
                credit_any_customer=credit_any_customer,
                actor=actor,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"API client {name!r} now reaches {'every customer' if all_customers else ', '.join(owner_ids)}."
        )
