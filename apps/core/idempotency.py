"""Request fingerprints for idempotent writes.

A write that carries an idempotency key stores the key and a fingerprint of its request. A retry with
the same key and the same request gets the original result; the same key with a different request is
refused with ``idempotency_key_reused`` (HTTP 409), because it is almost always a client bug.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings

from .errors import IdempotencyConflict, InvalidInput

MAX_KEY_LENGTH = 128


def fingerprint(payload: dict[str, Any]) -> str:
    """Return a keyed digest of the request: requests carry PII (names), so a plain hash would let anyone
    with database access confirm a guessed name. Keyed with the secret key (rotating it only means a
    retry across the rotation is treated as a different request)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(settings.SECRET_KEY.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters", field="idempotency_key")
    return key


def ensure_same_request(stored_fingerprint: str, new_fingerprint: str) -> None:
    if stored_fingerprint != new_fingerprint:
        raise IdempotencyConflict(
            "this Idempotency-Key was already used for a different request", field="idempotency_key"
        )
