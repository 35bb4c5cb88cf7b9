"""Load demo data for a first look: verified customers, their accounts with money, a few transactions, an API key,
a staff login.

Safe to run again: the accounts and postings use idempotency keys, so nothing is duplicated. Refused in
production mode.
"""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.customers import selectors as customer_selectors
from apps.customers import services as customer_services
from apps.customers.errors import CustomerNotFound
from apps.iam.models import SCOPES, ApiClient
from apps.iam.services import api_client_create, api_client_set_scope, api_key_issue
from apps.ledger.services import account_open, fx_rate_set, post_transfer


class Command(BaseCommand):
    help = "Create demo accounts, transactions, an API key (written to var/demo-token) and a staff user."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("load_demo is refused in production mode")
        # With kyc_required on (the default) accounts open only for verified customers: the demo's owners, and
        # the seed's user123 / user456 that the README's examples open accounts for.
        for owner_id, name, country in DEMO_CUSTOMERS:
            _verified_customer(owner_id, name, country)
        alice = account_open(
            owner_id="demo-alice",
            account_type="CHECKING",
            currency="USD",
            name="Alice Demo",
            initial_balance="10000.00",
            idempotency_key="demo:alice",
        )
        bob = account_open(
            owner_id="demo-bob",
            account_type="SAVINGS",
            currency="USD",
            name="Bob Demo",
            initial_balance="2500.00",
            idempotency_key="demo:bob",
        )
        claire = account_open(
            owner_id="demo-claire",
            account_type="CHECKING",
            currency="EUR",
            name="Claire Demo",
            initial_balance="1200.00",
            idempotency_key="demo:claire",
        )
        post_transfer(
            from_account=alice.public_id,
            to_account=bob.public_id,
            amount="125.50",
            currency="USD",
            description="Rent share",
            idempotency_key="demo:t1",
        )
        if not claire.postings.filter(entry__entry_type="TRANSFER").exists():
            fx_rate_set(base="USD", quote="EUR", rate="0.9200", source="demo")
        post_transfer(
            from_account=alice.public_id,
            to_account=claire.public_id,
            amount="100.00",
            currency="USD",
            description="Gift",
            idempotency_key="demo:t2",
        )

        # The demo key is a back-office integrator's: every customer's accounts (never the bank's own), so the
        # README's examples (owner_id user123) work with it.
        client = ApiClient.objects.filter(name="demo").first()
        if client:
            api_client_set_scope(client=client, owner_ids=[], all_customers=True)
            issued = api_key_issue(client=client, scopes=sorted(SCOPES))
        else:
            issued = api_client_create(name="demo", scopes=sorted(SCOPES), all_customers=True)
        token_file = settings.VAR_DIR / "demo-token"
        token_file.write_text(issued.token + "\n")
        token_file.chmod(0o600)

        User = get_user_model()
        staff_line = "staff user 'admin' exists already (password unchanged)"
        if not User.objects.filter(username="admin").exists():
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser("admin", "admin@example.invalid", password)
            staff_line = f"staff login: admin / {password}  (shown once)"
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  accounts: {alice.public_id} (USD), {bob.public_id} (USD), {claire.public_id} (EUR)")
        self.stdout.write(f"  API key written to {token_file}:  export TOKEN=$(cat {token_file})")
        self.stdout.write(f"  {staff_line}")
        self.stdout.write(_mfa_hint(User.objects.get(username="admin")))


DEMO_CUSTOMERS = [
    ("demo-alice", "Alice Demo", "US"),
    ("demo-bob", "Bob Demo", "US"),
    ("demo-claire", "Claire Demo", "FR"),
    ("user123", "User OneTwoThree", "US"),
    ("user456", "User FourFiveSix", "US"),
]
# A 1x1 PNG standing in for a scanned passport.
DEMO_DOCUMENT = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e5273fa10000000049454e44ae426082"
)


def _verified_customer(public_id: str, name: str, country: str) -> None:
    """Create the demo customer once, with a verified passport and verified KYC."""
    try:
        customer = customer_selectors.customer_get(public_id=public_id)
    except CustomerNotFound:
        customer = customer_services.customer_create(
            public_id=public_id,
            fields={"kind": "person", "name": name, "residence_country": country, "nationality": country},
            actor="load_demo",
        )
    if customer.kyc_status == "verified":
        return
    document = customer_services.document_upload(
        customer_id=public_id,
        doc_type="passport",
        content=DEMO_DOCUMENT,
        file_name="demo-passport.png",
        content_type="image/png",
        actor="load_demo",
    )
    customer_services.document_decide(
        customer_id=public_id, document_id=document.public_id, verified=True, actor="load_demo"
    )
    customer_services.customer_verify(public_id=public_id, actor="load_demo")


def _mfa_hint(user) -> str:
    """Staff sign-in needs a second factor: say where to enrol an authenticator app (or that it is done)."""
    from apps.access.selectors import mfa_is_enrolled

    port = os.environ.get("QENEX_API_PORT", "8080")
    if mfa_is_enrolled(user=user):
        return "  two-factor: 'admin' has an authenticator; sign in with its code (or a backup code)"
    return (
        f"  two-factor: sign in at http://127.0.0.1:{port}/login/ and you are taken to /mfa/enrol/ - scan the QR "
        "code with an authenticator app (Google Authenticator, Aegis, 1Password...), enter its code, keep the "
        "backup codes"
    )
