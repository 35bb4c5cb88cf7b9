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

from apps.audit.services import audit_record
from apps.core.errors import Conflict, InvalidInput

from . import conf, envelope, subject_keys
from .errors import DataProtectionError, KekUnavailable
from .fields import ENCRYPTED_FIELDS, Ciphertext
from .keyring import Keyring, get_keyring
from .models import BlindIndexRekey, KekState, KekVersion, SubjectKey

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


# --- blind-index re-key -----------------------------------------------------------------------------------------
# Procedure (README "Re-keying the blind indexes"): configure the new key as QENEX_BLIND_INDEX_KEY and the old one
# as QENEX_BLIND_INDEX_PREVIOUS_KEY in every process, so new digests use the new key and look-ups match either;
# run ``manage.py rekey_blind_index`` until it reports the re-key complete; then remove the previous key.
@dataclass
class RekeyReport:
    key_id: str
    previous_key_configured: bool
    scanned: int = 0
    changed: int = 0
    failed: int = 0
    failed_total: int = 0  # over every run under this key, since the last restart
    columns_done: int = 0
    columns: int = 0
    failed_rows: list[str] = field(default_factory=list)
    derived: dict[str, dict[str, Any]] = field(default_factory=dict)  # copies of digests other apps keep

    @property
    def complete(self) -> bool:
        return self.columns_done == self.columns and self.failed_total == 0


def blind_index_columns() -> list[tuple[type, Any]]:
    """(model, BlindIndexField) of every blind-index column on a concrete model, in a stable order."""
    from .fields import BlindIndexField

    found = []
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        if model._meta.proxy or not model._meta.managed:
            continue
        for field_obj in model._meta.concrete_fields:
            if isinstance(field_obj, BlindIndexField):
                found.append((model, field_obj))
    return found


def _rekey_value(row, index_field) -> str:
    """The index ``row``'s source value has under the current key ("" for an empty or erased value)."""
    source = row._meta.get_field(index_field.source)
    if not isinstance(row.__dict__.get(source.attname), str) or row.__dict__[source.attname] == "":
        return ""
    plaintext = getattr(row, index_field.source)  # decrypts (an erased subject's value reads as "[erased]")
    if plaintext == subject_keys.ERASED_TEXT:
        return ""
    return index_field.index_value(plaintext, model=type(row))


@transaction.atomic(durable=True)
def _rekey_batch(*, model, index_field, key_id: str, batch_size: int, actor: str, report: RekeyReport) -> bool:
    """Recompute one batch of ``index_field`` after the column's cursor; True when the column is done."""
    label = model._meta.label
    progress = BlindIndexRekey.objects.select_for_update().get(
        key_id=key_id, model_label=label, field_name=index_field.name
    )
    if progress.completed_at is not None:
        return True
    source = model._meta.get_field(index_field.source)
    manager = model._default_manager
    rows = manager.order_by("pk").only("pk", source.name, index_field.name, *_bind_fields(source))
    if progress.last_pk is not None:
        rows = rows.filter(pk__gt=progress.last_pk)
    batch = list(rows[:batch_size])
    first_pk = progress.last_pk
    changed = failed = 0
    for row in batch:
        stored = row.__dict__.get(source.attname)
        try:
            new = _rekey_value(row, index_field)
        except DataProtectionError as exc:
            failed += 1
            if len(report.failed_rows) < 50:
                report.failed_rows.append(f"{label}.{index_field.name} pk={row.pk}: {exc.code}")
            continue
        if new == getattr(row, index_field.attname):
            continue
        # Compare-and-swap on the stored source value: a row rewritten since it was read keeps the index its own
        # save computed (under the current key).
        same_source = {f"{source.name}__isnull": True} if stored is None else {source.name: stored}
        changed += manager.filter(pk=row.pk, **same_source).update(**{index_field.name: new})
    now = timezone.now()
    progress.scanned += len(batch)
    progress.changed += changed
    progress.failed += failed
    progress.updated_at = now
    if len(batch) < batch_size:
        progress.completed_at = now
    if batch:
        progress.last_pk = batch[-1].pk
    progress.save()
    report.scanned += len(batch)
    report.changed += changed
    report.failed += failed
    audit_record(
        action="security.blind_index_rekeyed",
        object_type="blind_index_key",
        object_id=key_id,
        after={
            "column": f"{label}.{index_field.name}",
            "after_pk": first_pk,
            "to_pk": progress.last_pk,
            "scanned": len(batch),
            "changed": changed,
            "failed": failed,
            "column_done": progress.completed_at is not None,
        },
        actor=actor,
    )
    return progress.completed_at is not None


def _bind_fields(source) -> list[str]:
    """Fields a row must have loaded to decrypt ``source`` (its row binding)."""
    bind_to = getattr(source, "bind_to", "")
    return [bind_to] if bind_to and bind_to != "pk" else []


@transaction.atomic(durable=True)
def _rekey_start(*, key_id: str, columns: list[tuple[type, Any]], actor: str, restart: bool) -> None:
    """Record a progress row per column for ``key_id`` (``restart``: from the first row again), audited."""
    from .blind_index import rekey_in_progress

    existing = set(BlindIndexRekey.objects.filter(key_id=key_id).values_list("model_label", "field_name"))
    if restart:
        BlindIndexRekey.objects.filter(key_id=key_id).update(
            last_pk=None, scanned=0, changed=0, failed=0, completed_at=None, started_at=timezone.now()
        )
    wanted = [(m._meta.label, f.name) for m, f in columns]
    missing = [pair for pair in wanted if pair not in existing]
    if not missing and not restart:
        return
    BlindIndexRekey.objects.bulk_create(
        [
            BlindIndexRekey(key_id=key_id, model_label=label, field_name=name, started_by=actor)
            for label, name in missing
        ]
    )
    audit_record(
        action="security.blind_index_rekey_started",
        object_type="blind_index_key",
        object_id=key_id,
        after={"columns": len(wanted), "new_columns": len(missing), "restart": restart,
               "previous_key_configured": rekey_in_progress()},
        actor=actor,
    )


def blind_index_rekey(
    *, batch_size: int = DEFAULT_BATCH_SIZE, max_batches: int | None = None, restart: bool = False,
    actor: str = "rekey_blind_index",
) -> RekeyReport:
    """Recompute every stored blind index under the current index key, one short audited transaction per batch.

    Resumable: progress is kept per column and key (``BlindIndexRekey``), so a run stopped anywhere (or limited by
    ``max_batches``) continues where it left off. Re-running a finished re-key does nothing; ``restart`` scans
    again from the first row (e.g. after fixing rows that failed, or when a process still wrote under the old
    key after the run passed its rows).
    """
    if batch_size < 1:
        raise InvalidInput("batch size must be at least 1", field="batch_size", code="invalid_batch_size")
    from .blind_index import key_id as current_key_id
    from .blind_index import rekey_in_progress

    key_id = current_key_id()
    columns = blind_index_columns()
    _rekey_start(key_id=key_id, columns=columns, actor=actor, restart=restart)
    report = RekeyReport(key_id=key_id, previous_key_configured=rekey_in_progress(), columns=len(columns))
    batches = 0
    done = set(
        BlindIndexRekey.objects.filter(key_id=key_id, completed_at__isnull=False).values_list(
            "model_label", "field_name"
        )
    )
    for model, index_field in columns:
        if (model._meta.label, index_field.name) in done:
            continue
        while max_batches is None or batches < max_batches:
            batches += 1
            if _rekey_batch(
                model=model, index_field=index_field, key_id=key_id, batch_size=batch_size, actor=actor, report=report
            ):
                break
    progress = BlindIndexRekey.objects.filter(key_id=key_id)
    report.columns_done = progress.filter(completed_at__isnull=False).count()
    report.failed_total = sum(progress.values_list("failed", flat=True))
    if report.columns_done == report.columns:
        from .blind_index import derived_rekeys

        for name, rekey in derived_rekeys().items():  # their sources are re-keyed now
            report.derived[name] = rekey(actor=actor)
    return report
