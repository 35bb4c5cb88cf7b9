from apps.core.errors import Conflict, DomainError, InvalidInput, NotFound


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    http_status = 422


class CurrencyMismatch(InvalidInput):
    code = "currency_mismatch"


class SameAccount(InvalidInput):
    code = "same_account"


class TransactionNotFound(NotFound):
    code = "transaction_not_found"


class AlreadyReversed(Conflict):
    code = "already_reversed"


class HoldNotFound(NotFound):
    code = "hold_not_found"


class HoldNotActive(Conflict):
    code = "hold_not_active"


class FxRateNotFound(DomainError):
    code = "fx_rate_not_found"
    http_status = 422


class AmountBelowMinimum(DomainError):
    """After conversion the amount is worth less than one minor unit of the target currency."""

    code = "amount_below_minimum"
    http_status = 422


class UnbalancedEntry(DomainError):
    """Raised if a posting set does not balance: a programming error, never caller input."""

    code = "unbalanced_entry"
    http_status = 500
