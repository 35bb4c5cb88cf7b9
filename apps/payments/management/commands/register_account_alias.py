"""Let a payment's ``sender.account`` name a QENEX account by IBAN or account number:
``manage.py register_account_alias 123456789 acc_...``."""

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import DomainError
from apps.payments.services import account_alias_register


class Command(BaseCommand):
    help = "Register an IBAN or account number for a QENEX account (stored encrypted, found by blind index)."

    def add_arguments(self, parser):
        parser.add_argument("identifier", help="IBAN or account number the customer uses")
        parser.add_argument("account", help="QENEX account id (acc_...)")
        parser.add_argument("--actor", default="system", help="who registers it, for the audit trail")

    def handle(self, *args, identifier, account, actor, **options):
        try:
            alias = account_alias_register(identifier=identifier, account_id=account, actor=actor)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{alias.public_id}: {identifier} -> {account}")
