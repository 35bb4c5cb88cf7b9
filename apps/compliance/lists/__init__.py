"""Parsers of the official list files, no database: each returns ``ParsedEntry`` values."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field


class ListFileError(ValueError):
    """The file is not a list of the format asked for (unreadable, wrong columns, not the XML expected)."""


@dataclass
class ParsedName:
    kind: str  # apps.compliance.models.NameKind
    name: str


@dataclass
class ParsedEntry:
    entry_id: str
    entity_type: str  # apps.compliance.models.EntityType
    primary_name: str
    names: list[ParsedName] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    dates_of_birth: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    remarks: str = ""

    def content_hash(self) -> str:
        """Digest of everything a reload compares, so a change in any field shows as changed."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass
class ParsedList:
    entries: list[ParsedEntry]
    sources: list[str]
    sha256: str
    published: str = ""
    warnings: list[str] = field(default_factory=list)


def unique(values) -> list[str]:
    """Keep the first of each value, in order, without blanks."""
    seen: dict[str, None] = {}
    for value in values:
        value = " ".join((value or "").split())
        if value and value not in seen:
            seen[value] = None
    return list(seen)
