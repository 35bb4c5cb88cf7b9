from apps.core.errors import Conflict, DomainError, NotFound


class QuoteNotFound(NotFound):
    code = "quote_not_found"


class QuoteExpired(Conflict):
    code = "quote_expired"


class QuoteMoved(Conflict):
    """The LP's price moved against the bank past our markup since the quote: booking it would lose money."""

    code = "quote_moved"


class QuoteAlreadyAccepted(Conflict):
    code = "quote_already_accepted"


class FxLimitExceeded(DomainError):
    code = "fx_limit_exceeded"


class LiquidityUnavailable(DomainError):
    code = "fx_liquidity_unavailable"
    http_status = 503


class UnsupportedPair(DomainError):
    code = "unsupported_pair"
    http_status = 400
