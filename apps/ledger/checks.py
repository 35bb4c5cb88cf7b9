"""Checks on a posting before it is made: ``apps.core.checks`` bound to the ``posting`` kind.

Deposits, withdrawals and transfers (alone or in a batch) are checked; fees, reversals and hold captures are the
bank's own movements and are not. The checks run before the posting's transaction opens, so a fraud score or a
screening look-up never holds a row lock. A hold or reject answer refuses the posting with the check's code (the
caller sees 403 and nothing is posted); the check itself records whatever alert it raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from apps.core import checks as _checks
from apps.core.errors import DomainError

from .models import EntryType

KIND = "posting"
CHECKED_TYPES = frozenset({EntryType.DEPOSIT, EntryType.WITHDRAWAL, EntryType.TRANSFER})


class RefusedByCheck(DomainError):
    """A registered check (sanctions, KYC, fraud, AML) refused or held the posting."""

    code = "refused_by_check"
    http_status = 403


@dataclass(frozen=True)
class PostingSubject:
    """What a posting check sees. ``debit_account`` is the customer account money leaves (None for a deposit),
    ``credit_account`` the one it reaches (None for a withdrawal); amounts in minor units of ``currency``."""

    entry_type: str
    amount_minor: int
    currency: str
    debit_account: str | None
    credit_account: str | None
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    actor: str = "system"
    # Set by ``screen_many`` (one look-up for a whole batch); otherwise ``owner_ids`` reads it when a check asks.
    known_owners: dict[str, str] | None = field(default=None, compare=False, repr=False)

    @property
    def moves_money_out(self) -> bool:
        return self.debit_account is not None

    @cached_property
    def owner_ids(self) -> dict[str, str]:
        """Account public id → owner (customer) id of the accounts involved; read once, only if a check asks."""
        accounts = [a for a in (self.debit_account, self.credit_account) if a]
        if self.known_owners is not None:
            return {a: self.known_owners[a] for a in accounts if a in self.known_owners}
        from .selectors import account_owner_ids

        return account_owner_ids(public_ids=[a for a in (self.debit_account, self.credit_account) if a])


def subject_of(request: Any, known_owners: dict[str, str] | None = None) -> PostingSubject | None:
    """The subject of a ``SimplePosting`` or ``TransferRequest``; None for types that are not checked."""
    entry_type = getattr(request, "entry_type", EntryType.TRANSFER)
    if entry_type not in CHECKED_TYPES:
        return None
    if entry_type == EntryType.TRANSFER:
        debit, credit = request.from_account, request.to_account
    elif entry_type == EntryType.DEPOSIT:
        debit, credit = None, request.account
    else:
        debit, credit = request.account, None
    return PostingSubject(
        entry_type=str(entry_type),
        amount_minor=request.amount_minor,
        currency=request.currency,
        debit_account=debit,
        credit_account=credit,
        description=request.description,
        metadata=dict(request.metadata or {}),
        actor=request.actor,
        known_owners=known_owners,
    )


def screen(request: Any) -> None:
    """Run the posting checks on ``request``; raise ``RefusedByCheck`` (with the check's code) unless all pass."""
    if not _checks.registered(KIND):
        return
    subject = subject_of(request)
    if subject is None:
        return
    refusal = _refusal(_checks.run(KIND, subject))
    if refusal is not None:
        raise refusal


def screen_many(requests: dict[int, Any]) -> dict[int, RefusedByCheck]:
    """``screen`` for each entry of a batch, answered by index; every check asked once for the whole batch and the
    accounts' owners read in one statement."""
    if not _checks.registered(KIND):
        return {}
    from .selectors import account_owner_ids

    accounts = {
        a
        for r in requests.values()
        for a in (getattr(r, "from_account", None), getattr(r, "to_account", None), getattr(r, "account", None))
        if a
    }
    owners = account_owner_ids(public_ids=sorted(accounts))
    subjects = {index: subject_of(request, owners) for index, request in requests.items()}
    checked = [index for index, subject in subjects.items() if subject is not None]
    outcomes = _checks.run_many(KIND, [subjects[index] for index in checked])
    refusals = {index: _refusal(outcome) for index, outcome in zip(checked, outcomes, strict=True)}
    return {index: refusal for index, refusal in refusals.items() if refusal is not None}


def _refusal(outcome: _checks.Outcome) -> RefusedByCheck | None:
    if outcome.deciding is None:
        return None
    name, result = outcome.deciding
    return RefusedByCheck(f"{name}: {result.reason}", code=result.code or RefusedByCheck.code)


def register(name: str, check: _checks.Check, *, many: _checks.ManyCheck | None = None) -> None:
    _checks.register(KIND, name, check, many=many)


def unregister(name: str) -> None:
    _checks.unregister(KIND, name)
