"""Customer risk rating from the rules as data (``RiskRule`` rows): points per matching rule, a band from the sum.

The bands and review periods are the bank's policy, kept here in one table: a high-risk customer is reviewed
every year and needs enhanced due diligence (EDD), medium every two years, low every three.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .models import RiskFactor, RiskRating

# The lowest score of each band, strictest first.
BANDS: tuple[tuple[str, int], ...] = ((RiskRating.HIGH, 50), (RiskRating.MEDIUM, 25), (RiskRating.LOW, 0))
REVIEW_MONTHS = {RiskRating.HIGH: 12, RiskRating.MEDIUM: 24, RiskRating.LOW: 36}


@dataclass(frozen=True)
class RuleRow:
    factor: str
    value: str
    points: int
    reason: str


@dataclass(frozen=True)
class Rating:
    rating: str
    score: int
    reasons: list[dict]

    @property
    def edd_required(self) -> bool:
        return self.rating == RiskRating.HIGH


def factor_values(
    *, residence_country: str, nationality: str, products: Iterable[str], pep: bool, industry: str, channel: str
) -> dict[str, set[str]]:
    """The values of each factor a customer has (a country factor matches residence or nationality)."""
    return {
        RiskFactor.COUNTRY: {c.upper() for c in (residence_country, nationality) if c},
        RiskFactor.PRODUCT: {p.upper() for p in products if p},
        RiskFactor.PEP: {"true"} if pep else set(),
        RiskFactor.INDUSTRY: {industry.lower()} if industry else set(),
        RiskFactor.CHANNEL: {channel.lower()} if channel else set(),
    }


def _normal(factor: str, value: str) -> str:
    return value.upper() if factor in (RiskFactor.COUNTRY, RiskFactor.PRODUCT) else value.lower()


def rate(rules: Iterable[RuleRow], values: dict[str, set[str]]) -> Rating:
    """Sum the points of every rule whose factor value the customer has; the band of the sum; the reasons."""
    reasons = [
        {"factor": r.factor, "value": r.value, "points": r.points, "reason": r.reason}
        for r in rules
        if _normal(r.factor, r.value) in values.get(r.factor, set())
    ]
    reasons.sort(key=lambda r: (-r["points"], r["factor"], r["value"]))
    score = sum(r["points"] for r in reasons)
    rating = next(band for band, lowest in BANDS if score >= lowest) if score >= 0 else RiskRating.LOW
    return Rating(rating=rating, score=score, reasons=reasons)


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for candidate in (day.day, 30, 29, 28):  # the 31st of a month that has none: its last day
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def next_review(rating: str, *, from_day: dt.date) -> dt.date:
    return add_months(from_day, REVIEW_MONTHS[rating])
