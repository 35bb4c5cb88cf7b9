"""Settled payments and nostro statements for reconciliation tests.

``settled_payment`` sends a real SEPA payment through the payments service (validation, hold) and captures
its hold to the EUR NOSTRO through the ledger service, as settlement does; only the payment's final state is
set directly, because the network round trip that would set it is what the slow scenario test
(tests/scenarios/test_end_of_day_reconciliation.py) exercises with a real sandbox process.
"""

from __future__ import annotations

from django.utils import timezone

from apps.accounts.models import AccountType
from apps.accounts.services import internal_account_get_or_create
from apps.ledger.services import hold_capture
from apps.payments import services as payments
from apps.payments.models import PaymentOrder
from apps.payments.states import PaymentStatus
from tests.factories import funded_account
from tests.payments.formats.statement_samples import Line, camt_document
from tests.payments.gateway.payments import request_from, sct_body

TODAY = timezone.now().date().isoformat()


def nostro(currency: str = "EUR"):
    return internal_account_get_or_create(account_type=AccountType.NOSTRO, currency=currency)


def settled_payment(reference: str, amount: str = "150.00") -> PaymentOrder:
    account = funded_account("10000.00", "EUR")
    body = sct_body(account.public_id, amount=amount, reference=reference)
    payment = payments.payment_send(request=request_from(body), debtor_account=account.public_id).payment
    capture = hold_capture(
        hold_id=payment.hold_id,
        to_account=nostro().public_id,
        amount=amount,
        description=f"payment {payment.public_id} settled (test)",
        idempotency_key=f"test:{payment.public_id}:capture",
    )
    PaymentOrder.objects.filter(pk=payment.pk).update(
        status=PaymentStatus.SETTLED, capture_transaction_id=capture.entry.public_id
    )
    payment.refresh_from_db()
    return payment


def statement_for(payments_, *, extra: list[Line] = (), version: int = 2, opening: str = "0.00", **kwargs) -> bytes:
    """The nostro's camt.053: each payment a debit of our account at the bank (money left it)."""
    lines = [Line(_major(p.amount_minor), "DBIT", p.reference, str(p.uetr)) for p in payments_]
    return camt_document("053", version, [*lines, *extra], opening=opening, day=TODAY, **kwargs)


def _major(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    minor = abs(minor)
    return f"{sign}{minor // 100}.{minor % 100:02d}"
