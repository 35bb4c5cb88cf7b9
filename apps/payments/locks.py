"""The payments' locking queries. Lock order: payment, then (inside the ledger services) accounts, then audit."""

from __future__ import annotations

from .errors import PaymentNotFound
from .models import PaymentOrder


def lock_payment(*, public_id: str) -> PaymentOrder:
    try:
        return (
            PaymentOrder.objects.select_for_update(no_key=True, of=("self",))
            .select_related("debtor_account")
            .get(public_id=public_id)
        )
    except PaymentOrder.DoesNotExist:
        raise PaymentNotFound(f"no payment {public_id}", field="payment") from None
