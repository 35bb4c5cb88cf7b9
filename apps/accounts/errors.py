from apps.core.errors import Conflict, DomainError, NotFound


class AccountNotFound(NotFound):
    code = "account_not_found"


class AccountNotActive(DomainError):
    code = "account_not_active"
    http_status = 422


class InvalidStatusTransition(Conflict):
    code = "invalid_status_transition"


class AccountNotEmpty(Conflict):
    code = "account_not_empty"


class OverdraftInUse(Conflict):
    """The new overdraft limit is below what the account already uses (negative balance plus open holds)."""

    code = "overdraft_in_use"
