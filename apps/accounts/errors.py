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
