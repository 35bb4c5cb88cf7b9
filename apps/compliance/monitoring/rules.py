"""One evaluator per rule kind. Each reads the history it needs and returns its findings; none writes.

An evaluator is ``fn(params, trigger) -> list[Finding]`` where the trigger is a ``Movement`` (a posted transaction
from one customer's side) or a ``PaymentSeen``; an evaluator that does not apply to the trigger returns ``[]``.
Windows end at the trigger's own time, so evaluating the same transaction again (the sweep catching up) finds the
same thing, and the finding's ``dedupe_key`` makes it one alert.

Amounts in parameters are decimal strings in major units of the transaction's currency, except
``cash_over_threshold``'s threshold, which is US dollars (the CTR's, all currencies converted); a threshold left out
is ``compliance.aml_threshold``. Defaults (``DEFAULTS``) fill what a rule's parameters leave out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from apps.core.money import currency_exponent, format_amount

from ..aml_models import RuleKind
from ..reports import usd
from . import movements as mv
from .movements import Movement, PaymentSeen


@dataclass(frozen=True)
class Finding:
    owner_id: str
    summary: str
    dedupe_key: str
    transactions: list[str]
    figures: dict[str, Any] = field(default_factory=dict)
    account: str = ""


# FATF "call for action" jurisdictions (DPRK, Iran, Myanmar); officers add the grey list or their own in the admin.
DEFAULT_HIGH_RISK_COUNTRIES = ["KP", "IR", "MM"]

DEFAULTS: dict[str, dict[str, Any]] = {
    RuleKind.CASH_OVER_THRESHOLD: {"threshold": None, "timezone": None},
    RuleKind.STRUCTURING: {"threshold": None, "lower_percent": 80, "min_count": 3, "window_days": 3},
    RuleKind.RAPID_MOVEMENT: {"hours": 24, "min_amount": "5000", "out_percent": 80},
    RuleKind.VELOCITY: {"window_minutes": 60, "max_count": 10},
    RuleKind.HIGH_RISK_COUNTRY: {"countries": DEFAULT_HIGH_RISK_COUNTRIES, "hold_payment": True},
    RuleKind.DORMANT_ACTIVITY: {"dormant_days": 180, "min_amount": "1000"},
    RuleKind.ROUND_AMOUNTS: {"multiple": "1000", "min_amount": "3000", "min_count": 3, "window_days": 7},
    RuleKind.EXPECTED_ACTIVITY: {"window_days": 30, "multiple_of_expected": 3},
    # Informational by default: a first large payment to a new payee is ordinary business (the seed's own example
    # sends 50,000 to one), and holding each would queue it for a four-eyes release; officers switch it on.
    RuleKind.NEW_COUNTERPARTY_LARGE: {"min_amount": "10000", "lookback_days": 365, "hold_payment": False},
    RuleKind.SANCTIONS_MATCH: {},
}


def merged(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    return {**DEFAULTS.get(kind, {}), **(params or {})}


def _minor(amount: object, currency: str) -> int:
    """Major units (decimal string or number) to minor units of ``currency``; fractions of a minor unit round up."""
    scaled = Decimal(str(amount)).scaleb(currency_exponent(currency))
    return int(scaled.to_integral_value(rounding="ROUND_CEILING"))


def threshold_minor(params: dict[str, Any], currency: str) -> int:
    threshold = params.get("threshold")
    if threshold in (None, ""):
        threshold = settings.QENEX["compliance"]["aml_threshold"]
    return _minor(threshold, currency)


def _fmt(minor: int, currency: str) -> str:
    return format_amount(minor, currency)


def business_day(moment, params: dict[str, Any]):
    """The bank's business day of a moment: its date in the rule's time zone (the settings' TIME_ZONE by default)."""
    return moment.astimezone(ZoneInfo(params.get("timezone") or settings.TIME_ZONE)).date()


def cash_over_threshold(params: dict[str, Any], m: Movement | PaymentSeen) -> list[Finding]:
    """Cash in (or cash out) of one customer on one business day, over all their accounts and every currency, in US
    dollars above the threshold (a USD amount): the CTR's own aggregation and conversion (``reports.usd``).

    Cash in a currency with no USD rate that day cannot be converted: it is left out of the USD total (as the CTR
    does) and, so that a missing rate never blinds the rule, compared on its own against the threshold read as an
    amount of that currency; such a finding says so (``no_usd_rate``).
    """
    if not isinstance(m, Movement) or not m.cash:
        return []
    tz = ZoneInfo(params.get("timezone") or settings.TIME_ZONE)
    day = business_day(m.posted_at, params)
    start = m.posted_at.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    same = [
        x
        for x in mv.movements_of_owner(owner_id=m.owner_id, since=start, until=m.posted_at)
        if x.cash and x.direction == m.direction and business_day(x.posted_at, params) == day
    ]
    rates, _missing = usd.rates_of_day({x.currency for x in same}, day)
    totals = usd.cash_totals_usd(same, rates)
    what = "cash in" if m.direction == "in" else "cash out"
    common = {"business_day": day.isoformat(), "direction": m.direction}
    limit = threshold_minor(params, usd.USD)
    total = totals.usd_minor[m.direction]
    if m.currency in rates:
        if total <= limit:
            return []
        counted = [x for x in same if x.currency in rates]
        return [
            Finding(
                owner_id=m.owner_id,
                summary=f"{what} {_fmt(total, usd.USD)} USD on {day} over {len(counted)} transaction(s), "
                f"above the CTR threshold {_fmt(limit, usd.USD)} USD",
                # The key of the rule before it converted (one per currency): a USD-only day keeps its key.
                dedupe_key=f"{m.owner_id}:{day}:{m.direction}:{usd.USD}",
                transactions=[x.transaction for x in counted],
                figures={
                    **common,
                    "currency": usd.USD,
                    "total": _fmt(total, usd.USD),
                    "threshold": _fmt(limit, usd.USD),
                    "count": len(counted),
                    "accounts": sorted({x.account for x in counted}),
                    "converted": totals.by_currency,
                    "unconverted": sorted({c for c, _ in totals.unconverted}),
                },
            )
        ]
    native = totals.unconverted[(m.currency, m.direction)]
    native_limit = threshold_minor(params, m.currency)
    if native <= native_limit:
        return []
    counted = [x for x in same if x.currency == m.currency]
    return [
        Finding(
            owner_id=m.owner_id,
            summary=f"{what} {_fmt(native, m.currency)} {m.currency} on {day} over {len(counted)} transaction(s), "
            f"above the threshold read as {_fmt(native_limit, m.currency)} {m.currency}: no {m.currency}/USD rate "
            "in force that day",
            dedupe_key=f"{m.owner_id}:{day}:{m.direction}:{m.currency}",
            transactions=[x.transaction for x in counted],
            figures={
                **common,
                "currency": m.currency,
                "total": _fmt(native, m.currency),
                "threshold": _fmt(native_limit, m.currency),
                "count": len(counted),
                "accounts": sorted({x.account for x in counted}),
                "no_usd_rate": True,
            },
        )
    ]


def structuring(params: dict[str, Any], m: Movement | PaymentSeen) -> list[Finding]:
    """Several cash deposits, each just under the threshold (lower_percent..100 % of it), within window_days."""
    if not isinstance(m, Movement) or not m.cash or m.direction != "in":
        return []
    limit = threshold_minor(params, m.currency)
    floor = limit * int(params["lower_percent"]) // 100

    def just_under(x: Movement) -> bool:
        return x.cash and x.direction == "in" and floor <= x.amount_minor <= limit

    if not just_under(m):
        return []
    since = m.posted_at - timedelta(days=float(params["window_days"]))
    found = [
        x
        for x in mv.movements_of_owner(owner_id=m.owner_id, since=since, until=m.posted_at, currency=m.currency)
        if just_under(x)
    ]
    if len(found) < int(params["min_count"]):
        return []
    total = sum(x.amount_minor for x in found)
    return [
        Finding(
            owner_id=m.owner_id,
            summary=f"{len(found)} cash deposits of {_fmt(floor, m.currency)}-{_fmt(limit, m.currency)} "
            f"{m.currency} within {params['window_days']} day(s), {_fmt(total, m.currency)} in all",
            dedupe_key=f"{m.owner_id}:{m.currency}:{found[0].transaction}",
            transactions=[x.transaction for x in found],
            figures={
                "count": len(found),
                "total": _fmt(total, m.currency),
                "currency": m.currency,
                "band": [_fmt(floor, m.currency), _fmt(limit, m.currency)],
                "window_days": params["window_days"],
                "amounts": [_fmt(x.amount_minor, m.currency) for x in found],
            },
        )
    ]


def rapid_movement(params: dict[str, Any], m: Movement | PaymentSeen) -> list[Finding]:
    """Money in to an account and (most of it) out again within ``hours``."""
    if not isinstance(m, Movement) or m.direction != "out":
        return []
    since = m.posted_at - timedelta(hours=float(params["hours"]))
    window = mv.movements_of_owner(
        owner_id=m.owner_id, since=since, until=m.posted_at, account=m.account, currency=m.currency
    )
    ins = [x for x in window if x.direction == "in"]
    outs = [x for x in window if x.direction == "out" and (not ins or x.posted_at >= ins[0].posted_at)]
    total_in, total_out = sum(x.amount_minor for x in ins), sum(x.amount_minor for x in outs)
    if not ins or total_in < _minor(params["min_amount"], m.currency):
        return []
    if total_out * 100 < total_in * int(params["out_percent"]):
        return []
    return [
        Finding(
            owner_id=m.owner_id,
            account=m.account,
            summary=f"{_fmt(total_in, m.currency)} {m.currency} in and {_fmt(total_out, m.currency)} out of "
            f"{m.account} within {params['hours']} hour(s)",
            dedupe_key=f"{m.account}:{ins[0].transaction}",
            transactions=[x.transaction for x in ins + outs],
            figures={
                "in": _fmt(total_in, m.currency),
                "out": _fmt(total_out, m.currency),
                "currency": m.currency,
                "hours": params["hours"],
                "out_percent": round(total_out * 100 / total_in, 1),
            },
        )
    ]


def velocity(params: dict[str, Any], m: Movement | PaymentSeen) -> list[Finding]:
    """More than ``max_count`` transactions of one customer within ``window_minutes``."""
    if not isinstance(m, Movement):
        return []
    since = m.posted_at - timedelta(minutes=float(params["window_minutes"]))
    window = mv.movements_of_owner(owner_id=m.owner_id, since=since, until=m.posted_at)
    if len(window) <= int(params["max_count"]):
        return []
    return [
        Finding(
            owner_id=m.owner_id,
            summary=f"{len(window)} transactions within {params['window_minutes']} minute(s) "
            f"(more than {params['max_count']})",
            dedupe_key=f"{m.owner_id}:{window[0].transaction}",
            transactions=[x.transaction for x in window],
            figures={
                "count": len(window),
                "max_count": params["max_count"],
                "window_minutes": params["window_minutes"],
            },
        )
    ]


def high_risk_country(params: dict[str, Any], p: Movement | PaymentSeen) -> list[Finding]:
    """A payment whose creditor, or the creditor's bank (the BIC's country), is in a high-risk country."""
    if not isinstance(p, PaymentSeen):
        return []
    countries = {str(c).upper() for c in params["countries"]}
    hits = sorted({c for c in (p.creditor_country, p.bic_country) if c and c in countries})
    if not hits:
        return []
    return [
        Finding(
            owner_id=p.owner_id,
            account=p.account,
            summary=f"payment of {_fmt(p.amount_minor, p.currency)} {p.currency} to a high-risk country "
            f"({', '.join(hits)})",
            dedupe_key=f"payment:{p.payment}",
            transactions=[p.payment],
            figures={
                "countries": hits,
                "creditor_country": p.creditor_country,
                "bic_country": p.bic_country,
                "amount": _fmt(p.amount_minor, p.currency),
                "currency": p.currency,
            },
        )
    ]


def dormant_activity(params: dict[str, Any], m: Movement | PaymentSeen) -> list[Finding]:
    """An account older than ``dormant_days`` with no movement in that time moves ``min_amount`` or more."""
    if not isinstance(m, Movement) or m.amount_minor < _minor(params["min_amount"], m.currency):
        return []
    quiet_since = m.posted_at - timedelta(days=float(params["dormant_days"]))
    if m.account_created_at > quiet_since:
        return []
    last = mv.last_movement_before(account=m.account, before=m.posted_at, exclude=m.transaction)
    if last is not None and last > quiet_since:
        return []
    return [
        Finding(
            owner_id=m.owner_id,
            account=m.account,
            summary=f"{_fmt(m.amount_minor, m.currency)} {m.currency} on {m.account}, quiet since "
            f"{(last or m.account_created_at).date()} (more than {params['dormant_days']} days)",
            dedupe_key=f"{m.account}:{m.transaction}",
            transactions=[m.transaction],
            figures={
                "amount": _fmt(m.amount_minor, m.currency),
                "currency": m.currency,
                "last_movement": last.isoformat() if last else None,
                "dormant_days": params["dormant_days"],
            },
        )
    ]


def round_amounts(params: dict[str, Any], m: Movement | PaymentSeen) -> list[Finding]:
    """At least ``min_count`` transactions of exact multiples of ``multiple`` (each >= min_amount) in the window."""
    if not isinstance(m, Movement):
        return []
    multiple, floor = _minor(params["multiple"], m.currency), _minor(params["min_amount"], m.currency)

    def is_round(x: Movement) -> bool:
        return x.amount_minor >= floor and multiple > 0 and x.amount_minor % multiple == 0

    if not is_round(m):
        return []
    since = m.posted_at - timedelta(days=float(params["window_days"]))
    found = [
        x
        for x in mv.movements_of_owner(owner_id=m.owner_id, since=since, until=m.posted_at, currency=m.currency)
        if is_round(x)
    ]
    if len(found) < int(params["min_count"]):
        return []
    return [
        Finding(
            owner_id=m.owner_id,
            summary=f"{len(found)} round amounts (multiples of {params['multiple']} {m.currency}) within "
            f"{params['window_days']} day(s)",
            dedupe_key=f"{m.owner_id}:{m.currency}:{found[0].transaction}",
            transactions=[x.transaction for x in found],
            figures={"count": len(found), "amounts": [_fmt(x.amount_minor, m.currency) for x in found]},
        )
    ]


def expected_activity(params: dict[str, Any], m: Movement | PaymentSeen) -> list[Finding]:
    """What a customer moved in ``window_days`` is over ``multiple_of_expected`` x their stated monthly activity.

    Passes while the customer's expected activity is unknown (``party_for_owner`` gives none).
    """
    if not isinstance(m, Movement):
        return []
    from ..parties import party_for_owner

    party = party_for_owner(m.owner_id)
    expected = party.expected_monthly_minor
    if not expected or (party.expected_currency and party.expected_currency != m.currency):
        return []
    since = m.posted_at - timedelta(days=float(params["window_days"]))
    window = mv.movements_of_owner(owner_id=m.owner_id, since=since, until=m.posted_at, currency=m.currency)
    total = sum(x.amount_minor for x in window)
    limit = expected * Decimal(str(params["multiple_of_expected"]))
    if total <= limit:
        return []
    return [
        Finding(
            owner_id=m.owner_id,
            summary=f"{_fmt(total, m.currency)} {m.currency} in {params['window_days']} days against an expected "
            f"{_fmt(expected, m.currency)} a month",
            dedupe_key=f"{m.owner_id}:{m.currency}:{window[0].transaction}",
            transactions=[x.transaction for x in window],
            figures={"total": _fmt(total, m.currency), "expected_monthly": _fmt(expected, m.currency)},
        )
    ]


def new_counterparty_large(params: dict[str, Any], t: Movement | PaymentSeen) -> list[Finding]:
    """``min_amount`` or more to a counterparty the customer has not paid within ``lookback_days``."""
    since_days = timedelta(days=float(params["lookback_days"]))
    if isinstance(t, PaymentSeen):
        if t.amount_minor < _minor(params["min_amount"], t.currency) or not t.counterparty_key:
            return []
        if mv.paid_payment_counterparty_before(payment=t, since=t.created_at - since_days):
            return []
        ref, amount, currency, owner, account = t.payment, t.amount_minor, t.currency, t.owner_id, t.account
    else:
        if t.direction != "out" or not t.counterparty or t.amount_minor < _minor(params["min_amount"], t.currency):
            return []
        if mv.paid_counterparty_before(
            owner_id=t.owner_id, counterparty=t.counterparty, since=t.posted_at - since_days, exclude=t.transaction
        ):
            return []
        ref, amount, currency, owner, account = t.transaction, t.amount_minor, t.currency, t.owner_id, t.account
    return [
        Finding(
            owner_id=owner,
            account=account,
            summary=f"{_fmt(amount, currency)} {currency} to a counterparty not paid in the last "
            f"{params['lookback_days']} days",
            dedupe_key=f"{ref}",
            transactions=[ref],
            figures={"amount": _fmt(amount, currency), "currency": currency, "min_amount": params["min_amount"]},
        )
    ]


Evaluator = Callable[[dict[str, Any], Any], list[Finding]]
EVALUATORS: dict[str, Evaluator] = {
    RuleKind.CASH_OVER_THRESHOLD: cash_over_threshold,
    RuleKind.STRUCTURING: structuring,
    RuleKind.RAPID_MOVEMENT: rapid_movement,
    RuleKind.VELOCITY: velocity,
    RuleKind.HIGH_RISK_COUNTRY: high_risk_country,
    RuleKind.DORMANT_ACTIVITY: dormant_activity,
    RuleKind.ROUND_AMOUNTS: round_amounts,
    RuleKind.EXPECTED_ACTIVITY: expected_activity,
    RuleKind.NEW_COUNTERPARTY_LARGE: new_counterparty_large,
    RuleKind.SANCTIONS_MATCH: lambda parameters, trigger: [],  # its alerts come from officers' decisions
}
# Kinds that look at payments (the others look at posted transactions).
PAYMENT_KINDS = frozenset({RuleKind.HIGH_RISK_COUNTRY, RuleKind.NEW_COUNTERPARTY_LARGE})


def holds_payment(kind: str, params: dict[str, Any]) -> bool:
    """Does a hit of this rule stop the outbound payment it fired on (HELD, its funds reserved, until decided)?

    Only the real-time payment kinds can: they are evaluated inside the payment's own check, before any money
    leaves, so the hit can still stop it; ``hold_payment`` (rule data) says whether it does. Every other kind is
    after the fact and stays informational (an alert in the case, nothing held): the posting rules run after the
    posting has committed (the money has moved), and the windowed ones (velocity, round amounts, expected
    activity, a day's cash) are patterns over history that the sweep sees minutes or a business day later.
    """
    return kind in PAYMENT_KINDS and bool(merged(kind, params).get("hold_payment"))


def validate_parameters(kind: str, params: dict[str, Any]) -> list[str]:
    """Problems with a rule's parameters (unknown names, amounts that are not numbers); empty when fine."""
    problems = []
    if not isinstance(params, dict):
        return ["parameters must be a JSON object"]
    known = DEFAULTS.get(kind, {})
    for name, value in params.items():
        if name not in known:
            problems.append(f"unknown parameter {name!r} for {kind}; known: {', '.join(sorted(known))}")
            continue
        if name in ("threshold", "timezone") and value in (None, ""):
            continue
        if name == "hold_payment":
            if not isinstance(value, bool):
                problems.append("hold_payment must be true or false")
        elif name == "countries":
            if not isinstance(value, list) or not all(isinstance(c, str) and len(c) == 2 for c in value):
                problems.append("countries must be a list of ISO 3166 alpha-2 codes")
        elif name == "timezone":
            try:
                ZoneInfo(str(value))
            except Exception:  # noqa: BLE001 - any failure means the name is unusable
                problems.append(f"unknown time zone {value!r}")
        else:
            try:
                number = Decimal(str(value))
            except Exception:  # noqa: BLE001
                problems.append(f"{name} must be a number")
                continue
            if not number.is_finite() or number < 0:
                problems.append(f"{name} must be zero or more")
    return problems
