"""Reads for data protection: the current KEK version, and exact-match search through blind indexes."""

from __future__ import annotations

from django.db.models import Max, QuerySet

from .models import BlindIndexRekey, KekState, KekVersion


def kek_current_version(*, kek_id: str) -> int:
    """Return the ACTIVE version of ``kek_id``; version 1 when no rotation has been recorded yet."""
    current = KekVersion.objects.filter(kek_id=kek_id, state=KekState.ACTIVE).aggregate(v=Max("version"))["v"]
    return current or 1


def kek_version_list(*, kek_id: str) -> list[KekVersion]:
    return list(KekVersion.objects.filter(kek_id=kek_id).order_by("version"))


def blind_index_filter(*, queryset: QuerySet, field_name: str, value: str) -> QuerySet:
    """Return ``queryset`` narrowed to rows whose encrypted ``field_name`` equals ``value`` (normalised).

    The match runs on the blind-index column, so nothing is decrypted; an empty value matches nothing. During a
    blind-index re-key a row still under the previous key matches too.
    """
    from .fields import blind_index_field_for

    index_field = blind_index_field_for(model=queryset.model, source=field_name)
    digests = index_field.index_candidates(value, model=queryset.model)
    if not digests:
        return queryset.none()
    if len(digests) == 1:
        return queryset.filter(**{index_field.attname: digests[0]})
    return queryset.filter(**{f"{index_field.attname}__in": digests})


def blind_index_rekey_status() -> list[BlindIndexRekey]:
    """Progress of the re-key to the current index key, per column (empty when none was started)."""
    from .blind_index import key_id

    return list(BlindIndexRekey.objects.filter(key_id=key_id()).order_by("model_label", "field_name"))
