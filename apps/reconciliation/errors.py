"""Reconciliation errors, each with a stable code (mapped to 4xx by the API's exception handler)."""

from apps.core.errors import Conflict, DomainError, InvalidInput, NotFound


class StatementUnreadable(InvalidInput):
    """The file is not a statement we read, or breaks its format's rules; ``errors`` lists every problem."""

    code = "statement_invalid"

    def __init__(self, message: str, *, errors: list | None = None, field: str | None = "file"):
        super().__init__(message, field=field)
        self.errors = errors or []


class StatementNotFound(NotFound):
    code = "statement_not_found"


class RunNotFound(NotFound):
    code = "reconciliation_run_not_found"


class BreakNotFound(NotFound):
    code = "break_not_found"


class BreakAlreadyResolved(Conflict):
    code = "break_already_resolved"


class NostroNotFound(DomainError):
    """No QENEX account to reconcile the statement against (none named, and no NOSTRO in its currency)."""

    code = "nostro_not_found"


class BreakPendingApproval(Conflict):
    """The break's write-off waits for a second officer (apps.approvals): nothing else is done to it meanwhile."""

    code = "break_pending_approval"
