"""Mark one of the bank's own accounts high-volume: its postings spread over balance slots (see AccountBalance)."""

from __future__ import annotations

from django.db import transaction

from apps.accounts.locks import lock_accounts
from apps.accounts.selectors import account_get
from apps.audit.services import audit_record
from apps.core.errors import InvalidInput

from ..models import AccountBalance, BalanceSlot
from . import engine

MAX_SLOTS = 64


def account_set_hot(*, public_id: str, slots: int, actor: str = "system") -> AccountBalance:
    """Give a GL account ``slots`` balance slots (0 makes it ordinary again). Customers' accounts cannot be hot:
    their debits need the exact balance, which only one row lock gives."""
    if not isinstance(slots, int) or isinstance(slots, bool) or not 0 <= slots <= MAX_SLOTS:
        raise InvalidInput(f"slots must be an integer from 0 to {MAX_SLOTS}", field="slots")
    account = account_get(public_id=public_id)
    if not account.is_internal:
        raise InvalidInput("only the bank's own accounts can be high-volume", field="account", code="not_internal")
    with transaction.atomic(durable=True):
        lock_accounts([account.pk])
        balance, _created = AccountBalance.objects.get_or_create(
            account_id=account.pk, defaults={"currency": account.currency}
        )
        before = balance.hot_slots
        existing = set(BalanceSlot.objects.filter(account_id=account.pk).values_list("slot", flat=True))
        BalanceSlot.objects.bulk_create(
            [BalanceSlot(account_id=account.pk, slot=n) for n in range(slots) if n not in existing]
        )
        # Slot rows are never deleted: the balance is always its row plus every slot, whatever ``hot_slots`` says.
        AccountBalance.objects.filter(account_id=account.pk).update(hot_slots=slots)
        balance.hot_slots = slots
        audit_record(
            action="ledger.account_hot_slots_set",
            object_type="account",
            object_id=account.public_id,
            before={"hot_slots": before},
            after={"hot_slots": slots},
            actor=actor,
        )
    engine.hot.forget()
    return balance
