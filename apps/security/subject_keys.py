"""Per-subject data keys: values of one person encrypted under one key, so destroying it erases them all.

Stored text: ``qxs1:<subject id>:<base64url(nonce || AES-256-GCM ciphertext || tag)>``. The associated data is the
field context (table, column, row, as for ``envelope``) plus the subject id, so a value cannot be moved to another
row, column or subject. The subject key itself is wrapped by the KEK (``SubjectKey``); KEK rotation re-wraps the
key rows, never the values. Unwrapped keys are cached per process for ``QENEX_SUBJECT_KEY_CACHE_SECONDS``
(default 30): another process may still read an erased subject for that long after the erasure commits.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import transaction
from django.utils import timezone

from . import conf
from .envelope import NONCE_LEN, context_aad
from .errors import DecryptionFailed, MalformedCiphertext, SubjectErased
from .keyring import get_keyring

TEXT_PREFIX = "qxs1"
ERASED_TEXT = "[erased]"

_cache: dict[str, tuple[bytes | None, float]] = {}
_cache_lock = threading.Lock()


class ErasedText(str):
    """What an encrypted field of an erased subject reads as; saving it keeps the stored (unreadable) value."""

    def __new__(cls, stored: str):
        obj = super().__new__(cls, ERASED_TEXT)
        obj.stored = stored
        return obj


def is_subject_text(value: object) -> bool:
    return isinstance(value, str) and value.startswith(TEXT_PREFIX + ":")


def subject_of_text(value: str) -> str:
    parts = value.split(":", 2)
    if len(parts) != 3 or parts[0] != TEXT_PREFIX or not parts[1]:
        raise MalformedCiphertext("stored value is not a subject-key ciphertext")
    return parts[1]


def prefix_of(subject_id: str) -> str:
    return f"{TEXT_PREFIX}:{subject_id}:"


def _ttl() -> float:
    return float(conf._setting("QENEX_SUBJECT_KEY_CACHE_SECONDS", "30") or 30)


def forget(subject_id: str | None = None) -> None:
    with _cache_lock:
        if subject_id is None:
            _cache.clear()
        else:
            _cache.pop(subject_id, None)


class _Destroyed(bytes):
    """Marks a destroyed key in the cache (distinct from an absent one)."""


DESTROYED = _Destroyed()


def has_key(subject_id: str) -> bool:
    """True when the subject has a key (live or destroyed): rows referring to them then use it."""
    return _load(subject_id, create=False) is not None


def _load(subject_id: str, *, create: bool) -> bytes | None:
    """Return the subject's key, ``DESTROYED`` when it was destroyed, None when absent (and not created)."""
    from .models import SubjectKey

    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(subject_id)
    if hit is not None and now - hit[1] < _ttl() and (hit[0] is not None or not create):
        return hit[0]
    row = SubjectKey.objects.filter(subject_id=subject_id).first()
    keyring = get_keyring()
    if row is None and create:
        key = AESGCM.generate_key(bit_length=256)
        version, wrapped = keyring.wrap(dek=key)
        # ON CONFLICT DO NOTHING: a concurrent first write for the same subject wins, and we read its key.
        SubjectKey.objects.bulk_create(
            [SubjectKey(subject_id=subject_id, kek_id=keyring.kek_id, kek_version=version, wrapped_key=wrapped)],
            ignore_conflicts=True,
        )
        row = SubjectKey.objects.get(subject_id=subject_id)
    if row is None:
        return None
    key: bytes = DESTROYED
    if row.destroyed_at is None:
        key = keyring.unwrap(kek_id=row.kek_id, version=row.kek_version, wrapped=bytes(row.wrapped_key))
    with _cache_lock:
        _cache[subject_id] = (key, now)
    return key


def _aad(*, table: str, column: str, row: str, subject_id: str) -> bytes:
    return context_aad(table=table, column=column, row=row) + b"subject:" + subject_id.encode()


def encrypt_text(*, plaintext: str, subject_id: str, table: str, column: str, row: str) -> str:
    key = _load(subject_id, create=True)
    if key is None or key is DESTROYED:
        raise SubjectErased(f"{table}.{column} of row {row}: the data subject was erased")
    nonce = os.urandom(NONCE_LEN)
    sealed = AESGCM(key).encrypt(
        nonce, plaintext.encode("utf-8"), _aad(table=table, column=column, row=row, subject_id=subject_id)
    )
    body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
    return prefix_of(subject_id) + body


def decrypt_text(*, stored: str, table: str, column: str, row: str) -> str:
    """Plaintext, or :class:`ErasedText` when the subject's key was destroyed."""
    subject_id = subject_of_text(stored)
    key = _load(subject_id, create=False)
    if key is None or key is DESTROYED:
        return ErasedText(stored)
    body = stored.split(":", 2)[2]
    try:
        blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise MalformedCiphertext("subject ciphertext body is not valid base64") from None
    try:
        aad = _aad(table=table, column=column, row=row, subject_id=subject_id)
        return AESGCM(key).decrypt(blob[:NONCE_LEN], blob[NONCE_LEN:], aad).decode("utf-8")
    except InvalidTag:
        raise DecryptionFailed(f"{table}.{column} of row {row}: ciphertext failed authentication") from None


def destroy(*, subject_id: str) -> bool:
    """Destroy the subject's key (in the caller's transaction); True if one existed and was active."""
    from .models import SubjectKey

    with transaction.atomic():
        updated = SubjectKey.objects.filter(subject_id=subject_id, destroyed_at__isnull=True).update(
            wrapped_key=b"", destroyed_at=timezone.now()
        )
        if not updated:
            # Never had a key: record a destroyed one, so no later write creates a fresh key for the subject.
            keyring = get_keyring()
            SubjectKey.objects.bulk_create(
                [
                    SubjectKey(
                        subject_id=subject_id,
                        kek_id=keyring.kek_id,
                        kek_version=keyring.current_version(),
                        destroyed_at=timezone.now(),
                    )
                ],
                ignore_conflicts=True,
            )
    forget(subject_id)
    transaction.on_commit(lambda: forget(subject_id))
    return bool(updated)
