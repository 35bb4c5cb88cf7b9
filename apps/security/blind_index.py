"""Blind indexes: HMAC-SHA256 of a normalised value under an index key kept apart from the KEK.

Equal names (after normalisation) give equal digests, so exact-match search works without decrypting; the
digest reveals nothing else without the index key. Each column has its own ``purpose`` so equal values in
different columns give different digests.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import unicodedata

from . import conf

_key: bytes | None = None
_lock = threading.Lock()


def normalise(value: str) -> str:
    """Return ``value`` in the form that is indexed: NFKC, case-folded, whitespace collapsed and trimmed."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def _index_key() -> bytes:
    global _key
    if _key is None:
        with _lock:
            if _key is None:
                _key = conf.blind_index_key()
    return _key


def reset_index_key() -> None:
    global _key
    with _lock:
        _key = None


def blind_index(*, value: str | None, purpose: str) -> str:
    """Return the hex HMAC-SHA256 of the normalised ``value`` for ``purpose``; ``""`` for an empty value."""
    if value is None:
        return ""
    normalised = normalise(value)
    if not normalised:
        return ""
    message = purpose.encode("utf-8") + b"\x00" + normalised.encode("utf-8")
    return hmac.new(_index_key(), message, hashlib.sha256).hexdigest()
