"""Every write to accounts: open, change status, change the overdraft limit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from apps.audit.services import audit_record
from apps.core import checks
from apps.core.errors import DomainError, InvalidInput
from apps.core.idempotency import check_key, ensure_same_request, fingerprint
from apps.core.limits import overdraft_limit_minor, posting_minor
from apps.core.money import currency_exponent

from .errors import AccountNotEmpty, InvalidStatusTransition
from .locks import lock_accounts
from .models import (
    ALLOWED_TRANSITIONS,
    BANK_OWNER_ID,
    CUSTOMER_TYPES,
    INTERNAL_TYPES,
    Account,
    AccountStatus,
    AccountType,
)
from .selectors import overdraft_limit_check


def _account_state(account: Account) -> dict:
    return {
        "account": account.public_id,
        "owner_id": account.owner_id,
        "account_type": account.account_type,
        "currency": account.currency,
        # Not the name: it is PII, encrypted at rest, and this trail can never be erased.
        "status": account.status,
        "overdraft_limit_minor": account.overdraft_limit_minor,
    }


def _check_account_type(account_type: str) -> str:
    if account_type not in {t.value for t in CUSTOMER_TYPES}:
        allowed = ", ".join(sorted(t.value for t in CUSTOMER_TYPES))
        raise InvalidInput(f"account_type must be one of {allowed}", field="account_type", code="invalid_choice")
    return account_type


@dataclass(frozen=True)
class OpenedAccount:
    account: Account
    replayed: bool  # True when an earlier request with the same idempotency key opened it


@dataclass(frozen=True)
class OpeningSubject:
    """What an ``account_opening`` check sees (apps.core.checks): the owner (customer id) and the product."""

    owner_id: str
    account_type: str
    currency: str
    actor: str


class OpeningRefused(DomainError):
    """A registered check (KYC, sanctions) refused to open an account for this owner; the code is the check's."""

    code = "account_opening_refused"
    http_status = 403


def _check_opening(subject: OpeningSubject) -> None:
    deciding = checks.run("account_opening", subject).deciding
    if deciding is not None:
        name, result = deciding
        raise OpeningRefused(f"{name}: {result.reason}", field="owner_id", code=result.code or OpeningRefused.code)


# Posts the opening deposit of a new account inside the opening's transaction: (account, amount in minor units).
# The ledger passes it (apps.ledger.services.account_open_or_replay): accounts never calls the ledger itself.
Funder = Callable[[Account, int], Any]


def account_open_or_replay(
    *,
    owner_id: str,
    account_type: str,
    currency: str,
    name: str = "",
    overdraft_limit: object = "0",
    initial_balance: object | None = None,
    activate: bool = True,
    idempotency_key: str | None = None,
    actor: str = "system",
    fund: Funder | None = None,
) -> OpenedAccount:
    """Open a customer account; with ``initial_balance`` also post the opening deposit through ``fund``.

    Retrying with the same ``idempotency_key`` and arguments returns the account opened the first time.
    """
    idempotency_key = check_key(idempotency_key)
    if not isinstance(owner_id, str) or not owner_id.strip() or len(owner_id) > 64:
        raise InvalidInput("owner_id must be 1-64 characters", field="owner_id")
    if owner_id == BANK_OWNER_ID:
        raise InvalidInput("owner_id is reserved", field="owner_id")
    _check_account_type(account_type)
    currency_exponent(currency)
    if len(name) > 140:
        raise InvalidInput("name must be at most 140 characters", field="name")
    limit_minor = overdraft_limit_minor(overdraft_limit, currency)
    opening_minor = (
        posting_minor(initial_balance, currency, field="initial_balance", allow_zero=True)
        if initial_balance is not None
        else 0
    )
    request_fp = fingerprint(
        {
            "owner_id": owner_id,
            "account_type": account_type,
            "currency": currency,
            "name": name,
            "overdraft_limit": limit_minor,
            "initial_balance": opening_minor,
            "activate": activate,
        }
    )
    if idempotency_key:
        existing = Account.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            ensure_same_request(existing.request_fingerprint, request_fp)
            return OpenedAccount(existing, replayed=True)
    if opening_minor and not activate:
        raise InvalidInput("an account opened as PENDING cannot receive an initial balance", field="initial_balance")
    if opening_minor and fund is None:
        raise InvalidInput("an opening deposit is posted by the ledger's account opening", field="initial_balance")
    # Before the transaction opens (a check reads, never under this opening's locks); a replay is not re-checked.
    _check_opening(OpeningSubject(owner_id=owner_id, account_type=account_type, currency=currency, actor=actor))

    try:
        with transaction.atomic(durable=True):
            account = Account.objects.create(
                owner_id=owner_id,
                account_type=account_type,
                currency=currency,
                name=name,
                overdraft_limit_minor=limit_minor,
                status=AccountStatus.ACTIVE if activate else AccountStatus.PENDING,
                idempotency_key=idempotency_key,
                request_fingerprint=request_fp if idempotency_key else "",
            )
            if opening_minor:
                fund(account, opening_minor)
            # After the opening deposit: the audit write locks its shard's chain head, and no lock may follow it.
            audit_record(
                action="account.opened",
                object_type="account",
                object_id=account.public_id,
                after=_account_state(account) | {"initial_balance_minor": opening_minor},
                actor=actor,
            )
    except IntegrityError:
        # A concurrent request with the same key won the race; answer with its account.
        if not idempotency_key:
            raise
        existing = Account.objects.get(idempotency_key=idempotency_key)
        ensure_same_request(existing.request_fingerprint, request_fp)
        return OpenedAccount(existing, replayed=True)
    return OpenedAccount(account, replayed=False)


def internal_account_get_or_create(*, account_type: str, currency: str) -> Account:
    """Return the bank's own general-ledger account of ``account_type`` in ``currency``, creating it once."""
    if account_type not in INTERNAL_TYPES:
        raise InvalidInput(f"{account_type} is not an internal account type", field="account_type")
    currency_exponent(currency)
    existing = Account.objects.filter(owner_id=BANK_OWNER_ID, account_type=account_type, currency=currency).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Account.objects.create(
                owner_id=BANK_OWNER_ID,
                account_type=account_type,
                currency=currency,
                name=f"{AccountType(account_type).label} {currency}",
                status=AccountStatus.ACTIVE,
            )
    except IntegrityError:
        return Account.objects.get(owner_id=BANK_OWNER_ID, account_type=account_type, currency=currency)


# Raises unless the (locked) account may be closed; the ledger passes it: only it knows balances and holds.
ClosingCheck = Callable[[Account], None]


def account_change_status(
    *, public_id: str, status: str, actor: str = "system", check_closable: ClosingCheck | None = None
) -> Account:
    """Move an account to ``status`` if the lifecycle allows it; closing needs ``check_closable`` to pass.

    Use ``apps.ledger.services.account_change_status``: it passes the ledger's check (zero balance, no holds).
    """
    from .selectors import account_get

    account = account_get(public_id=public_id)
    if status not in {s.value for s in AccountStatus}:
        raise InvalidInput(f"unknown status {status!r}", field="status", code="invalid_choice")
    with transaction.atomic(durable=True):
        account = lock_accounts([account.pk])[account.pk]
        if status == account.status:
            return account
        if status not in ALLOWED_TRANSITIONS[account.status]:
            raise InvalidStatusTransition(f"an account cannot go from {account.status} to {status}", field="status")
        if status == AccountStatus.CLOSED:
            if check_closable is None:
                raise AccountNotEmpty("closing an account needs the ledger's check of its balance and holds")
            check_closable(account)
        return _set_status(account, status, actor)


def _set_status(account: Account, status: str, actor: str) -> Account:
    before = account.status
    account.status = status
    account.save(update_fields=["status", "updated_at"])
    audit_record(
        action="account.status_changed",
        object_type="account",
        object_id=account.public_id,
        before={"status": before},
        after={"status": account.status},
        actor=actor,
    )
    return account


@transaction.atomic(durable=True)
def account_set_overdraft_limit(*, public_id: str, limit: object, actor: str = "system") -> Account:
    """Set the overdraft limit; lowering it below what the account already uses is refused (OverdraftInUse)."""
    from .selectors import account_get

    account = account_get(public_id=public_id)
    account = lock_accounts([account.pk])[account.pk]
    # Checked under the lock that postings and holds also take, so nothing can use the limit meanwhile.
    new_limit = overdraft_limit_check(account=account, limit=limit)
    before = account.overdraft_limit_minor
    if new_limit == before:
        return account  # nothing changed, nothing to record
    account.overdraft_limit_minor = new_limit
    account.save(update_fields=["overdraft_limit_minor", "updated_at"])
    audit_record(
        action="account.overdraft_limit_changed",
        object_type="account",
        object_id=account.public_id,
        before={"overdraft_limit_minor": before},
        after={"overdraft_limit_minor": account.overdraft_limit_minor},
        actor=actor,
    )
    return account


def customer_types() -> list[str]:
    return sorted(t.value for t in CUSTOMER_TYPES)
