"""Domain errors with stable, machine-readable codes.

Services raise these; they never raise HTTP errors. One handler (``apps.core.api.exception_handler``)
maps them to ``{"error": {"code", "message", "field"}}`` with the status given here.
"""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the request. Nothing was changed."""

    code: str = "domain_error"
    http_status: int = 422

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class InvalidInput(DomainError):
    code = "invalid_input"
    http_status = 400


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class Conflict(DomainError):
    code = "conflict"
    http_status = 409


class IdempotencyConflict(Conflict):
    code = "idempotency_key_reused"


class InvalidAmount(InvalidInput):
    code = "invalid_amount"


class UnknownCurrency(InvalidInput):
    code = "unknown_currency"


class AmountTooLarge(DomainError):
    """An amount above the ledger's per-posting maximum (or a number the database cannot store)."""

    code = "amount_too_large"
    http_status = 422


class BalanceLimitExceeded(DomainError):
    """The posting would take a balance beyond the per-account maximum or the ledger's 64-bit range."""

    code = "balance_limit_exceeded"
    http_status = 422


class PeriodClosed(Conflict):
    """A posting dated into a closed accounting period (the ledger's period-close trigger refused it)."""

    code = "period_closed"
