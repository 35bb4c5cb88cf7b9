"""The ledger's rules that several layers need, each written once. Pure: no database, no services.

- ``available_minor``: what an account can still spend (ledger balance - open holds + overdraft limit). The
  posting engine checks every debit with it, holds check it, balances show it, the overdraft change uses it.
- ``POSTING_ACCOUNT_FIELDS``: which accounts each simple posting type names. The API serializer, the posting
  services (``post_by_type``), the four-eyes requests and the SDK's payloads all read this table.
"""

from __future__ import annotations

from .models import EntryType


def available_minor(*, ledger_minor: int, held_minor: int, overdraft_limit_minor: int) -> int:
    """What an account can still spend; a debit or a hold may not take it below zero."""
    return ledger_minor - held_minor + overdraft_limit_minor


def overdraft_used_minor(*, ledger_minor: int, held_minor: int) -> int:
    """How far below zero an account is, open holds counted (what an overdraft limit must still cover)."""
    return held_minor - ledger_minor


# The accounts each simple posting type names: a deposit credits ``to_account``, a withdrawal or a fee debits
# ``from_account``, a transfer names both.
POSTING_ACCOUNT_FIELDS: dict[str, tuple[str, ...]] = {
    EntryType.DEPOSIT: ("to_account",),
    EntryType.WITHDRAWAL: ("from_account",),
    EntryType.FEE: ("from_account",),
    EntryType.TRANSFER: ("from_account", "to_account"),
}
POSTING_FIELDS: dict[str, frozenset[str]] = {
    kind: frozenset({*accounts, "amount", "currency"}) for kind, accounts in POSTING_ACCOUNT_FIELDS.items()
}
