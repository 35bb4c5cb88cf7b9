"""The one lock order for accounts: ascending primary key.

Every write that touches several accounts locks them through here, so two postings over the same
accounts always queue instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import Account


def lock_accounts(account_ids: Iterable[int]) -> dict[int, Account]:
    """Lock the given accounts (FOR NO KEY UPDATE) in primary-key order; return them by id.

    NO KEY UPDATE still lets other transactions insert rows that reference the account (postings,
    holds), but serialises everything that changes the account or its balance.
    """
    ids = sorted(set(account_ids))
    rows = Account.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
    return {account.pk: account for account in rows}
