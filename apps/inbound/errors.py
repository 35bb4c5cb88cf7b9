"""Inbound errors with stable codes (mapped to the API's error body by apps.core.api.exception_handler)."""

from __future__ import annotations

from apps.core.errors import Conflict, DomainError, InvalidInput, NotFound


class InboundPaymentNotFound(NotFound):
    code = "inbound_payment_not_found"


class ExceptionItemNotFound(NotFound):
    code = "exception_item_not_found"


class UnreadableInboundMessage(InvalidInput):
    """The message is of no known format or does not read (the problems are in the message text)."""

    code = "invalid_message"


class ExceptionItemResolved(Conflict):
    code = "exception_item_resolved"


class AccountCannotTakePayment(DomainError):
    """The account an operator chose cannot be credited (not active, another currency)."""

    code = "account_cannot_take_payment"
    http_status = 422
