"""Writes of the sanctions lists: load a list file as the new version of its list.

``sanctions_list_load`` parses the file first (no transaction open), then in one durable transaction locks the
list's row (so two loads of one list queue), compares each entry's content digest with what is stored, writes
the new, changed and delisted entries, and records the load and its counts in the audit trail (last write).
Loading the file that is already the list's newest load changes nothing and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from apps.audit.services import audit_record
from apps.core.errors import InvalidInput

from .lists import ListFileError, ParsedEntry, ParsedList
from .lists.ofac import parse_ofac
from .lists.un import parse_un
from .matching import normalise
from .models import ListCode, SanctionsEntry, SanctionsList, SanctionsListLoad, SanctionsName
from .screening import invalidate_index

PARSERS: dict[str, Callable[[Path], ParsedList]] = {ListCode.OFAC_SDN: parse_ofac, ListCode.UN: parse_un}
BATCH = 1000


class ListFileInvalid(InvalidInput):
    code = "invalid_list_file"


@dataclass
class LoadReport:
    list_code: str
    load_id: int | None  # None: the file is the newest load already, nothing was written
    entries: int
    names: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    @property
    def is_noop(self) -> bool:
        return self.load_id is None


def parse_list_file(*, list_code: str, path: str | Path) -> ParsedList:
    """Parse a list file with its list's parser; ``ListFileInvalid`` (400) when it is not such a file."""
    parser = PARSERS.get(list_code)
    if parser is None:
        raise InvalidInput(
            f"unknown list {list_code!r}; known: {', '.join(sorted(PARSERS))}", field="list", code="unknown_list"
        )
    try:
        return parser(Path(path))
    except ListFileError as exc:
        raise ListFileInvalid(str(exc), field="path") from None


ENTRY_FIELDS = (
    "entity_type", "primary_name", "programs", "dates_of_birth", "nationalities", "countries", "remarks", "content_hash"
)


def _entry_fields(parsed: ParsedEntry) -> dict:
    return {
        "entity_type": parsed.entity_type,
        "primary_name": parsed.primary_name[:500],
        "programs": parsed.programs,
        "dates_of_birth": parsed.dates_of_birth,
        "nationalities": parsed.nationalities,
        "countries": parsed.countries,
        "remarks": parsed.remarks,
        "content_hash": parsed.content_hash(),
    }


def _names_of(entry: SanctionsEntry, parsed: ParsedEntry) -> list[SanctionsName]:
    return [
        SanctionsName(entry=entry, kind=n.kind, name=n.name[:500], normalised=normalise(n.name)[:500])
        for n in parsed.names
    ]


@transaction.atomic(durable=True)
def _write_load(*, list_code: str, parsed: ParsedList, progress: Callable[[int, int], None] | None) -> LoadReport:
    sanctions_list, _ = SanctionsList.objects.get_or_create(
        code=list_code, defaults={"name": ListCode(list_code).label}
    )
    sanctions_list = SanctionsList.objects.select_for_update(no_key=True).get(pk=sanctions_list.pk)
    previous = SanctionsListLoad.objects.filter(sanctions_list=sanctions_list).order_by("-id").first()
    report = LoadReport(
        list_code=list_code,
        load_id=None,
        entries=len(parsed.entries),
        names=sum(len(e.names) for e in parsed.entries),
        warnings=list(parsed.warnings),
        sources=list(parsed.sources),
    )
    if previous is not None and previous.sha256 == parsed.sha256:
        report.unchanged = len(parsed.entries)
        return report

    stored = {
        entry_id: (pk, digest, listed)
        for pk, entry_id, digest, listed in SanctionsEntry.objects.filter(sanctions_list=sanctions_list).values_list(
            "pk", "entry_id", "content_hash", "listed"
        )
    }
    new, changed = [], []
    for parsed_entry in parsed.entries:
        known = stored.get(parsed_entry.entry_id)
        if known is None or not known[2]:
            new.append(parsed_entry)  # a delisted entry listed again counts as added
        elif known[1] != parsed_entry.content_hash():
            changed.append(parsed_entry)
        else:
            report.unchanged += 1
    in_file = {e.entry_id for e in parsed.entries}
    removed = sorted(entry_id for entry_id, (_, _, listed) in stored.items() if listed and entry_id not in in_file)

    load = SanctionsListLoad.objects.create(
        sanctions_list=sanctions_list,
        source=", ".join(parsed.sources)[:500],
        sha256=parsed.sha256,
        published=parsed.published,
        entry_count=report.entries,
        name_count=report.names,
        added=len(new),
        removed=len(removed),
        changed=len(changed),
        unchanged=report.unchanged,
    )
    report.load_id = load.pk
    done = report.unchanged
    if progress:
        progress(done, report.entries)

    rewrite = new + changed  # entries whose names are written afresh
    for start in range(0, len(rewrite), BATCH):
        batch = rewrite[start : start + BATCH]
        rows = []
        for parsed_entry in batch:
            fields = _entry_fields(parsed_entry)
            known = stored.get(parsed_entry.entry_id)
            if known is None:
                rows.append(
                    SanctionsEntry(
                        sanctions_list=sanctions_list,
                        entry_id=parsed_entry.entry_id,
                        first_load=load,
                        last_changed_load=load,
                        **fields,
                    )
                )
            else:
                rows.append(
                    SanctionsEntry(
                        pk=known[0], entry_id=parsed_entry.entry_id, listed=True, last_changed_load=load, **fields
                    )
                )
        existing = [r for r in rows if r.pk is not None]
        if existing:
            SanctionsName.objects.filter(entry_id__in=[r.pk for r in existing]).delete()
            for row in existing:  # one UPDATE each: bulk_update's CASE per field is far slower at this size
                SanctionsEntry.objects.filter(pk=row.pk).update(
                    listed=True, last_changed_load=load, **{f: getattr(row, f) for f in ENTRY_FIELDS}
                )
        created = SanctionsEntry.objects.bulk_create([r for r in rows if r.pk is None], batch_size=BATCH)
        by_id = {r.entry_id: r for r in existing}
        by_id.update({r.entry_id: r for r in created})
        names = [n for parsed_entry in batch for n in _names_of(by_id[parsed_entry.entry_id], parsed_entry)]
        SanctionsName.objects.bulk_create(names, batch_size=5000)
        done += len(batch)
        if progress:
            progress(done, report.entries)
    if removed:
        SanctionsEntry.objects.filter(sanctions_list=sanctions_list, entry_id__in=removed).update(
            listed=False, last_changed_load=load
        )
    report.added = sorted(e.entry_id for e in new)
    report.changed = sorted(e.entry_id for e in changed)
    report.removed = removed
    audit_record(
        action="sanctions.list_loaded",
        object_type="sanctions_list",
        object_id=list_code,
        before={"load": previous.pk, "sha256": previous.sha256} if previous else None,
        after={
            "load": load.pk,
            "source": load.source,
            "sha256": load.sha256,
            "published": load.published,
            "entries": report.entries,
            "added": len(new),
            "removed": len(removed),
            "changed": len(changed),
            "warnings": report.warnings[:50],
        },
    )
    return report


def sanctions_list_load(
    *, list_code: str, path: str | Path, progress: Callable[[int, int], None] | None = None
) -> LoadReport:
    """Load ``path`` as the new version of ``list_code`` and report what it added, removed and changed.

    ``progress`` is called with (entries handled so far, entries in the file), for a progress bar.
    """
    parsed = parse_list_file(list_code=list_code, path=path)
    if not parsed.entries:
        raise ListFileInvalid(f"{path}: the file lists no entries", field="path")
    report = _write_load(list_code=list_code, parsed=parsed, progress=progress)
    if not report.is_noop:
        invalidate_index()  # this process screens against the new version at once; others within seconds
    return report
