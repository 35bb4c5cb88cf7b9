"""Record a correspondent bank for a currency: ``manage.py register_correspondent USD CHASUS33XXX --default``."""

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import DomainError
from apps.payments.services import correspondent_register


class Command(BaseCommand):
    help = "Record the bank holding our nostro in a currency; --default makes it carry cover payments (MT202 COV)."

    def add_arguments(self, parser):
        parser.add_argument("currency", help="ISO 4217 code, e.g. USD")
        parser.add_argument("bic", help="the correspondent's BIC")
        parser.add_argument(
            "--nostro-account", default=None, help="our NOSTRO account with it (default: the currency's)"
        )
        parser.add_argument("--name", default="")
        parser.add_argument("--default", action="store_true", help="carry covers in this currency")
        parser.add_argument("--actor", default="system", help="who records it, for the audit trail")

    def handle(self, *args, currency, bic, nostro_account, name, default, actor, **options):
        try:
            found = correspondent_register(
                currency=currency.upper(),
                bic=bic,
                nostro_account=nostro_account,
                name=name,
                is_default=default,
                actor=actor,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        role = "default (covers)" if found.is_default else "direct"
        self.stdout.write(
            f"{found.currency} correspondent {found.bic}: {role}, nostro {found.nostro_account.public_id}"
        )
