"""Name matching for sanctions screening: normalisation, token weights, token matches and the name score. No Django.

A name becomes tokens: transliterated to ASCII (anyascii: Cyrillic, Arabic, diacritics), lower case, apostrophes
dropped (``O'Brien`` -> ``obrien``), dotted abbreviations joined (``S.A.`` -> ``sa``), every other punctuation mark
and hyphen a separator (``AL-ZOMOR`` -> ``al zomor``; the joined ``alzomor`` still matches, see below). OFAC's
``SURNAME, Given Names`` is turned into the natural order, so a query in surname-first order is "reordered".

Each token has a weight: a legal-form or generic word (``ltd``, ``corp``, ``bank``; in a query also one
misspelt by an edit) 0.03, a particle (``al``,
``bin``, ``de``) 0.2, a common given name (``mohammed``, ``john``) 0.6, any other token 1.0. Two tokens match as

=========  =====  ==========================================================================================
exact      1.0    the same token
joined     1.0    one token is two adjacent tokens of the other name written together (hyphenation)
typo       0.9    one edit (insertion, deletion, substitution, transposition; tokens of 4+ letters)
phonetic   0.88   the same Metaphone key (initial vowels alike; 4+ letters): ``mohammed``/``muhammad``
typo       0.8    two edits (tokens of 7+ letters)
initial    0.9    a single letter and a token it starts (``O.`` / ``Oleksandr``)
=========  =====  ==========================================================================================

The tokens of a query and of a listed name are paired greedily, best pair first. The score is
``sum(weight * similarity of each pair) / (weight of the paired listed tokens + weight of listed tokens left
unpaired + weight of query tokens left unpaired)``. In a listed individual's name of three or more parts, a
part other than the first given name left out counts only ``MIDDLE_NAME_DROP`` of its weight, so a dropped
middle name, patronymic or second surname costs little; an extra query token costs its full weight.

A hit also needs at least one *distinctive* token (weight 1.0) matched as exact, joined, typo or phonetic: an
initial, a particle, a legal-form word or a common given name cannot make a hit alone. A listed name that has
no distinctive token (``ALI, Mohammed``) needs every token of both names paired.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
from anyascii import anyascii
from rapidfuzz.distance import OSA

STOP_WORD_WEIGHT = 0.03
PARTICLE_WEIGHT = 0.2
COMMON_GIVEN_NAME_WEIGHT = 0.6
DISTINCTIVE_WEIGHT = 1.0
INITIAL_QUERY_WEIGHT = 0.5
MIDDLE_NAME_DROP = 0.15
INITIAL_SIMILARITY = 0.9
TWO_EDIT_SIMILARITY = 0.8
TWO_EDIT_MIN_LENGTH = 7

# Legal forms and generic words of organisation names, as they are after normalisation.
STOP_WORDS = frozenset(
    """
    co company companies compania companhia cia corp corporation corporacion inc incorporated ltd limited ltda llc llp
    lp plc pllc sa sas sarl srl spa sl bv nv ag gmbh kg ohg oy ab as asa aps jsc ojsc pjsc cjsc ooo oao zao pao tov
    pt tbk pte pty bhd sdn fze fzco fzc fz lda kft zrt sro doo dd ad ead se ltda sac saic sae
    bank banco banca banque bankasi group grupo holding holdings international intl trading trade traders enterprise
    enterprises industries industrial industry services service general establishment est the and of for
    joint stock liability open closed public private society societe sociedad aktsionernoe obshchestvo
    ogranichennoi ogranichennoy otvetstvennostyu publichnoe zakrytoe otkrytoe
    """.split()
)
PARTICLES = frozenset("al el ul bin ibn bint ben abu um van von der den de del della da di du la le y".split())
# Given names so common that matching one says little; they still count, with less weight (see the docstring).
COMMON_GIVEN_NAMES = frozenset(
    """
    mohammad mohammed muhammad mohamed mohamad muhammed mohd ahmad ahmed ali hassan hasan hussein husain hussain
    abdul abdel abdallah abdullah abdulla omar umar ibrahim ismail yusuf youssef khalid mahmoud mahmud mustafa
    mostafa said saeed salem karim rashid hamid jamal nasser faisal osman usman tariq walid fatima aisha mariam
    maryam khadija john james robert michael william david richard joseph thomas charles christopher daniel paul
    mark george peter steven andrew kevin brian edward jose juan luis carlos jorge pedro miguel antonio manuel
    francisco javier maria ana carmen rosa elena laura sara anna marie mary patricia jennifer linda elizabeth
    susan jessica ivan sergei sergey vladimir alexander aleksandr alexei aleksei andrei andrey dmitri dmitry
    nikolai nikolay mikhail oleg yuri igor viktor olga tatiana natalia irina svetlana ekaterina yelena
    """.split()
)

# Romanisations that differ by more than an edit: Cyrillic "дж" (dzh) is English "j"; "х" (kh) is often "h".
_REWRITES = (("dzh", "j"), ("kh", "h"))
# Russian "ё" is romanised "yo" (Myong, Yousuf); anyascii writes "e".
_BEFORE_ASCII = str.maketrans({"ё": "yo", "Ё": "Yo"})
_APOSTROPHES = re.compile(r"['`\u2018\u2019\u02bc\u02b9]")
_SEPARATORS = re.compile(r"[^a-z0-9.]+")
_PHONETIC_VOWEL = frozenset("AEIOU")


@dataclass(frozen=True, slots=True)
class TokenMatch:
    """How one query token (or two, joined) met one listed token (or two)."""

    query: str
    listed: str
    kind: str  # exact, joined, typo, phonetic, initial
    similarity: float


@dataclass(frozen=True, slots=True)
class Name:
    """A name ready for matching: tokens in natural order and what each one weighs."""

    text: str
    tokens: tuple[str, ...]
    phonetic: tuple[str, ...]
    firsts: tuple[str, ...]  # the first letter of each token as written and as matched
    weights: tuple[float, ...]
    drop_weights: tuple[float, ...]  # what leaving each token out costs (less for middle names)
    joined: dict  # "alzomor" -> position of "al" (adjacent pairs written together)
    has_distinctive: bool


@dataclass(frozen=True, slots=True)
class NameScore:
    score: float
    matches: tuple[TokenMatch, ...]
    missing: tuple[str, ...]  # listed tokens the query does not have
    extra: tuple[str, ...]  # query tokens the listed name does not have
    reordered: bool
    enough: bool  # a distinctive token matched (or, for a name without one, everything matched)


def normalise_tokens(text: str) -> list[str]:
    """Return the tokens of ``text``: ASCII, lower case, no punctuation (see the module docstring)."""
    return [_rewrite(t) for t in _raw_tokens(text)]


def _raw_tokens(text: str) -> list[str]:
    text = _APOSTROPHES.sub("", anyascii((text or "").translate(_BEFORE_ASCII)).lower()).replace("&", " and ")
    tokens: list[str] = []
    for chunk in _SEPARATORS.split(text):
        parts = [p for p in chunk.split(".") if p]
        if len(parts) > 1 and all(len(p) == 1 for p in parts):
            tokens.append("".join(parts))  # S.A. -> sa, L.L.C. -> llc
        else:
            tokens.extend(parts)
    return tokens


def _rewrite(token: str) -> str:
    for old, new in _REWRITES:
        if old in token:
            token = token.replace(old, new)
    return token


def normalise(text: str) -> str:
    return " ".join(normalise_tokens(text))


@lru_cache(maxsize=65536)
def phonetic_key(token: str) -> str:
    """Metaphone, with every initial vowel written as A (``Oleksandr`` and ``Aleksandr`` sound alike)."""
    if token.isdigit():
        return ""
    key = jellyfish.metaphone(token)
    if key and key[0] in _PHONETIC_VOWEL:
        key = "A" + key[1:]
    return key


_LONG_STOP_WORDS = tuple(w for w in STOP_WORDS if len(w) >= 5)


@lru_cache(maxsize=65536)
def _misspelt_stop_word(token: str) -> bool:
    """A query token one edit from a legal-form word of 5+ letters (``LIABIILTY``) weighs as that word."""
    return len(token) >= 5 and any(OSA.distance(token, w, score_cutoff=1) <= 1 for w in _LONG_STOP_WORDS)


def token_weight(token: str, *, query: bool = False) -> float:
    if token in STOP_WORDS or (query and token not in COMMON_GIVEN_NAMES and _misspelt_stop_word(token)):
        return STOP_WORD_WEIGHT
    if token in PARTICLES:
        return PARTICLE_WEIGHT
    if token in COMMON_GIVEN_NAMES:
        return COMMON_GIVEN_NAME_WEIGHT
    return DISTINCTIVE_WEIGHT


def prepare(text: str, *, entity_type: str = "", listed: bool = False) -> Name:
    """Tokenise a name. For a listed individual ``SURNAME, Given Middle`` becomes ``Given Middle SURNAME``."""
    surname_part, given_part = text, ""
    if listed and entity_type == "individual" and text.count(",") == 1:
        surname_part, given_part = (p.strip() for p in text.split(","))
    raw = _raw_tokens(given_part) + _raw_tokens(surname_part)
    given, surname = normalise_tokens(given_part), normalise_tokens(surname_part)
    tokens = tuple(given + surname)
    # An initial is the first letter as written: "K." stands for Khaled, though "khaled" is matched as "haled".
    firsts = tuple("".join({r[0], t[0]}) for r, t in zip(raw, tokens, strict=True))
    weights = []
    for token in tokens:
        weight = token_weight(token, query=not listed)
        if not listed and len(token) == 1:
            weight = INITIAL_QUERY_WEIGHT
        weights.append(weight)
    drops = list(weights)
    if listed and entity_type == "individual" and len(tokens) >= 3:
        # Any part but the first given name may be left out at little cost: a middle name, a patronymic, one of
        # two surnames (``HERNANDEZ LECHUGA, Lucio`` is often just Lucio Lechuga). One part alone never hits.
        for i in range(1, len(tokens)):
            drops[i] = weights[i] * MIDDLE_NAME_DROP
    joined = {tokens[i] + tokens[i + 1]: i for i in range(len(tokens) - 1)}
    return Name(
        text=text,
        tokens=tokens,
        phonetic=tuple(phonetic_key(t) for t in tokens),
        firsts=firsts,
        weights=tuple(weights),
        drop_weights=tuple(drops),
        joined=joined,
        has_distinctive=any(w == DISTINCTIVE_WEIGHT for w in weights),
    )


def token_similarity(q: str, n: str, q_key: str, n_key: str, q_first: str = "", n_first: str = "") -> tuple[float, str]:
    """Best way two tokens match, as (similarity, kind); (0.0, "") when they do not."""
    if q == n:
        return 1.0, "exact"
    if len(q) == 1 or len(n) == 1:
        if q[0] == n[0] or (len(q) == 1 and q in n_first) or (len(n) == 1 and n in q_first):
            return INITIAL_SIMILARITY, "initial"
        return 0.0, ""
    shortest = min(len(q), len(n))
    edits = OSA.distance(q, n, score_cutoff=2) if shortest >= 4 else 3
    if edits == 1:
        return 0.9, "typo"
    if shortest >= 4 and q_key and q_key == n_key and len(q_key) >= 2:
        return 0.88, "phonetic"
    if edits == 2 and shortest >= TWO_EDIT_MIN_LENGTH:
        return TWO_EDIT_SIMILARITY, "typo"
    return 0.0, ""


def score_name(query: Name, listed: Name) -> NameScore:
    """Pair the tokens of ``query`` and ``listed`` and score the pairing (see the module docstring)."""
    pairs: list[tuple[float, int, int, str, int, int]] = []  # (sim, q_pos, n_pos, kind, q_len, n_len)
    listed_tokens = listed.tokens
    for qi, q in enumerate(query.tokens):
        if q in listed_tokens:
            # An exact pair is the best this token can get; the others need not be tried.
            pairs.extend((1.0, qi, ni, "exact", 1, 1) for ni, n in enumerate(listed_tokens) if n == q)
        else:
            q_key, q_first = query.phonetic[qi], query.firsts[qi]
            for ni, n in enumerate(listed_tokens):
                sim, kind = token_similarity(q, n, q_key, listed.phonetic[ni], q_first, listed.firsts[ni])
                if sim:
                    pairs.append((sim, qi, ni, kind, 1, 1))
        ni = listed.joined.get(q)
        if ni is not None:
            pairs.append((1.0, qi, ni, "joined", 1, 2))
    for pair, qi in query.joined.items():
        if pair in listed.tokens:
            pairs.append((1.0, qi, listed.tokens.index(pair), "joined", 2, 1))
    # Best pairs first; at equal similarity prefer joins (they pair more tokens) and then query order.
    pairs.sort(key=lambda p: (-p[0], -(p[4] + p[5]), p[1], p[2]))
    q_used = [False] * len(query.tokens)
    n_used = [False] * len(listed.tokens)
    matched: list[tuple[int, int, TokenMatch]] = []
    earned = 0.0
    paired_weight = 0.0
    enough = False
    for sim, qi, ni, kind, q_len, n_len in pairs:
        if any(q_used[qi : qi + q_len]) or any(n_used[ni : ni + n_len]):
            continue
        for k in range(qi, qi + q_len):
            q_used[k] = True
        for k in range(ni, ni + n_len):
            n_used[k] = True
        weight = sum(listed.weights[ni : ni + n_len])
        earned += weight * sim
        paired_weight += weight
        if kind != "initial" and max(listed.weights[ni : ni + n_len]) == DISTINCTIVE_WEIGHT:
            enough = True
        q_text = "".join(query.tokens[qi : qi + q_len])
        n_text = " ".join(listed.tokens[ni : ni + n_len])
        matched.append((qi, ni, TokenMatch(q_text, n_text, kind, sim)))
    missing_weight = sum(listed.drop_weights[i] for i, used in enumerate(n_used) if not used)
    extra_weight = sum(query.weights[i] for i, used in enumerate(q_used) if not used)
    denominator = paired_weight + missing_weight + extra_weight
    score = earned / denominator if denominator else 0.0
    if not listed.has_distinctive:
        enough = bool(matched) and all(n_used) and all(q_used) and all(m.kind != "initial" for *_, m in matched)
    matched.sort()
    listed_order = [ni for _, ni, _ in matched]
    return NameScore(
        score=score,
        matches=tuple(m for _, _, m in matched),
        missing=tuple(t for t, used in zip(listed.tokens, n_used, strict=True) if not used),
        extra=tuple(t for t, used in zip(query.tokens, q_used, strict=True) if not used),
        reordered=listed_order != sorted(listed_order),
        enough=enough,
    )
