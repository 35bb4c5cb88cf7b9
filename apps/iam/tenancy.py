"""Which accounts an API caller may reach: the client-separation rule, in one place.

An API client (a machine integration) is scoped to customer owners: ``ApiClient.owner_ids``, or every customer
with ``all_customers`` (back-office integrators). Within its scope it may open accounts, read them and their
statements, debit them (withdrawals, fees, transfers out, holds, reversals), freeze them and change their limits.
It may *credit* an account outside its owners (a transfer or a hold capture paying another customer of the bank)
only with ``credit_any_customer``. The bank's own general-ledger accounts (owner ``__bank__``: CASH,
FEE_INCOME, FX_POSITION, NOSTRO, SUSPENSE) are never in any client's scope: the services move them internally
(a deposit debits CASH), and the API never names them.

Staff sessions are governed by their roles instead: they may read every account, the bank's own included, but
may not name a bank account in an operation either. An account outside the caller's scope answers exactly as an
account that does not exist (404 ``account_not_found``), so a key cannot learn which ids exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from django.db.models import Q, QuerySet

from apps.accounts.errors import AccountNotFound
from apps.accounts.models import BANK_OWNER_ID, Account
from apps.accounts.selectors import account_get
from apps.core.errors import DomainError


class Use(Enum):
    READ = "read"  # see the account, its balance, statement and transactions
    OWN = "own"  # debit it, hold on it, change its status or limit, open one for its owner
    CREDIT = "credit"  # pay into it (transfer target, hold capture target)


class OwnerNotAllowed(DomainError):
    code = "owner_not_allowed"
    http_status = 403


@dataclass(frozen=True)
class OwnerScope:
    owner_ids: frozenset[str]
    all_customers: bool = False
    credit_any_customer: bool = False
    reads_bank_accounts: bool = False  # staff only

    def allows(self, owner_id: str, use: Use) -> bool:
        if owner_id == BANK_OWNER_ID:
            return use is Use.READ and self.reads_bank_accounts
        if self.all_customers or owner_id in self.owner_ids:
            return True
        return use is Use.CREDIT and self.credit_any_customer

    def readable(self) -> Q:
        """The accounts this scope may read, as a filter on Account."""
        if self.reads_bank_accounts:
            return Q()
        if self.all_customers:
            return ~Q(owner_id=BANK_OWNER_ID)
        return Q(owner_id__in=sorted(self.owner_ids - {BANK_OWNER_ID}))


STAFF_SCOPE = OwnerScope(owner_ids=frozenset(), all_customers=True, reads_bank_accounts=True)


def scope_of_client(client) -> OwnerScope:
    return OwnerScope(
        owner_ids=frozenset(client.owner_ids or ()),
        all_customers=client.all_customers,
        credit_any_customer=client.credit_any_customer,
    )


def scope_of(request) -> OwnerScope:
    """The owner scope of the request's caller: its API client's, or the staff scope for a staff session."""
    key = getattr(request.user, "api_key", None)
    return STAFF_SCOPE if key is None else scope_of_client(key.client)


def may(request, account: Account, use: Use) -> bool:
    return scope_of(request).allows(account.owner_id, use)


def account_for(request, public_id: str, *, use: Use, field: str = "account") -> Account:
    """Return the account if the caller may ``use`` it; otherwise 404 ``account_not_found``, as if absent."""
    account = account_get(public_id=public_id, field=field)
    if not scope_of(request).allows(account.owner_id, use):
        raise AccountNotFound(f"no account {public_id}", field=field)
    return account


def accounts_for(request, wanted: dict[str, tuple[str, Use]]) -> dict[str, Account]:
    """``account_for`` for several accounts in one query: {field: (public id, use)} -> {field: account}."""
    from apps.accounts.selectors import accounts_by_public_id

    found = accounts_by_public_id(public_ids=[public_id for public_id, _ in wanted.values()])
    scope = scope_of(request)
    return {
        field: reachable(scope, found, public_id, use=use, field=field) for field, (public_id, use) in wanted.items()
    }


def reachable(scope: OwnerScope, found: dict[str, Account], public_id: str, *, use: Use, field: str) -> Account:
    """The account ``public_id`` among ``found`` (already read) if ``scope`` may ``use`` it; else 404, as if absent."""
    if not isinstance(public_id, str) or not public_id:
        raise AccountNotFound("account id is missing", field=field)
    account = found.get(public_id)
    if account is None or not scope.allows(account.owner_id, use):
        raise AccountNotFound(f"no account {public_id}", field=field)
    return account


def check_owner(request, owner_id: str) -> None:
    """Refuse (403) opening an account for an owner outside the caller's scope."""
    if isinstance(owner_id, str) and owner_id != BANK_OWNER_ID and not scope_of(request).allows(owner_id, Use.OWN):
        raise OwnerNotAllowed("this API client may not open accounts for that owner", field="owner_id")


def readable_accounts(request, qs: QuerySet[Account]) -> QuerySet[Account]:
    return qs.filter(scope_of(request).readable())


def may_see_accounts(request, accounts: list[Account]) -> bool:
    """True when the caller may read at least one of ``accounts`` (who may see a transaction or a hold)."""
    scope = scope_of(request)
    return any(scope.allows(a.owner_id, Use.READ) for a in accounts)


def may_own_all(request, accounts: list[Account]) -> bool:
    """True when every customer account among ``accounts`` is in the caller's scope (who may reverse an entry)."""
    scope = scope_of(request)
    return all(scope.allows(a.owner_id, Use.OWN) for a in accounts if a.owner_id != BANK_OWNER_ID)


def readable_entries(request, qs: QuerySet) -> QuerySet:
    """Journal entries with a posting on an account the caller may read."""
    scope = scope_of(request)
    if scope.reads_bank_accounts:
        return qs
    return qs.filter(postings__account__in=Account.objects.filter(scope.readable())).distinct()
