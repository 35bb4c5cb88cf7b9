"""When an operation needs a second pair of eyes: the four-eyes rule, in one place.

It applies to every maker alike: a staff user or an API client (a machine maker). The checker is always another
person, a staff user with the approve permission.

*Threshold.* ``QENEX_APPROVAL_THRESHOLD`` (setting or environment variable) is either one amount in major units
that applies to every currency (``10000``) or per-currency amounts with an optional default
(``USD=10000,EUR=9000,JPY=1500000,*=10000``). An operation that moves or commits more than the threshold on any
account it touches, in that account's currency, needs approval: deposits, withdrawals, fees, transfers (a
cross-currency one on both sides, at the rate in force), reversals, holds, hold captures and opening deposits.

*Velocity.* Splitting an operation into several below the threshold does not help: the amounts one maker
moved *without* approval on an account (debits and credits apart, the bank's own CASH/FX/fee accounts included,
so that many small deposits into different accounts add up too) within ``QENEX_APPROVAL_VELOCITY_WINDOW``
(seconds, or ``30m``, ``24h``, ``1d``; default a day, ``0`` turns the rule off) count with the new one.

*Always.* Unfreezing an account, setting an overdraft limit (also when opening an account) and manual
adjustments always need approval.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from apps.core.money import currency_exponent
from apps.ledger.movements import Movement
from apps.ledger.selectors import actor_volumes

DEFAULT_THRESHOLD = Decimal("10000")
DEFAULT_VELOCITY_WINDOW = "1d"
_WINDOW_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _parse(raw: object) -> dict[str, Decimal]:
    if isinstance(raw, dict):
        items = [(str(k), str(v)) for k, v in raw.items()]
    else:
        text = str(raw).strip()
        items = [tuple(p.split("=", 1)) if "=" in p else ("*", p) for p in text.split(",") if p.strip()]
    thresholds: dict[str, Decimal] = {}
    for currency, amount in items:
        try:
            value = Decimal(str(amount).strip())
        except InvalidOperation:
            raise ImproperlyConfigured(f"QENEX_APPROVAL_THRESHOLD: {amount!r} is not an amount") from None
        if not value.is_finite() or value < 0:
            raise ImproperlyConfigured(f"QENEX_APPROVAL_THRESHOLD: {amount!r} must be zero or more")
        thresholds[currency.strip().upper()] = value
    thresholds.setdefault("*", DEFAULT_THRESHOLD)
    return thresholds


def approval_thresholds() -> dict[str, Decimal]:
    raw = getattr(settings, "QENEX_APPROVAL_THRESHOLD", None)
    if raw is None:
        raw = os.environ.get("QENEX_APPROVAL_THRESHOLD", str(DEFAULT_THRESHOLD))
    return _parse(raw)


def approval_threshold(*, currency: str) -> Decimal:
    thresholds = approval_thresholds()
    return thresholds.get(str(currency).upper(), thresholds["*"])


def posting_needs_approval(*, amount: object, currency: str) -> bool:
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return False  # the posting service refuses the amount with its own error
    return value > approval_threshold(currency=currency)


def velocity_window() -> timedelta:
    raw = getattr(settings, "QENEX_APPROVAL_VELOCITY_WINDOW", None)
    if raw is None:
        raw = os.environ.get("QENEX_APPROVAL_VELOCITY_WINDOW", DEFAULT_VELOCITY_WINDOW)
    match = re.fullmatch(r"\s*(\d{1,9})\s*([smhd]?)\s*", str(raw))
    if match is None:
        raise ImproperlyConfigured(
            f"QENEX_APPROVAL_VELOCITY_WINDOW: {raw!r} is not a duration (seconds, or e.g. 30m, 24h, 1d)"
        )
    return timedelta(seconds=int(match.group(1)) * _WINDOW_UNITS[match.group(2)])


def _above_threshold(amount_minor: int, currency: str) -> bool:
    return Decimal(amount_minor) > approval_threshold(currency=currency).scaleb(currency_exponent(currency))


THRESHOLD, VELOCITY = "threshold", "velocity"


def approval_reason(*, actor: str, movements: list[Movement], now: datetime | None = None) -> str | None:
    """Return why an operation by ``actor`` needs approval (``threshold`` or ``velocity``), or None.

    ``movements`` are what the operation does to each account (``apps.ledger.movements``); ``actor`` is the
    maker's name as the ledger records it (a username or ``api:<client>``).
    """
    if any(_above_threshold(abs(m.amount_minor), m.currency) for m in movements):
        return THRESHOLD
    window = velocity_window()
    known = [m for m in movements if m.account_id is not None]
    if not window or not known:
        return None
    since = (now or timezone.now()) - window
    recent = actor_volumes(actor=actor, account_ids=[m.account_id for m in known], since=since)
    for m in known:
        debits, credits = recent.get(m.account_id, (0, 0))
        so_far = debits if m.amount_minor < 0 else credits
        if _above_threshold(so_far + abs(m.amount_minor), m.currency):
            return VELOCITY
    return None


def approval_reasons_for_batch(
    *, actor: str, movements: list[list[Movement]], now: datetime | None = None
) -> list[str | None]:
    """``approval_reason`` for each operation of a batch, in order, the batch's earlier entries counted.

    The same two rules: an operation above the threshold needs approval, and so does one that takes what the
    maker moved on an account within the window (history plus the batch's entries before it) above it. The
    history is read once for every account of the batch.
    """
    window = velocity_window()
    ids = sorted({m.account_id for ops in movements for m in ops if m.account_id is not None})
    since = (now or timezone.now()) - window if window else None
    recent = actor_volumes(actor=actor, account_ids=ids, since=since) if window and ids else {}
    running = {pk: list(recent.get(pk, (0, 0))) for pk in ids}
    reasons: list[str | None] = []
    for ops in movements:
        if any(_above_threshold(abs(m.amount_minor), m.currency) for m in ops):
            reasons.append(THRESHOLD)
            continue
        reason = None
        if window:
            for m in ops:
                if m.account_id is None:
                    continue
                so_far = running[m.account_id][0 if m.amount_minor < 0 else 1]
                if _above_threshold(so_far + abs(m.amount_minor), m.currency):
                    reason = VELOCITY
                    break
        if reason is None:
            for m in ops:
                if m.account_id is not None:
                    running[m.account_id][0 if m.amount_minor < 0 else 1] += abs(m.amount_minor)
        reasons.append(reason)
    return reasons
