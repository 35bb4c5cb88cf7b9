"""Secondary identifiers: dates of birth and countries, compared between a query and a listed entry. No Django.

They move a name score up or down (``IDENTIFIER_ADJUSTMENTS``); they never make a hit on their own.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

import pycountry

from .matching import normalise

IDENTIFIER_ADJUSTMENTS = {
    "date_of_birth_exact": +0.05,  # the full date matches one of the listed dates
    "year_of_birth": +0.02,  # the year matches (or falls in a listed range / within 2 years of an approximate one)
    "date_of_birth_differs": -0.15,  # the entry lists dates of birth and none fits
    "nationality": +0.03,  # the country given is a listed nationality
    "country": +0.02,  # the country given is a listed address / birth country
    "country_differs": -0.05,  # the entry lists countries and the one given is none of them
    "entity_type_differs": -0.2,  # an individual asked, an organisation/vessel/aircraft listed, or the reverse
}
APPROXIMATE_YEARS = 2

# Names the lists use that ISO 3166 (pycountry) does not know.
_COUNTRY_ALIASES = {
    "russia": "RU",
    "burma": "MM",
    "korea north": "KP",
    "north korea": "KP",
    "korea south": "KR",
    "south korea": "KR",
    "democratic republic of the congo": "CD",
    "congo democratic republic of the": "CD",
    "republic of the congo": "CG",
    "turkey": "TR",
    "kosovo": "XK",
    "west bank": "PS",
    "gaza": "PS",
    "palestinian": "PS",
    "palestine": "PS",
    "laos": "LA",
    "vietnam": "VN",
    "czech republic": "CZ",
    "united states": "US",
    "macau": "MO",
    "macao": "MO",
    "taiwan": "TW",
    "moldova": "MD",
    "tanzania": "TZ",
    "ivory coast": "CI",
    "cote d ivoire": "CI",
    "syria": "SY",
    "iran": "IR",
    "venezuela": "VE",
    "bolivia": "BO",
    "united kingdom": "GB",
    "netherlands antilles": "AN",
}

_DATE = re.compile(r"^(~?)(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
_RANGE = re.compile(r"^(~?)(\d{4})\.\.(\d{4})$")


@lru_cache(maxsize=4096)
def country_key(text: str) -> str:
    """ISO 3166 alpha-2 for a country name or code (``Russia``, ``RUS``, ``ru``), else the normalised name."""
    name = normalise(text)
    if not name:
        return ""
    if name in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[name]
    try:
        return pycountry.countries.lookup(text.strip()).alpha_2
    except LookupError:
        return name


@dataclass(frozen=True, slots=True)
class BirthDate:
    """A listed date of birth: a full date, a year and month, a year, or a range of years; maybe approximate."""

    low_year: int
    high_year: int
    month: int | None = None
    day: int | None = None
    approximate: bool = False

    @classmethod
    def parse(cls, text: str) -> BirthDate | None:
        if found := _RANGE.match(text):
            return cls(int(found[2]), int(found[3]), approximate=bool(found[1]))
        if found := _DATE.match(text):
            year = int(found[2])
            return cls(
                year,
                year,
                month=int(found[3]) if found[3] else None,
                day=int(found[4]) if found[4] else None,
                approximate=bool(found[1]),
            )
        return None

    def compare(self, date: dt.date | None, year: int) -> str:
        """``exact``, ``year`` or ``differs`` for a query date (or only its year)."""
        slack = APPROXIMATE_YEARS if self.approximate else 0
        if not self.low_year - slack <= year <= self.high_year + slack:
            return "differs"
        if date is not None and self.day is not None and self.month is not None and not self.approximate:
            return "exact" if (date.month, date.day) == (self.month, self.day) else "differs"
        if date is not None and self.month is not None and self.day is None and date.month != self.month:
            return "differs"
        return "year"


@dataclass(frozen=True, slots=True)
class QueryBirthDate:
    date: dt.date | None
    year: int
    text: str

    @classmethod
    def parse(cls, value: dt.date | str | None) -> QueryBirthDate | None:
        """A date, or ``YYYY`` / ``YYYY-MM-DD`` text; ``None`` for nothing. Raises ValueError on anything else."""
        if value is None or value == "":
            return None
        if isinstance(value, dt.date):
            return cls(value, value.year, value.isoformat())
        text = str(value).strip()
        if re.fullmatch(r"\d{4}", text):
            return cls(None, int(text), text)
        return cls(dt.date.fromisoformat(text), int(text[:4]), text)


def compare_birth_dates(query: QueryBirthDate, listed: tuple[BirthDate, ...]) -> str:
    """Best outcome over the listed dates: ``exact`` > ``year`` > ``differs``; ``""`` when none is listed."""
    if not listed:
        return ""
    outcomes = {d.compare(query.date, query.year) for d in listed}
    for outcome in ("exact", "year"):
        if outcome in outcomes:
            return outcome
    return "differs"
