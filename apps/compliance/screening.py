"""Screen a name against the loaded sanctions lists: ``screen_name(name=..., ...) -> ScreeningResult``.

This is the one screening entry point: the API, ``manage.py screen``, and (later) customer onboarding and the
payment gateway's check registry call it. It reads only: nothing is written, no row is locked, so it is safe
inside or outside a transaction. The index lives in process memory (``apps.compliance.index``); a process checks
at most every ``QENEX_SCREENING_INDEX_CHECK_SECONDS`` whether a newer list load exists and then rebuilds it
(a load in this process drops it at once, see ``invalidate_index``).

Score: the name score of the entry's best-matching name (``apps.compliance.matching``), moved by the secondary
identifiers given (``apps.compliance.identifiers.IDENTIFIER_ADJUSTMENTS``) and clamped to 0..1. A hit is a
potential match when the score reaches the entry's threshold (``apps.compliance.thresholds``).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings

from apps.core.errors import InvalidInput

from . import selectors
from .identifiers import IDENTIFIER_ADJUSTMENTS, BirthDate, QueryBirthDate, compare_birth_dates, country_key
from .index import Candidate, IndexedEntry, ScreeningIndex
from .lists import ParsedList
from .matching import prepare
from .metrics import SCREENING_SECONDS, SCREENINGS_TOTAL
from .thresholds import Thresholds

MAX_NAME_LENGTH = 300
MAX_HITS = 10
MAX_IDENTIFIER_BOOST = IDENTIFIER_ADJUSTMENTS["date_of_birth_exact"] + IDENTIFIER_ADJUSTMENTS["nationality"]
BOUND_SLACK = 0.02  # query and listed weights of a pair can differ a little (a typo of a common name)
ENTITY_TYPES = ("individual", "entity")
ORGANISATION_TYPES = frozenset({"entity", "vessel", "aircraft"})


@dataclass(frozen=True)
class Hit:
    list: str
    entry_id: str
    matched_name: str
    score: float
    explanation: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "list": self.list,
            "entry_id": self.entry_id,
            "matched_name": self.matched_name,
            "score": self.score,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class ScreeningResult:
    decision: str  # "clear" or "potential_match"
    hits: list[Hit]

    @property
    def is_potential_match(self) -> bool:
        return self.decision == "potential_match"

    def as_dict(self) -> dict:
        return {"decision": self.decision, "hits": [h.as_dict() for h in self.hits]}


_lock = threading.Lock()
_index: ScreeningIndex | None = None
_checked_at = 0.0


@lru_cache(maxsize=4)
def _thresholds(text: str) -> Thresholds:
    return Thresholds.parse(text)


def _indexed_entry(code: str, entry, thresholds: Thresholds) -> IndexedEntry:
    """``entry``: a ``SanctionsEntry`` row or a parsed entry (same attribute names)."""
    return IndexedEntry(
        list_code=code,
        entry_id=entry.entry_id,
        entity_type=entry.entity_type,
        primary_name=entry.primary_name,
        programs=tuple(entry.programs),
        dates_of_birth=tuple(d for d in map(BirthDate.parse, entry.dates_of_birth) if d is not None),
        nationalities=frozenset(filter(None, map(country_key, entry.nationalities))),
        countries=frozenset(filter(None, map(country_key, entry.countries))),
        threshold=thresholds.for_entry(code, entry.programs),
    )


def build_index() -> ScreeningIndex:
    """Read every listed entry and name from the database into a new index."""
    version = selectors.lists_version()
    thresholds = _thresholds(settings.QENEX_SCREENING_THRESHOLDS)
    entries: list[IndexedEntry] = []
    position_of: dict[int, int] = {}
    for entry in selectors.listed_entries():
        position_of[entry.pk] = len(entries)
        entries.append(_indexed_entry(entry.sanctions_list.code, entry, thresholds))
    names = [(position_of[pk], kind, text) for pk, kind, text in selectors.listed_names() if pk in position_of]
    return ScreeningIndex.build(entries, names, version=version)


def index_from_parsed(lists: dict[str, ParsedList]) -> ScreeningIndex:
    """An index straight from parsed list files, without the database (tests, what-if checks of a new file)."""
    thresholds = _thresholds(settings.QENEX_SCREENING_THRESHOLDS)
    entries: list[IndexedEntry] = []
    names: list[tuple[int, str, str]] = []
    for code, parsed in sorted(lists.items()):
        for entry in parsed.entries:
            names += [(len(entries), n.kind, n.name) for n in entry.names]
            entries.append(_indexed_entry(code, entry, thresholds))
    return ScreeningIndex.build(entries, names)


def current_index() -> ScreeningIndex:
    """The process's index, rebuilt when a newer load exists (checked at most every few seconds)."""
    global _index, _checked_at
    now = time.monotonic()
    index = _index
    if index is not None and now - _checked_at < settings.QENEX_SCREENING_INDEX_CHECK_SECONDS:
        return index
    # While one thread checks or rebuilds, the others keep screening against the index they have.
    if not _lock.acquire(blocking=index is None):
        return index
    try:
        if _index is not None and time.monotonic() - _checked_at < settings.QENEX_SCREENING_INDEX_CHECK_SECONDS:
            return _index
        if _index is None or selectors.lists_version() != _index.version:
            _index = build_index()
        _checked_at = time.monotonic()
        return _index
    finally:
        _lock.release()


def invalidate_index() -> None:
    """Drop this process's index; the next screening rebuilds it (called after a list load commits)."""
    global _index
    with _lock:
        _index = None


def _clean_input(
    name: str, entity_type: str | None, country: str | None, date_of_birth
) -> tuple[str, str | None, str, QueryBirthDate | None]:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("a name to screen is required", field="name", code="missing_field")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"a name is at most {MAX_NAME_LENGTH} characters", field="name", code="name_too_long")
    if not prepare(name).tokens:
        raise InvalidInput("the name has no letters or digits to screen", field="name", code="invalid_name")
    if entity_type not in (None, "", *ENTITY_TYPES):
        raise InvalidInput(
            f"entity_type must be one of {', '.join(ENTITY_TYPES)}", field="entity_type", code="invalid_choice"
        )
    try:
        birth = QueryBirthDate.parse(date_of_birth)
    except (TypeError, ValueError):
        raise InvalidInput(
            "date_of_birth must be YYYY or YYYY-MM-DD", field="date_of_birth", code="invalid_date"
        ) from None
    if birth is not None and not 1850 <= birth.year <= dt.date.today().year:  # noqa: DTZ011 - a calendar year
        raise InvalidInput("date_of_birth is out of range", field="date_of_birth", code="invalid_date")
    country_text = (country or "").strip()
    if len(country_text) > 100:
        raise InvalidInput("country is at most 100 characters", field="country", code="invalid_country")
    return name, entity_type or None, country_key(country_text) if country_text else "", birth


def _explain(candidate: Candidate) -> list[dict]:
    scored = candidate.score
    items: list[dict] = [
        {"kind": m.kind, "query": m.query, "listed": m.listed, "similarity": round(m.similarity, 2)}
        for m in scored.matches
    ]
    if scored.reordered:
        items.append({"kind": "reordered", "query": "", "listed": "", "similarity": 1.0})
    items += [{"kind": "missing", "query": "", "listed": t, "similarity": 0.0} for t in scored.missing]
    items += [{"kind": "extra", "query": t, "listed": "", "similarity": 0.0} for t in scored.extra]
    if candidate.name.kind != "primary":
        items.append(
            {
                "kind": f"alias:{candidate.name.kind}",
                "query": "",
                "listed": candidate.entry.primary_name,
                "similarity": 1.0,
            }
        )
    return items


def _adjust(
    candidate: Candidate, entity_type: str | None, country: str, birth: QueryBirthDate | None
) -> tuple[float, list[dict]]:
    entry = candidate.entry
    delta, items = 0.0, []

    def adjust(kind: str, query: str, listed: str) -> None:
        nonlocal delta
        delta += IDENTIFIER_ADJUSTMENTS[kind]
        items.append({"kind": kind, "query": query, "listed": listed, "adjustment": IDENTIFIER_ADJUSTMENTS[kind]})

    if entity_type is not None:
        listed_organisation = entry.entity_type in ORGANISATION_TYPES
        if listed_organisation != (entity_type == "entity"):
            adjust("entity_type_differs", entity_type, entry.entity_type)
    if birth is not None and entry.dates_of_birth:
        outcome = compare_birth_dates(birth, entry.dates_of_birth)
        listed = ", ".join(_format_birth(d) for d in entry.dates_of_birth)
        adjust(
            {"exact": "date_of_birth_exact", "year": "year_of_birth"}.get(outcome, "date_of_birth_differs"),
            birth.text,
            listed,
        )
    if country:
        if country in entry.nationalities:
            adjust("nationality", country, country)
        elif country in entry.countries:
            adjust("country", country, country)
        elif entry.nationalities or entry.countries:
            adjust("country_differs", country, ", ".join(sorted(entry.nationalities | entry.countries)))
    return delta, items


def _format_birth(d: BirthDate) -> str:
    text = str(d.low_year) if d.low_year == d.high_year else f"{d.low_year}..{d.high_year}"
    if d.month:
        text += f"-{d.month:02d}"
        if d.day:
            text += f"-{d.day:02d}"
    return ("~" if d.approximate else "") + text


def screen_name(
    *,
    name: str,
    entity_type: str | None = None,
    country: str | None = None,
    date_of_birth: dt.date | str | None = None,
    max_hits: int = MAX_HITS,
) -> ScreeningResult:
    """Screen one name; hits at or above their threshold, best first. Raises ``InvalidInput`` on bad input."""
    started = time.perf_counter()
    result = screen_name_in(
        current_index(),
        name=name,
        entity_type=entity_type,
        country=country,
        date_of_birth=date_of_birth,
        max_hits=max_hits,
    )
    SCREENING_SECONDS.observe(time.perf_counter() - started)
    SCREENINGS_TOTAL.labels(result.decision).inc()
    return result


def screen_name_in(
    index: ScreeningIndex,
    *,
    name: str,
    entity_type: str | None = None,
    country: str | None = None,
    date_of_birth: dt.date | str | None = None,
    max_hits: int = MAX_HITS,
) -> ScreeningResult:
    """``screen_name`` against a given index."""
    name, entity_type, country_code, birth = _clean_input(name, entity_type, country, date_of_birth)
    query = prepare(name)
    hits: list[Hit] = []
    # Names that cannot reach the lowest threshold even with every identifier in favour are not scored.
    floor = index.lowest_threshold - MAX_IDENTIFIER_BOOST - BOUND_SLACK
    for candidate in index.best_per_entry(query, floor):
        delta, identifier_items = _adjust(candidate, entity_type, country_code, birth)
        score = round(min(1.0, max(0.0, candidate.score.score + delta)), 4)
        if score < candidate.entry.threshold:
            continue
        hits.append(
            Hit(
                list=candidate.entry.list_code,
                entry_id=candidate.entry.entry_id,
                matched_name=candidate.name.name.text,
                score=score,
                explanation=_explain(candidate) + identifier_items,
            )
        )
    hits.sort(key=lambda h: (-h.score, h.list, h.entry_id))
    return ScreeningResult(decision="potential_match" if hits else "clear", hits=hits[:max_hits])
