from apps.core.errors import Conflict, DomainError, InvalidInput, NotFound, PeriodClosed  # noqa: F401 (re-export)


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


class LedgerNotEmpty(Conflict):
    """``generate_history`` fills only an empty ledger."""

    code = "ledger_not_empty"


class PeriodNotClosable(InvalidInput):
    """A close for a period that has not ended yet, or with a start after its end."""

    code = "period_not_closable"


class TrialBalanceNotZero(Conflict):
    """The accounts of a currency do not sum to zero at the period end: the close is refused."""

    code = "trial_balance_not_zero"
