"""The one lock order for accounts: ascending primary key.

Every write that touches several accounts locks them through here, so two postings over the same
accounts always queue instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from .models import Account


def lock_accounts(account_ids: Iterable[int] = (), *, public_ids: Iterable[str] = ()) -> dict[int, Account]:
    """Lock the given accounts (FOR NO KEY UPDATE) in primary-key order; return them by primary key.

    Accounts can be named by primary key, by public id, or both, in one round trip. NO KEY UPDATE still
    lets other transactions insert rows that reference the account (postings, holds), but serialises
    everything that changes the account or its balance. Unknown ids are simply absent from the result.
    """
    ids = sorted(set(account_ids))
    names = sorted({p for p in public_ids if isinstance(p, str)})
    rows = Account.objects.select_for_update(no_key=True).filter(Q(pk__in=ids) | Q(public_id__in=names)).order_by("pk")
    return {account.pk: account for account in rows}
