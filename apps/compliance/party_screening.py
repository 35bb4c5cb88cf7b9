"""Screen a party (a customer, a payment's debtor or creditor) with the officers' allow and block lists applied.

``screen_party`` reads only (it runs inside a payment's transaction): the lists' hits for the name, less those an
officer cleared for this party while the list entry is unchanged (allow list), plus a hit for a party on the
bank's block list. One query for the block list per screening; two more only when the lists answered a hit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from apps.core.errors import InvalidInput
from apps.security.blind_index import blind_index, blind_index_candidates

from .alert_models import BLOCK_LIST_CODE, PARTY_KEY_PURPOSE, AllowListEntry, BlockListEntry
from .index import ScreeningIndex
from .models import SanctionsEntry
from .screening import screen_name, screen_name_in


@dataclass(frozen=True)
class Party:
    role: str  # alert_models.PartyRole
    name: str
    country: str = ""
    entity_type: str | None = None  # "individual" | "entity"
    date_of_birth: str | dt.date | None = None


@dataclass(frozen=True)
class PartyHit:
    list: str
    entry_id: str
    matched_name: str
    score: float
    explanation: list[dict] = field(default_factory=list)
    entry_hash: str = ""


def party_key(name: str) -> str:
    """The blind index that says "the same counterparty" (alerts, allow and block lists share its purpose)."""
    return blind_index(value=name, purpose=PARTY_KEY_PURPOSE)


def party_keys(name: str) -> list[str]:
    """What a stored ``party_key`` of ``name`` may be (also the previous index key's digest during a re-key)."""
    return blind_index_candidates(value=name, purpose=PARTY_KEY_PURPOSE)


def current_entry_hashes(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(list code, entry id) -> content digest of the listed entries among ``pairs``."""
    if not pairs:
        return {}
    rows = SanctionsEntry.objects.filter(
        sanctions_list__code__in={p[0] for p in pairs}, entry_id__in={p[1] for p in pairs}, listed=True
    ).values_list("sanctions_list__code", "entry_id", "content_hash")
    return {(code, entry_id): digest for code, entry_id, digest in rows if (code, entry_id) in pairs}


def screen_party(party: Party, *, index: ScreeningIndex | None = None, block_list: bool = True) -> list[PartyHit]:
    """The hits an officer has to look at for ``party``: list hits not allow-listed, and a block-list hit."""
    try:
        kwargs = {"name": party.name, "entity_type": party.entity_type, "country": party.country or None}
        kwargs["date_of_birth"] = party.date_of_birth or None
        result = screen_name_in(index, **kwargs) if index is not None else screen_name(**kwargs)
        list_hits = result.hits
    except InvalidInput:
        list_hits = []  # nothing screenable in the name (no letters): no list can match it
    keys = party_keys(party.name)
    hits: list[PartyHit] = []
    if list_hits:
        pairs = {(h.list, h.entry_id) for h in list_hits}
        hashes = current_entry_hashes(pairs)
        allowed = {
            (code, entry_id, digest)
            for code, entry_id, digest in AllowListEntry.objects.filter(
                party_key__in=keys, revoked_at__isnull=True, entry_id__in={p[1] for p in pairs}
            ).values_list("list_code", "entry_id", "entry_hash")
        }
        for h in list_hits:
            digest = hashes.get((h.list, h.entry_id), "")
            if (h.list, h.entry_id, digest) in allowed:
                continue  # cleared for this party, and the entry is as it was then
            hits.append(PartyHit(h.list, h.entry_id, h.matched_name, h.score, h.explanation, digest))
    if block_list and keys:
        blocked = BlockListEntry.objects.filter(party_key__in=keys, revoked_at__isnull=True).values_list(
            "public_id", "reason"
        )
        for public_id, reason in blocked[:1]:
            hits.insert(
                0,
                PartyHit(
                    BLOCK_LIST_CODE,
                    public_id,
                    "(block list)",
                    1.0,
                    [{"kind": "block_list", "query": "", "listed": "", "similarity": 1.0, "reason": reason}],
                ),
            )
    return hits
