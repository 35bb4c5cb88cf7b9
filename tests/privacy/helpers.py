"""A customer with everything a bank holds about a person, built through the owning apps' services."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.db.models import Sum

from apps.accounts.models import Account
from apps.ledger.models import Posting
from apps.ledger.selectors import ledger_minor, postings_sum
from apps.ledger.services import account_open, post_deposit
from apps.payments import services as payments
from tests.customers.conftest import verified
from tests.payments.gateway.payments import request_from, sct_body

IBAN = "DE44500105175407324931"


def rich_customer(name: str, *, national_id: str, email_like: str = "") -> tuple:
    """A verified customer with an EUR account, a deposit and a SEPA payment (cancelled, so the hold is gone)."""
    customer = verified(name=name, national_id=national_id, addresses=[f"{email_like or name} street 1"])
    account = account_open(
        owner_id=customer.public_id, currency="EUR", account_type="CHECKING", initial_balance="500.00", name=name
    )
    post_deposit(to_account=account.public_id, amount="25.00", currency="EUR", description="cash")
    body = sct_body(account.public_id)
    body["sender"] = {**body["sender"], "name": name, "iban": IBAN}
    payment = payments.payment_send(request=request_from(body), debtor_account=account.public_id).payment
    payments.payment_cancel(payment_id=payment.public_id, actor="officer")
    return customer, account, payment


def assert_ledger_intact() -> None:
    """Every currency sums to zero, every cached balance equals its postings, and the audit chain verifies."""
    sums = Posting.objects.values("currency").annotate(total=Sum("amount_minor")).values_list("currency", "total")
    assert all(total == 0 for _, total in sums), list(sums)
    for account in Account.objects.all():
        assert ledger_minor(account.pk) == postings_sum(account=account), account.public_id
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "audit trail intact" in out.getvalue(), out.getvalue()  # a broken chain exits non-zero first
