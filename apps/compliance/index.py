"""The in-memory screening index: every listed name, and a blocking index from keys to names. No Django.

Keys of a listed token (only tokens that weigh at least a common given name, see ``matching.token_weight``):
``t<token>``, ``p<phonetic key>``, and ``d<token less one letter>`` for each letter of a token of 4+ letters
(the SymSpell deletion neighbourhood: a query token one edit away shares a key). Two adjacent tokens written
together are a ``t`` key too (``alzomor`` for ``AL-ZOMOR``). A query looks up the same keys for its tokens, so
it touches only the names that share a token, a sound or a one-edit neighbour, never the whole list.

A candidate must be reached by query tokens carrying at least ``MIN_COVERAGE`` of the query's weight, and by a
distinctive query token when the query has one; the best ``MAX_CANDIDATES`` by that weight are scored.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .identifiers import BirthDate
from .matching import COMMON_GIVEN_NAME_WEIGHT, DISTINCTIVE_WEIGHT, Name, NameScore, prepare, score_name

MIN_COVERAGE = 0.5
MAX_CANDIDATES = 60
DELETE_MIN_LENGTH = 4


@dataclass(frozen=True, slots=True)
class IndexedEntry:
    list_code: str
    entry_id: str
    entity_type: str
    primary_name: str
    programs: tuple[str, ...]
    dates_of_birth: tuple[BirthDate, ...]
    nationalities: frozenset[str]  # identifiers.country_key values
    countries: frozenset[str]
    threshold: float


@dataclass(frozen=True, slots=True)
class IndexedName:
    entry: int  # position in ScreeningIndex.entries
    kind: str  # models.NameKind
    name: Name


@dataclass(frozen=True, slots=True)
class Candidate:
    entry: IndexedEntry
    name: IndexedName
    score: NameScore


def _deletes(token: str) -> set[str]:
    return {token[:i] + token[i + 1 :] for i in range(len(token))} if len(token) >= DELETE_MIN_LENGTH else set()


def listed_keys(name: Name) -> set[str]:
    keys: set[str] = set()
    for token, key, weight in zip(name.tokens, name.phonetic, name.weights, strict=True):
        if weight < COMMON_GIVEN_NAME_WEIGHT:
            continue
        keys.add("t" + token)
        if len(key) >= 2:
            keys.add("p" + key)
        keys.update("d" + d for d in _deletes(token))
    keys.update("t" + joined for joined in name.joined)
    if not keys:  # a name of only legal-form words and particles still needs a way in
        keys.update("t" + token for token in name.tokens)
    return keys


def query_keys(token: str, key: str) -> set[str]:
    keys = {"t" + token, "d" + token}
    if len(key) >= 2:
        keys.add("p" + key)
    for d in _deletes(token):
        keys.add("t" + d)
        keys.add("d" + d)
    return keys


class ScreeningIndex:
    """Listed names and the blocking keys that lead to them; read-only once built, shared by threads."""

    def __init__(self, entries: list[IndexedEntry], names: list[IndexedName], version: tuple = ()):
        self.entries = entries
        self.names = names
        self.version = version
        postings: dict[str, list[int]] = defaultdict(list)
        for position, indexed in enumerate(names):
            for key in listed_keys(indexed.name):
                postings[key].append(position)
        self.postings = dict(postings)

    @classmethod
    def build(cls, entries: list[IndexedEntry], names: list[tuple[int, str, str]], version: tuple = ()):
        """``names``: (entry position, name kind, name text) triples."""
        prepared = [
            IndexedName(entry, kind, prepare(text, entity_type=entries[entry].entity_type, listed=True))
            for entry, kind, text in names
        ]
        return cls(entries, [n for n in prepared if n.name.tokens], version)

    def candidate_names(self, query: Name) -> list[int]:
        """Positions of the names worth scoring for ``query``, most promising first."""
        usable = [i for i, w in enumerate(query.weights) if w >= COMMON_GIVEN_NAME_WEIGHT and len(query.tokens[i]) > 1]
        if not usable:  # only legal-form words, particles or initials: look them up as they are
            usable = [i for i, t in enumerate(query.tokens) if len(t) > 1]
        reached: dict[int, float] = defaultdict(float)
        distinctive: set[int] = set()
        total = 0.0
        for i in usable:
            token, weight = query.tokens[i], query.weights[i]
            total += weight
            hit: set[int] = set()
            for key in query_keys(token, query.phonetic[i]):
                hit.update(self.postings.get(key, ()))
            for position in hit:
                reached[position] += weight
            if weight == DISTINCTIVE_WEIGHT:
                distinctive.update(hit)
        for joined in query.joined:
            for position in self.postings.get("t" + joined, ()):
                reached[position] += DISTINCTIVE_WEIGHT
                distinctive.add(position)
        need = MIN_COVERAGE * total
        query_has_distinctive = any(query.weights[i] == DISTINCTIVE_WEIGHT for i in usable) or bool(query.joined)
        chosen = [
            (weight, position)
            for position, weight in reached.items()
            if weight >= need and (position in distinctive or not query_has_distinctive or weight >= total)
        ]
        chosen.sort(key=lambda c: (-c[0], c[1]))
        return [position for _, position in chosen[:MAX_CANDIDATES]]

    def best_per_entry(self, query: Name) -> list[Candidate]:
        """Score the candidate names and keep each entry's best-scoring name."""
        best: dict[int, Candidate] = {}
        for position in self.candidate_names(query):
            indexed = self.names[position]
            scored = score_name(query, indexed.name)
            if not scored.enough:
                continue
            current = best.get(indexed.entry)
            if current is None or scored.score > current.score.score:
                best[indexed.entry] = Candidate(self.entries[indexed.entry], indexed, scored)
        return list(best.values())
