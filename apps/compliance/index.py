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
from .matching import (
    COMMON_GIVEN_NAME_WEIGHT,
    DISTINCTIVE_WEIGHT,
    INITIAL_SIMILARITY,
    STOP_WORD_WEIGHT,
    TWO_EDIT_MIN_LENGTH,
    TWO_EDIT_SIMILARITY,
    Name,
    NameScore,
    prepare,
    score_name,
)

MIN_COVERAGE = 0.5
MAX_CANDIDATES = 40
FUZZY_KEY_FACTOR = 0.9
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
    keys.update("t" + joined for joined in joinable(name))
    if not keys:  # a name of only legal-form words and particles still needs a way in
        keys.update("t" + token for token in name.tokens)
    return keys


def joinable(name: Name) -> list[str]:
    """Adjacent pairs worth a key: no legal-form word or initial in them, one token that weighs (``al zomor``)."""
    pairs = []
    for joined, i in name.joined.items():
        weights = name.weights[i : i + 2]
        short = min(len(t) for t in name.tokens[i : i + 2]) == 1  # an initial
        if not short and min(weights) > STOP_WORD_WEIGHT and max(weights) >= COMMON_GIVEN_NAME_WEIGHT:
            pairs.append(joined)
    return pairs


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
        # drop_costs[name][n]: the least that leaving n of its tokens unpaired costs (cheapest tokens first)
        self.drop_costs: list[tuple[float, ...]] = []
        for indexed in names:
            cumulative, costs = 0.0, [0.0]
            for cost in sorted(indexed.name.drop_weights):
                cumulative += cost
                costs.append(cumulative)
            self.drop_costs.append(tuple(costs))
        self.lowest_threshold = min((e.threshold for e in entries), default=1.0)

    @classmethod
    def build(cls, entries: list[IndexedEntry], names: list[tuple[int, str, str]], version: tuple = ()):
        """``names``: (entry position, name kind, name text) triples."""
        prepared = [
            IndexedName(entry, kind, prepare(text, entity_type=entries[entry].entity_type, listed=True))
            for entry, kind, text in names
        ]
        return cls(entries, [n for n in prepared if n.name.tokens], version)

    def candidate_names(self, query: Name, floor: float = 0.0) -> list[int]:
        """Positions of the names worth scoring for ``query``, most promising first.

        ``floor``: skip a name whose best possible score is below it. The bound assumes every query token that
        reached the name pairs perfectly, one of them with two listed tokens, each query initial pairs a listed
        token, and the cheapest listed tokens are the ones left out: ``(reached weight + initials) / (query
        weight + initials + cost of the listed tokens that must stay unpaired)``, where the reached weight also
        counts, at the two-edit similarity, every query token long enough to pair two edits away (through no key).
        """
        usable = [i for i, w in enumerate(query.weights) if w >= COMMON_GIVEN_NAME_WEIGHT and len(query.tokens[i]) > 1]
        if not usable:  # only legal-form words, particles or initials: look them up as they are
            usable = [i for i, t in enumerate(query.tokens) if len(t) > 1]
        rank: dict[int, float] = defaultdict(float)  # exact keys count fully, fuzzy ones a little less
        reached: dict[int, float] = defaultdict(float)
        tokens_reached: dict[int, int] = defaultdict(int)
        distinctive: set[int] = set()
        total = 0.0
        for i in usable:
            token, weight = query.tokens[i], query.weights[i]
            total += weight
            exact = self.postings.get("t" + token, ())
            hit: set[int] = set()
            for key in query_keys(token, query.phonetic[i]):
                hit.update(self.postings.get(key, ()))
            fuzzy_weight = weight * FUZZY_KEY_FACTOR
            for position in hit:
                rank[position] += fuzzy_weight
                reached[position] += weight
                tokens_reached[position] += 1
            for position in exact:
                rank[position] += weight - fuzzy_weight
            if weight == DISTINCTIVE_WEIGHT:
                distinctive.update(hit)
        for joined in joinable(query):
            for position in self.postings.get("t" + joined, ()):
                rank[position] += DISTINCTIVE_WEIGHT
                reached[position] += DISTINCTIVE_WEIGHT
                tokens_reached[position] += 2
                distinctive.add(position)
        need = MIN_COVERAGE * total
        initials = sum(1 for t in query.tokens if len(t) == 1)  # they pair listed tokens without reaching them
        long_weight = sum(query.weights[i] for i in usable if len(query.tokens[i]) >= TWO_EDIT_MIN_LENGTH)
        query_has_distinctive = any(query.weights[i] == DISTINCTIVE_WEIGHT for i in usable) or bool(joinable(query))
        if initials and not query_has_distinctive:
            return []  # initials and common names: nothing such a query pairs can make a hit (matching docstring)
        chosen = []
        for position, weight in reached.items():
            if weight < need or not (position in distinctive or not query_has_distinctive or weight >= total):
                continue
            if floor:
                costs = self.drop_costs[position]
                unpaired = max(0, len(costs) - 1 - tokens_reached[position] - 1 - initials)
                # A long query token can still pair two edits away, through no key, while another token reached.
                reachable = min(total, weight + TWO_EDIT_SIMILARITY * long_weight)
                best = (reachable + INITIAL_SIMILARITY * initials) / (total + initials + costs[unpaired])
                if best < floor:
                    continue
            chosen.append((rank[position], position))
        chosen.sort(key=lambda c: (-c[0], c[1]))
        return [position for _, position in chosen[:MAX_CANDIDATES]]

    def best_per_entry(self, query: Name, floor: float = 0.0) -> list[Candidate]:
        """Score the candidate names (those that can reach ``floor``) and keep each entry's best-scoring name."""
        best: dict[int, Candidate] = {}
        for position in self.candidate_names(query, floor):
            indexed = self.names[position]
            scored = score_name(query, indexed.name)
            if not scored.enough:
                continue
            current = best.get(indexed.entry)
            if current is None or scored.score > current.score.score:
                best[indexed.entry] = Candidate(self.entries[indexed.entry], indexed, scored)
        return list(best.values())
