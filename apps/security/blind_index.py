"""Blind indexes: HMAC-SHA256 of a normalised value under an index key kept apart from the KEK.

Equal names (after normalisation) give equal digests, so exact-match search works without decrypting; the
digest reveals nothing else without the index key. Each column has its own ``purpose`` so equal values in
different columns give different digests.

Re-keying (``manage.py rekey_blind_index``): the new key is configured as ``QENEX_BLIND_INDEX_KEY`` and the old
one as ``QENEX_BLIND_INDEX_PREVIOUS_KEY``. New digests are always under the current key; look-ups ask for
``blind_index_candidates`` (the digest under each configured key), so a row not re-keyed yet is still found.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import unicodedata
from collections.abc import Callable
from typing import Any

from . import conf

_keys: tuple[bytes, bytes | None] | None = None
_lock = threading.Lock()
KEY_ID_MESSAGE = b"qenex.blind_index.key_id"


def normalise(value: str) -> str:
    """Return ``value`` in the form that is indexed: NFKC, case-folded, whitespace collapsed and trimmed."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def _index_keys() -> tuple[bytes, bytes | None]:
    global _keys
    if _keys is None:
        with _lock:
            if _keys is None:
                _keys = (conf.blind_index_key(), conf.blind_index_previous_key())
    return _keys


def _index_key() -> bytes:
    return _index_keys()[0]


def reset_index_key() -> None:
    global _keys
    with _lock:
        _keys = None


def _digest(key: bytes, *, value: str | None, purpose: str) -> str:
    if value is None:
        return ""
    normalised = normalise(value)
    if not normalised:
        return ""
    message = purpose.encode("utf-8") + b"\x00" + normalised.encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def blind_index(*, value: str | None, purpose: str) -> str:
    """Return the hex HMAC-SHA256 of the normalised ``value`` for ``purpose``; ``""`` for an empty value."""
    return _digest(_index_key(), value=value, purpose=purpose)


def blind_index_candidates(*, value: str | None, purpose: str) -> list[str]:
    """The digests a stored index of ``value`` may hold: under the current key and, during a re-key, the previous
    one. Empty for an empty value. Look-ups match any of them; writes use ``blind_index`` (the current key)."""
    current, previous = _index_keys()
    digest = _digest(current, value=value, purpose=purpose)
    if not digest:
        return []
    if previous is None:
        return [digest]
    return [digest, _digest(previous, value=value, purpose=purpose)]


def rekey_in_progress() -> bool:
    """True while a previous index key is configured (a re-key has not been finished and the key removed)."""
    return _index_keys()[1] is not None


def key_id() -> str:
    """A public name of the current index key (HMAC of a constant): says which key a re-key targets, reveals nothing."""
    return hmac.new(_index_key(), KEY_ID_MESSAGE, hashlib.sha256).hexdigest()[:16]


# Digests copied out of their blind-index column into another table (e.g. the fraud app's ``bidx:`` counterparty
# ids): the owning app registers a function that brings its copies in line with the re-keyed columns.
# ``manage.py rekey_blind_index`` calls each once every column is done; it must be idempotent and audit its writes.
DerivedRekey = Callable[..., dict[str, Any]]
_derived: dict[str, DerivedRekey] = {}


def register_derived_rekey(name: str, rekey: DerivedRekey) -> None:
    """Register ``rekey(actor=...) -> counts`` for the copies of blind-index digests that app ``name`` keeps."""
    _derived[name] = rekey


def derived_rekeys() -> dict[str, DerivedRekey]:
    return dict(sorted(_derived.items()))
