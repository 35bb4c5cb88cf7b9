"""Unlock a staff login locked after failed sign-ins (every address, or ``--ip``). Audited with operator and reason."""

import getpass

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.access import services
from apps.core.errors import DomainError


class Command(BaseCommand):
    help = "Unlock a staff login after too many failed sign-ins (the unlock is recorded as an access event)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--actor", help="who is unlocking (default: the operating-system user)")
        parser.add_argument("--reason", default="", help="why (kept in the access event)")
        parser.add_argument("--ip", dest="source_ip", help="unlock only this source address (default: every address)")

    def handle(self, *args, username: str, actor: str | None, reason: str, source_ip: str | None, **options):
        try:
            user = get_user_model()._default_manager.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user {username!r}")
        actor = actor or f"cli:{getpass.getuser()}"
        try:
            states = services.user_unlock(user=user, actor=actor, reason=reason, source_ip=source_ip)
        except DomainError as exc:
            raise CommandError(exc.message)
        addresses = ", ".join(state.source_ip or "unknown address" for state in states)
        self.stdout.write(self.style.SUCCESS(f"{username} unlocked from {addresses} (by {actor})."))
