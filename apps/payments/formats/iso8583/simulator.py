"""A tiny issuer for the simulated card network: answer 0100 and 0400 requests.

Rules, first match wins:

1. PAN missing, failing Luhn, or of no known brand          -> 14 invalid card number
2. PAN on the block list, or processing code not purchase
   (00), cash (01) or refund (20)                             -> 05 do not honour
3. Card expired (DE14 YYMM before ``today``'s month)          -> 54 expired card
4. Amount above ``limit_minor`` (minor units)                 -> 51 insufficient funds
5. Otherwise                                                  -> 00 approved, with a deterministic DE38

A 0400 reversal is always acknowledged with 0410 / 00: the simulator keeps no ledger to check.
"""

from __future__ import annotations

import hashlib
from datetime import date

from ..cards import card_brand, is_luhn_valid
from ..errors import MessageValidationError
from .message import CardMessage

APPROVED = "00"
DO_NOT_HONOUR = "05"
INVALID_CARD_NUMBER = "14"
INSUFFICIENT_FUNDS = "51"
EXPIRED_CARD = "54"
DEFAULT_LIMIT_MINOR = 500_000  # 5,000.00 in a 2-decimal currency
SUPPORTED_PROCESSING = frozenset({"00", "01", "20"})

_ECHOED = (
    "pan",
    "processing_code",
    "amount",
    "transmission_datetime",
    "stan",
    "local_time",
    "local_date",
    "acquirer_id",
    "terminal_id",
    "merchant_id",
    "currency_code",
    "original_data_elements",
)


def decide_response_code(
    request: CardMessage,
    *,
    today: date,
    limit_minor: int = DEFAULT_LIMIT_MINOR,
    blocked_pans: frozenset[str] = frozenset(),
) -> str:
    """Return the response code (DE39) the simulator gives an 0100 authorisation request."""
    pan = request.pan or ""
    if not is_luhn_valid(pan) or card_brand(pan) is None:
        return INVALID_CARD_NUMBER
    if pan in blocked_pans or (request.processing_code or "")[:2] not in SUPPORTED_PROCESSING:
        return DO_NOT_HONOUR
    expiry = request.expiry or ""
    if len(expiry) == 4 and expiry.isdigit() and (2000 + int(expiry[:2]), int(expiry[2:])) < (today.year, today.month):
        return EXPIRED_CARD
    if (request.amount or 0) > limit_minor:
        return INSUFFICIENT_FUNDS
    return APPROVED


def _retrieval_reference(request: CardMessage, today: date) -> str:
    return request.rrn or f"{today:%y}{today.timetuple().tm_yday:03d}0{(request.stan or '0').zfill(6)[-6:]}"


def authorise(
    request: CardMessage,
    *,
    today: date,
    limit_minor: int = DEFAULT_LIMIT_MINOR,
    blocked_pans: frozenset[str] = frozenset(),
) -> CardMessage:
    """Answer ``request`` (0100 -> 0110, 0400 -> 0410) by the rules in this module's docstring."""
    if request.mti not in ("0100", "0400"):
        raise MessageValidationError.single(
            str(request.mti), "MTI", "the simulator answers 0100 and 0400 requests only"
        )
    echoed = {name: getattr(request, name) for name in _ECHOED}
    rrn = _retrieval_reference(request, today)
    if request.mti == "0400":
        return CardMessage(mti="0410", rrn=rrn, response_code=APPROVED, **echoed)
    code = decide_response_code(request, today=today, limit_minor=limit_minor, blocked_pans=blocked_pans)
    auth_id = None
    if code == APPROVED:
        seed = f"{request.pan}|{request.stan}|{request.transmission_datetime}|{request.amount}".encode()
        auth_id = hashlib.sha256(seed).hexdigest()[:6].upper()
    return CardMessage(mti="0110", rrn=rrn, auth_id=auth_id, response_code=code, **echoed)
