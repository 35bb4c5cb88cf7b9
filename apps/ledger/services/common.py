"""What every posting service shares: the result type, argument checks, the audit record and live updates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apps.accounts.errors import AccountNotActive
from apps.accounts.models import Account, AccountStatus
from apps.audit.services import audit_record
from apps.core.errors import InvalidInput

from .. import events
from ..errors import CurrencyMismatch
from ..models import EntryType, JournalEntry
from .engine import Locked, PlannedEntry

MAX_DESCRIPTION = 280


@dataclass(frozen=True)
class PostingResult:
    entry: JournalEntry
    replayed: bool  # True when an idempotent retry returned the entry posted earlier


def check_description(description: str) -> str:
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"description must be a string of at most {MAX_DESCRIPTION} characters", field="description")
    return description


def check_metadata(metadata: dict[str, Any] | None) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise InvalidInput("metadata must be a JSON object", field="metadata")
    return metadata


def check_usable(account: Account, field: str) -> None:
    if account.status != AccountStatus.ACTIVE:
        raise AccountNotActive(f"account {account.public_id} is {account.status}", field=field)


def check_currency(account: Account, currency: str, field: str) -> None:
    if account.currency != currency:
        raise CurrencyMismatch(f"account {account.public_id} holds {account.currency}, not {currency}", field=field)


AUDIT_ACTIONS = {
    EntryType.DEPOSIT: "ledger.deposit_posted",
    EntryType.WITHDRAWAL: "ledger.withdrawal_posted",
    EntryType.TRANSFER: "ledger.transfer_posted",
    EntryType.FEE: "ledger.fee_posted",
    EntryType.REVERSAL: "ledger.reversal_posted",
    EntryType.HOLD_CAPTURE: "ledger.hold_captured",
}


def entry_audit_state(entry: PlannedEntry, locked: Locked, *, reverses: str | None = None) -> dict[str, Any]:
    """What the audit trail records of one posted entry."""
    spec, accounts = entry.spec, locked.accounts
    return {
        "transaction": entry.public_id,
        "entry_type": spec.entry_type,
        "amount_minor": spec.amount_minor,
        "currency": spec.currency,
        "from_account": accounts[spec.from_account_id].public_id if spec.from_account_id else None,
        "to_account": accounts[spec.to_account_id].public_id if spec.to_account_id else None,
        "description": spec.description,
        "metadata": spec.metadata,
        "reverses": reverses,
        "idempotency_key": spec.idempotency_key,
        "postings": [
            {"account": accounts[pk].public_id, "amount_minor": amount, "balance_after_minor": after}
            for pk, _currency, amount, after in entry.postings
        ],
    }


def audit_entry(
    entry: PlannedEntry, locked: Locked, *, reverses: str | None = None, extra: dict[str, Any] | None = None
) -> None:
    """Write the entry's audit record: the last write of the posting's transaction."""
    audit_record(
        action=AUDIT_ACTIONS[entry.spec.entry_type],
        object_type="transaction",
        object_id=entry.public_id,
        after=entry_audit_state(entry, locked, reverses=reverses) | (extra or {}),
        actor=entry.spec.actor,
    )


def publish_posted(entries: list[PlannedEntry], locked: Locked) -> None:
    """After COMMIT: metrics and live balance updates for the entries, handed to the publisher in one go."""
    events.entries_posted(
        [
            events.Posted(
                public_id=e.public_id,
                entry_type=e.spec.entry_type,
                currency=e.spec.currency,
                amount_minor=e.spec.amount_minor,
                balances=[
                    (locked.accounts[pk].public_id, cur, after)
                    for pk, cur, _a, after in e.postings
                    if after is not None
                ],
            )
            for e in entries
        ]
    )
