"""The issuer host's message adapter: one ISO 8583 request in, one response out, one service call in between.

0100 -> ``authorisation_decide`` -> 0110; 0400/0420 -> ``authorisation_reverse`` -> 0410/0430 (with DE95, a
replacement amount below DE4, a partial reversal: the hold keeps the replacement amount); 0220 ->
``authorisation_clear`` -> 0230; 0800 -> ``network_management`` -> 0810: sign-on (DE70 001), sign-off (002) and
echo test (301) are 00, another DE70 12; while signed off an 0100 is answered 91. The PAN is read here and passed on;
it is never logged (log lines name the MTI, STAN, RRN and terminal only).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

import iso4217
from django.utils import timezone

from apps.payments.formats.iso8583 import (
    CardMessage,
    MessageValidationError,
    build_iso8583_message,
    read_iso8583_message,
)

from . import responses as rc
from .services import (
    AuthorisationRequest,
    authorisation_clear,
    authorisation_decide,
    authorisation_reverse,
    network_management,
)

logger = logging.getLogger(__name__)

_ALPHA_BY_NUMERIC = {f"{c.number:03d}": c.value for c in iso4217.Currency if c.number}
_ECHOED = (
    "pan",
    "processing_code",
    "amount",
    "transmission_datetime",
    "stan",
    "local_time",
    "local_date",
    "acquirer_id",
    "rrn",
    "terminal_id",
    "merchant_id",
    "currency_code",
    "original_data_elements",
    "replacement_amounts",
    "network_management_code",
)


def retrieval_reference(message: CardMessage, at: datetime) -> str:
    """DE37 as sent, or one made the way switches do: YY, day of the year, 0, STAN."""
    return message.rrn or f"{at:%y}{at.timetuple().tm_yday:03d}0{(message.stan or '0').zfill(6)[-6:]}"


def _response(request: CardMessage, response_code: str, *, rrn: str | None, auth_id: str | None = None) -> CardMessage:
    echoed = {name: getattr(request, name) for name in _ECHOED}
    echoed["rrn"] = rrn
    return CardMessage(mti=f"{int(request.mti) + 10:04d}", auth_id=auth_id, response_code=response_code, **echoed)


def _authorise(message: CardMessage, at: datetime, currency: str) -> CardMessage:
    rrn = retrieval_reference(message, at)
    answer = authorisation_decide(
        request=AuthorisationRequest(
            pan=message.pan or "",
            processing_code=message.processing_code or "",
            amount_minor=message.amount or 0,
            currency=currency,
            stan=message.stan or "",
            rrn=rrn,
            transmission_datetime=message.transmission_datetime or "",
            terminal_id=message.terminal_id or "",
            merchant_id=message.merchant_id or "",
            merchant_category=message.mcc or "",
            merchant_country=message.acquirer_country or "",
            acquirer_id=message.acquirer_id or "",
            pos_entry_mode=message.pos_entry_mode or "",
            expiry=message.expiry,
            at=at,
        )
    )
    return _response(message, answer.response_code, rrn=rrn, auth_id=answer.auth_code or None)


def replacement_amount(message: CardMessage) -> int | None:
    """DE95's actual transaction amount when it is below DE4 (a partial reversal), else None (a full one).

    DE95 is n12 actual amount, n12 actual settlement amount, then the two fees; an actual amount of zero, or one
    not below the original, means the whole authorisation is reversed.
    """
    text = message.replacement_amounts or ""
    actual = int(text[:12]) if text[:12].isdigit() else 0
    return actual if 0 < actual < (message.amount or 0) else None


def _reverse(message: CardMessage) -> CardMessage:
    original = message.original_data_elements or ""
    answer = authorisation_reverse(
        terminal_id=message.terminal_id or "",
        pan=message.pan,
        rrn=message.rrn,
        stan=original[4:10] or None,
        transmission_datetime=original[10:20] or None,
        mti=message.mti,
        replacement_amount_minor=replacement_amount(message),
    )
    return _response(message, answer.response_code, rrn=message.rrn)


def _network_management(message: CardMessage) -> CardMessage:
    code = network_management(code=message.network_management_code or "", stan=message.stan or "")
    return _response(message, code, rrn=message.rrn)


def _clear(message: CardMessage, currency: str) -> CardMessage:
    answer = authorisation_clear(
        terminal_id=message.terminal_id or "",
        rrn=message.rrn or "",
        amount_minor=message.amount or 0,
        currency=currency,
        pan=message.pan,
        source="0220",
    )
    return _response(message, answer.response_code, rrn=message.rrn)


def answer_message(raw: bytes, *, now: datetime | None = None) -> bytes | None:
    """The response to one request, as bytes; None when the request cannot be read far enough to answer it."""
    message, errors, mti = read_iso8583_message(raw, check_luhn=False)  # a bad check digit is answered 14
    if message is None or mti not in ("0100", "0220", "0400", "0420", "0800"):
        logger.warning("card host: unreadable %s (%d problems) ignored", mti, len(errors))
        return None
    at = now or timezone.now()
    currency = _ALPHA_BY_NUMERIC.get(message.currency_code or "", "")
    try:
        if message.mti == "0800":
            response = _network_management(message)
        elif message.mti == "0100":
            response = _authorise(message, at, currency)
        elif message.mti == "0220":
            response = _clear(message, currency)
        else:
            response = _reverse(message)
    except Exception as exc:  # the switch must get an answer; the cause goes to the log, never the PAN
        logger.error(
            "card host: %s stan=%s rrn=%s failed: %s", message.mti, message.stan, message.rrn, type(exc).__name__
        )
        response = _response(message, rc.SYSTEM_MALFUNCTION, rrn=message.rrn)
    # Built from what we read, so only a value we derived can be wrong: then answer without the optional ones, and
    # failing that not at all. Never let the error's text (which may quote a value) reach a traceback.
    for candidate in (response, replace(response, auth_id=None, rrn=None)):
        try:
            return build_iso8583_message(candidate, check_luhn=False)
        except MessageValidationError:
            logger.error("card host: cannot build the %s response for stan=%s", response.mti, message.stan)
    return None
