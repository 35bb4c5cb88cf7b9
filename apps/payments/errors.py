"""Payment errors with stable codes (mapped to the API's error body by apps.core.api.exception_handler)."""

from __future__ import annotations

from apps.core.errors import Conflict, DomainError, InvalidInput, NotFound


class PaymentNotFound(NotFound):
    code = "payment_not_found"


class InvalidIban(InvalidInput):
    code = "invalid_iban"


class InvalidBic(InvalidInput):
    code = "invalid_bic"


class InvalidRoutingNumber(InvalidInput):
    code = "invalid_routing_number"


class InvalidAccountNumber(InvalidInput):
    code = "invalid_account_number"


class MissingCounterparty(InvalidInput):
    """Neither an IBAN nor an account number (or the rail's required bank id) for a party."""

    code = "missing_field"


class InvalidMessageField(InvalidInput):
    """The rail's message format refuses a value (length, character set), named by ``field``."""

    code = "invalid_message_field"


class CurrencyNotOnRail(DomainError):
    code = "currency_not_supported_by_rail"
    http_status = 422


class SchemeLimitExceeded(DomainError):
    code = "scheme_limit_exceeded"
    http_status = 422


class PaymentNotCancellable(Conflict):
    code = "payment_not_cancellable"


class InvalidPaymentTransition(Conflict):
    code = "invalid_payment_transition"


class PaymentNotHeld(Conflict):
    code = "payment_not_held"


class AliasTaken(Conflict):
    code = "identifier_already_registered"


class PossibleDuplicate(Conflict):
    """Same debtor, amount, currency, creditor and reference as a recent payment; resend with confirm_duplicate."""

    code = "possible_duplicate"


class ExecutionDateInPast(DomainError):
    code = "execution_date_in_past"
    http_status = 422


class NotABusinessDay(DomainError):
    code = "not_a_business_day"
    http_status = 422


class PaymentNotReturnable(Conflict):
    """A return or change notice for a payment that never left (or an unknown change code)."""

    code = "payment_not_returnable"


class ReturnExceedsPayment(Conflict):
    """A (partial) return for more than what is left of the payment after the returns before it."""

    code = "return_exceeds_remaining"
