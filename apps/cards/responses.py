"""The ISO 8583 response codes (DE39) the issuer host answers, and why. One table for the host, tests and docs."""

from __future__ import annotations

APPROVED = "00"
DO_NOT_HONOUR = "05"  # fraud check refused or held, account not usable
INVALID_TRANSACTION = "12"  # an advice or reversal for an authorisation that cannot take it (reversed, cleared)
INVALID_AMOUNT = "13"
INVALID_CARD_NUMBER = "14"  # unknown PAN, Luhn failure, scheme we do not issue
ORIGINAL_NOT_FOUND = "25"  # a reversal or advice naming no authorisation we answered
FORMAT_ERROR = "30"
LOST_CARD = "41"  # pick up
INSUFFICIENT_FUNDS = "51"
EXPIRED_CARD = "54"
NOT_PERMITTED = "57"  # processing code or currency the card does not support
EXCEEDS_LIMIT = "61"  # per-transaction or daily limit
RESTRICTED_CARD = "62"  # blocked by the bank or the cardholder
ISSUER_UNAVAILABLE = "91"  # signed off, or the time budget ran out: nothing was written, the switch may stand in
DUPLICATE_TRANSMISSION = "94"  # same STAN/RRN as an earlier request, but a different card or amount
SYSTEM_MALFUNCTION = "96"

MEANING = {
    APPROVED: "approved (0110: hold placed; 0230/0410/0430: done)",
    DO_NOT_HONOUR: "do not honour: a fraud check refused or held it, or the account is not usable",
    INVALID_TRANSACTION: "invalid transaction: the authorisation was already reversed, cleared or expired",
    INVALID_AMOUNT: "invalid amount: zero, or a clearing above the authorised amount",
    INVALID_CARD_NUMBER: "invalid card number: unknown PAN, fails Luhn, or not Visa/Mastercard/AMEX",
    ORIGINAL_NOT_FOUND: "unable to locate the original authorisation",
    FORMAT_ERROR: "format error: the message does not parse (answered only when its MTI is readable)",
    LOST_CARD: "lost card, pick up",
    INSUFFICIENT_FUNDS: "insufficient funds: the amount is above the account's available balance",
    EXPIRED_CARD: "expired card, or DE14 does not match the card's expiry",
    NOT_PERMITTED: "transaction not permitted: processing code other than purchase/cash, or another currency",
    EXCEEDS_LIMIT: "exceeds the card's per-transaction or daily limit",
    RESTRICTED_CARD: "restricted card: blocked",
    ISSUER_UNAVAILABLE: (
        "issuer unavailable: the network is signed off (0800 DE70 002), or the time budget ran out; nothing was changed"
    ),
    DUPLICATE_TRANSMISSION: "duplicate transmission: same STAN/RRN as an earlier, different request",
    SYSTEM_MALFUNCTION: "system malfunction: nothing was changed",
}
