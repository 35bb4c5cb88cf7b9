"""Which rail carries a payment, and why (the reasons are stored on the payment and shown by the API).

EUR to an IBAN in the SEPA zone -> SCT (``instant`` -> SCT Inst); USD to an ABA routing number -> ACH, or
Fedwire when ``urgent`` or above ``QENEX_PAYMENTS_FEDWIRE_ABOVE``; anything else -> SWIFT as MT103 or CBPR+
pacs.008 (``QENEX_PAYMENTS_SWIFT_FORMAT``). Each rail settles against the bank's general-ledger account
``SETTLEMENT_ACCOUNT_TYPE[rail]`` in the payment's currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from apps.accounts.models import AccountType
from apps.core.money import format_amount, to_minor_units

from . import business_days
from .formats.nacha.schedule import EASTERN, SAME_DAY_ENTRY_LIMIT_CENTS
from .models import Rail, Speed
from .request import PaymentRequest
from .selectors import correspondents_for
from .validation import iban

MT103 = "MT103"
PACS008 = "pacs.008"
FAIM = "FAIM"
NACHA = "NACHA"

# The bank's own account each rail settles through. There is one NOSTRO per currency today; per-rail
# settlement accounts (a SEPA CSM, the Fed master account, each correspondent) need new internal types.
SETTLEMENT_ACCOUNT_TYPE: dict[str, str] = {rail: AccountType.NOSTRO for rail in Rail}


@dataclass(frozen=True)
class Route:
    rail: str
    message_format: str
    reasons: tuple[str, ...]
    correspondent_bic: str = ""  # SWIFT: the correspondent whose nostro settles the payment
    cover: bool = False  # SWIFT: a cover (MT202 COV, or pacs.009 COV with CBPR+) to the correspondent moves the funds


def _through_correspondent(currency: str, receiver_bic: str) -> tuple[str, bool, str] | None:
    """(correspondent BIC, cover?, reason) for a SWIFT payment, or None when no correspondent is set up."""
    correspondents = correspondents_for(currency=currency)
    if not correspondents:
        return None
    direct = next((c for c in correspondents if c.bic[:8] == receiver_bic[:8]), None)
    if direct is not None:
        return direct.bic, False, f"{receiver_bic[:8]} holds our {currency} nostro: sent to it directly (serial)"
    default = next((c for c in correspondents if c.is_default), None)
    if default is None:
        return None
    reason = f"no {currency} relationship with {receiver_bic[:8]}: cover payment through {default.bic}"
    return default.bic, True, reason


def swift_format() -> str:
    configured = settings.QENEX_PAYMENTS_SWIFT_FORMAT.lower()
    formats = {"mt103": MT103, "pacs008": PACS008}
    if configured not in formats:
        raise ImproperlyConfigured("QENEX_PAYMENTS_SWIFT_FORMAT must be mt103 or pacs008")
    return formats[configured]


def choose(request: PaymentRequest, amount_minor: int) -> Route:
    """Return the rail for ``request`` with the reasons, in the order they were weighed."""
    receiver, currency, speed = request.receiver, request.currency, request.speed
    if currency == "EUR" and receiver.iban:
        creditor_iban = iban(receiver.iban, field="receiver.iban")
        if creditor_iban.in_sepa_zone:
            reasons = [f"EUR to an IBAN in the SEPA zone ({creditor_iban.country_code})"]
            if speed == Speed.INSTANT:
                return Route(Rail.SEPA_INST, PACS008, (*reasons, "speed instant: SCT Inst"))
            return Route(Rail.SEPA, PACS008, (*reasons, f"speed {speed}: SCT"))
    if currency == "USD" and receiver.aba:
        reasons = ["USD to an ABA routing number (US domestic)"]
        threshold = to_minor_units(settings.QENEX_PAYMENTS_FEDWIRE_ABOVE, "USD")
        if speed in (Speed.URGENT, Speed.INSTANT):
            return Route(Rail.FEDWIRE, FAIM, (*reasons, f"speed {speed}: Fedwire"))
        if amount_minor > threshold:
            limit = format_amount(threshold, "USD")
            return Route(Rail.FEDWIRE, FAIM, (*reasons, f"amount above {limit} USD: Fedwire"))
        return Route(Rail.ACH, NACHA, (*reasons, f"speed {speed}: ACH"))
    fmt = swift_format()
    reasons = [f"{currency} to {receiver.country or 'abroad'}: no domestic rail applies, SWIFT"]
    if speed == Speed.INSTANT:
        reasons.append("instant is not available on SWIFT: sent as urgent")
    reasons.append(f"format {fmt} (QENEX_PAYMENTS_SWIFT_FORMAT)")
    through = _through_correspondent(currency, receiver.bic) if receiver.bic else None
    if through is None:
        return Route(Rail.SWIFT, fmt, tuple(reasons))
    correspondent, cover, reason = through
    if cover:
        pair = "MT103 + MT202 COV" if fmt == MT103 else "pacs.008 + pacs.009 COV (CBPR+)"
        reason = f"{reason}; the cover goes as {pair}"
    return Route(Rail.SWIFT, fmt, (*reasons, reason), correspondent_bic=correspondent, cover=cover)


@dataclass(frozen=True)
class AchSchedule:
    value_date: date
    same_day: bool
    reason: str


def ach_schedule(amount_minor: int, earliest: date, now: datetime) -> AchSchedule:
    """When an ACH credit settles: the same day before the ACH cut-off when same-day ACH is on and the entry is at
    most the Nacha same-day limit ($1,000,000.00), else the next Federal Reserve business day (or the later date
    asked for)."""
    today = now.astimezone(EASTERN).date()
    if earliest > today:
        return AchSchedule(earliest, False, f"next-day ACH: effective {earliest}")
    following = business_days.next_business_day(today + timedelta(days=1), business_days.FED)
    if not settings.QENEX_PAYMENTS_ACH_SAME_DAY:
        return AchSchedule(
            following, False, f"same-day ACH is off (QENEX_PAYMENTS_ACH_SAME_DAY): effective {following}"
        )
    if amount_minor > SAME_DAY_ENTRY_LIMIT_CENTS:
        limit = format_amount(SAME_DAY_ENTRY_LIMIT_CENTS, "USD")
        return AchSchedule(
            following, False, f"above the {limit} USD same-day limit: next-day ACH, effective {following}"
        )
    return AchSchedule(today, True, "same-day ACH: before the cut-off, within the same-day limit")
