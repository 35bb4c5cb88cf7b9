"""Writes for data protection: create the KEK, rotate it, re-wrap data keys, retire old KEK versions.

Rotation never needs downtime. A new KEK version is created in the HSM and made ACTIVE; the previous one
becomes DECRYPT_ONLY and keeps unwrapping rows until they are re-wrapped. Re-wrapping touches only the DEK
wrapping in each value's header (the data ciphertext is unchanged), one short transaction per batch, with a
compare-and-swap on the stored value so a concurrent write is never overwritten. A version no row references
any more is marked RETIRED; its HSM key is left in place (backups may still need it) until an operator
destroys it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.errors import Conflict

from . import conf, envelope, subject_keys
from .errors import DataProtectionError, KekUnavailable
from .fields import ENCRYPTED_FIELDS, Ciphertext
from .keyring import Keyring, get_keyring
from .models import KekState, KekVersion, SubjectKey

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500


@dataclass
class RewrapReport:
    kek_id: str
    to_version: int
    rewrapped: int = 0
    failed: int = 0
    remaining: int = 0
    failed_rows: list[str] = field(default_factory=list)
    retired_versions: list[int] = field(default_factory=list)


def _self_test(*, keyring: Keyring, version: int) -> None:
    """Wrap and unwrap a throw-away key under ``version`` before anything depends on it."""
    probe = os.urandom(32)
    if keyring.provider.unwrap(version=version, wrapped=keyring.provider.wrap(version=version, dek=probe)) != probe:
        raise KekUnavailable(f"KEK {keyring.kek_id} v{version} failed its wrap/unwrap self-test")


def kek_init(*, actor: str = "system") -> KekVersion:
    """Create version 1 of the configured KEK (in the HSM) if it does not exist yet, and record it.

    Safe to run again: returns the ACTIVE version when one is recorded.
    """
    keyring = get_keyring()
    active = KekVersion.objects.filter(kek_id=keyring.kek_id, state=KekState.ACTIVE).first()
    if active is not None:
        if not keyring.provider.has_version(version=active.version):
            raise KekUnavailable(f"KEK {keyring.kek_id} v{active.version} is recorded as ACTIVE but is not available")
        return active
    created = keyring.provider.create_version(version=1)  # an HSM call: outside any transaction
    _self_test(keyring=keyring, version=1)
    with transaction.atomic():
        row, _ = KekVersion.objects.get_or_create(
            kek_id=keyring.kek_id,
            version=1,
            defaults={"provider": keyring.provider.kind, "state": KekState.ACTIVE, "created_by": actor},
        )
    logger.info("KEK %s v1 %s by %s", keyring.kek_id, "created" if created else "recorded", actor)
    keyring.forget_current_version()
    return row


def kek_rotate(*, actor: str = "system") -> KekVersion:
    """Create the next KEK version and make it ACTIVE; the previous one stays able to decrypt."""
    keyring = get_keyring()
    kek_id = keyring.kek_id
    rows = list(KekVersion.objects.filter(kek_id=kek_id))
    current = next((r.version for r in rows if r.state == KekState.ACTIVE), 1)
    new_version = max([current, *(r.version for r in rows)]) + 1
    # Outside the transaction: the key exists in the HSM before any row says it is ACTIVE. A key left behind by
    # a failed attempt is reused (nothing was ever wrapped under it).
    keyring.provider.create_version(version=new_version)
    _self_test(keyring=keyring, version=new_version)
    now = timezone.now()
    with transaction.atomic():
        locked = list(KekVersion.objects.select_for_update(no_key=True).filter(kek_id=kek_id).order_by("pk"))
        if max([0, *(r.version for r in locked)]) >= new_version:
            raise Conflict(f"KEK {kek_id} was rotated concurrently; run rotate_keys again", code="kek_rotation_race")
        if not any(r.version == current for r in locked):
            # Version 1 was in use without a row (no kek_init): record it as superseded.
            KekVersion.objects.create(
                kek_id=kek_id,
                version=current,
                provider=keyring.provider.kind,
                state=KekState.DECRYPT_ONLY,
                superseded_at=now,
                created_by=actor,
            )
        KekVersion.objects.filter(kek_id=kek_id, state=KekState.ACTIVE).update(
            state=KekState.DECRYPT_ONLY, superseded_at=now
        )
        row = KekVersion.objects.create(
            kek_id=kek_id, version=new_version, provider=keyring.provider.kind, state=KekState.ACTIVE, created_by=actor
        )
    keyring.forget_current_version()
    logger.info("KEK %s rotated to v%s by %s", kek_id, new_version, actor)
    return row


def _encrypted_fields() -> list[tuple[type, str]]:
    return [(apps.get_model(label), name) for label, name in sorted(ENCRYPTED_FIELDS)]


def _stale_q(*, field_name: str, prefix: str) -> Q:
    """Rows whose value is set and not wrapped under the version ``prefix`` names."""
    return (
        # Values under a subject key are re-wrapped in their key's row (``_rewrap_subject_keys``), not here.
        ~Q(**{f"{field_name}__startswith": Ciphertext(subject_keys.TEXT_PREFIX + ":")})
        & ~Q(**{f"{field_name}__startswith": Ciphertext(prefix)})
        & ~Q(**{field_name: ""})
        & Q(**{f"{field_name}__isnull": False})
    )


def _rewrap_field(*, model, field_name: str, version: int, batch_size: int, report: RewrapReport) -> None:
    keyring = get_keyring()
    prefix = envelope.version_prefix(kek_id=keyring.kek_id, version=version)
    manager = model._default_manager
    last_pk = None
    while True:
        batch = manager.filter(_stale_q(field_name=field_name, prefix=prefix)).order_by("pk")
        if last_pk is not None:
            batch = batch.filter(pk__gt=last_pk)
        rows = list(batch.values_list("pk", field_name)[:batch_size])
        if not rows:
            return
        with transaction.atomic():
            for pk, stored in rows:
                try:
                    new = envelope.rewrap(envelope=envelope.Envelope.from_text(stored), version=version).to_text()
                except DataProtectionError as exc:
                    report.failed += 1
                    if len(report.failed_rows) < 50:
                        report.failed_rows.append(f"{model._meta.label}.{field_name} pk={pk}: {exc.code}")
                    continue
                # Compare-and-swap: a row written since we read it is left alone (it is re-read next pass).
                report.rewrapped += manager.filter(pk=pk, **{field_name: stored}).update(
                    **{field_name: Ciphertext(new)}
                )
        last_pk = rows[-1][0]


def keys_rewrap(*, batch_size: int = DEFAULT_BATCH_SIZE, max_passes: int = 3) -> RewrapReport:
    """Re-wrap every encrypted value not yet under the current KEK version; retire versions left unused."""
    keyring = get_keyring()
    keyring.forget_current_version()
    version = keyring.current_version()
    report = RewrapReport(kek_id=keyring.kek_id, to_version=version)
    for _ in range(max_passes):
        before = report.rewrapped
        for model, field_name in _encrypted_fields():
            _rewrap_field(model=model, field_name=field_name, version=version, batch_size=batch_size, report=report)
        report.remaining = keys_count_stale(version=version)
        if report.remaining <= report.failed or report.rewrapped == before:
            break
    report.rewrapped += _rewrap_subject_keys(version=version)
    report.remaining += SubjectKey.objects.filter(destroyed_at__isnull=True).exclude(kek_version=version).count()
    report.retired_versions = kek_retire_unused()
    return report


def _rewrap_subject_keys(*, version: int) -> int:
    """Re-wrap every live subject key not under ``version`` (compare-and-swap on the wrapped bytes)."""
    keyring = get_keyring()
    done = 0
    rows = SubjectKey.objects.filter(destroyed_at__isnull=True).exclude(kek_version=version)
    for row in rows.order_by("pk").iterator():
        key = keyring.unwrap(kek_id=row.kek_id, version=row.kek_version, wrapped=bytes(row.wrapped_key))
        new_version, wrapped = keyring.wrap(dek=key, version=version)
        done += SubjectKey.objects.filter(pk=row.pk, kek_version=row.kek_version, destroyed_at__isnull=True).update(
            kek_id=keyring.kek_id, kek_version=new_version, wrapped_key=wrapped
        )
    return done


def keys_count_stale(*, version: int | None = None) -> int:
    """Count encrypted values not wrapped under ``version`` (default: the current one)."""
    keyring = get_keyring()
    version = keyring.current_version() if version is None else version
    prefix = envelope.version_prefix(kek_id=keyring.kek_id, version=version)
    return sum(
        model._default_manager.filter(_stale_q(field_name=name, prefix=prefix)).count()
        for model, name in _encrypted_fields()
    )


def kek_retire_unused() -> list[int]:
    """Mark DECRYPT_ONLY versions that no stored value references as RETIRED; return their numbers."""
    keyring = get_keyring()
    retired = []
    for row in KekVersion.objects.filter(kek_id=keyring.kek_id, state=KekState.DECRYPT_ONLY).order_by("version"):
        prefix = envelope.version_prefix(kek_id=row.kek_id, version=row.version)
        in_use = (
            any(
                model._default_manager.filter(**{f"{name}__startswith": Ciphertext(prefix)}).exists()
                for model, name in _encrypted_fields()
            )
            or SubjectKey.objects.filter(kek_id=row.kek_id, kek_version=row.version, destroyed_at__isnull=True).exists()
        )
        if not in_use:
            KekVersion.objects.filter(pk=row.pk, state=KekState.DECRYPT_ONLY).update(
                state=KekState.RETIRED, retired_at=timezone.now()
            )
            retired.append(row.version)
    return retired


def kek_rotation_due(*, now: datetime | None = None) -> bool:
    """True when the ACTIVE KEK version is older than ``security.key_rotation_days``."""
    now = now or timezone.now()
    keyring = get_keyring()
    active = KekVersion.objects.filter(kek_id=keyring.kek_id, state=KekState.ACTIVE).first()
    if active is None:
        return False  # not initialised: kek_rotate_if_due records version 1 first
    return active.created_at + timedelta(days=conf.key_rotation_days()) <= now


def kek_rotate_if_due(
    *, now: datetime | None = None, batch_size: int = DEFAULT_BATCH_SIZE, actor: str = "scheduler"
) -> RewrapReport | None:
    """Rotate and re-wrap when the rotation period has passed; otherwise finish any unfinished re-wrap."""
    keyring = get_keyring()
    if not KekVersion.objects.filter(kek_id=keyring.kek_id).exists():
        kek_init(actor=actor)
        return None
    if kek_rotation_due(now=now):
        kek_rotate(actor=actor)
        return keys_rewrap(batch_size=batch_size)
    if keys_count_stale():
        return keys_rewrap(batch_size=batch_size)
    return None


# --- per-subject keys: migration to them and crypto-shredding ---------------------------------------------------
def subject_fields() -> list[tuple[type, Any]]:
    """(model, field) of every encrypted field that names its data subject."""
    found = []
    for model, name in _encrypted_fields():
        field_obj = model._meta.get_field(name)
        if getattr(field_obj, "subject", None):
            found.append((model, field_obj))
    return found


def subject_keys_migrate(*, subject_id: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Re-encrypt values of subject fields still in per-value envelopes under their subject's key.

    For one subject (before an erasure) or all (``manage.py migrate_subject_keys``). One short transaction per
    batch, compare-and-swap per row; returns how many values moved.
    """
    moved = 0
    legacy_prefix = Ciphertext(envelope.TEXT_PREFIX + ":")
    # The subjects' own records first: their first write creates the key the referring rows then use.
    for model, field_obj in sorted(subject_fields(), key=lambda mf: not mf[1].subject_record):
        manager = model._default_manager
        base = manager.filter(**{f"{field_obj.name}__startswith": legacy_prefix})
        if subject_id is not None:
            base = base.filter(**{field_obj.subject_lookup: subject_id})
        last_pk = None
        while True:
            batch = base.order_by("pk")
            if last_pk is not None:
                batch = batch.filter(pk__gt=last_pk)
            rows = list(batch[:batch_size])
            if not rows:
                break
            with transaction.atomic():
                for row in rows:
                    stored = row.__dict__[field_obj.attname]
                    if not field_obj.subject_of(row):
                        continue
                    plaintext = getattr(row, field_obj.name)
                    new = field_obj.encrypt_for(row, plaintext)
                    if not subject_keys.is_subject_text(new):
                        continue  # the subject has no key (an owner id that is no customer): stays as it is
                    moved += manager.filter(pk=row.pk, **{field_obj.name: stored}).update(**{field_obj.name: new})
            last_pk = rows[-1].pk
    return moved


def subject_shred(*, subject_id: str) -> dict[str, int]:
    """Crypto-shred one subject (in the caller's transaction): empty the blind indexes of their values and destroy
    their key, so every subject field of theirs reads as ``[erased]``. Returns values made unreadable per model.

    Call ``subject_keys_migrate(subject_id=...)`` first (it commits per batch), so no value of theirs is left in a
    per-value envelope that the key's destruction would not reach.
    """
    from .fields import BlindIndexField

    counts: dict[str, int] = {}
    for model, field_obj in subject_fields():
        rows = model._default_manager.filter(**{field_obj.subject_lookup: subject_id})
        indexes = [
            f.attname for f in model._meta.fields if isinstance(f, BlindIndexField) and f.source == field_obj.name
        ]
        if indexes:
            rows.update(**{name: "" for name in indexes})
        counts[model._meta.label] = max(counts.get(model._meta.label, 0), rows.count())
    subject_keys.destroy(subject_id=subject_id)
    return counts
