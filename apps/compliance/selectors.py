"""Reads of the sanctions lists: what the screening index is built from, and what the admin and reports show."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Max

from .models import SanctionsEntry, SanctionsList, SanctionsListLoad, SanctionsName


def lists_version() -> tuple:
    """The newest load id per list: it changes whenever a load changes what is listed."""
    return tuple(
        SanctionsListLoad.objects.values_list("sanctions_list__code")
        .annotate(last=Max("id"))
        .order_by("sanctions_list__code")
    )


def listed_entries() -> Iterator[SanctionsEntry]:
    return (
        SanctionsEntry.objects.filter(listed=True)
        .select_related("sanctions_list")
        .order_by("sanctions_list__code", "id")
        .iterator(chunk_size=5000)
    )


def listed_names() -> Iterator[tuple[int, str, str]]:
    """(entry id, name kind, name) of every listed entry."""
    return (
        SanctionsName.objects.filter(entry__listed=True).order_by("id").values_list("entry_id", "kind", "name")
    ).iterator(chunk_size=10000)


def entry_get(*, list_code: str, entry_id: str) -> SanctionsEntry | None:
    return (
        SanctionsEntry.objects.filter(sanctions_list__code=list_code, entry_id=entry_id)
        .select_related("sanctions_list")
        .first()
    )


def list_loads(*, list_code: str | None = None):
    loads = SanctionsListLoad.objects.select_related("sanctions_list")
    return loads.filter(sanctions_list__code=list_code) if list_code else loads


def sanctions_list_get(*, code: str) -> SanctionsList | None:
    return SanctionsList.objects.filter(code=code).first()
