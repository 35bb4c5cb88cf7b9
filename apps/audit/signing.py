"""The ML-DSA-65 key that signs audit checkpoints, and the keys trusted to have signed them.

Production: ``QENEX_AUDIT_SIGNING_KEY_FILE`` names a file holding the key's 32-byte seed (raw bytes, as
written by ``manage.py audit_keygen``; mode 0600, readable by the app user only). Keys that signed earlier
checkpoints (after a rotation) stay trusted by listing their public keys, hex, one per line, in the file named
by ``QENEX_AUDIT_TRUSTED_KEYS_FILE``.

DEVELOPMENT/TEST ONLY: without ``QENEX_AUDIT_SIGNING_KEY_FILE`` outside production, a key is generated once
into ``var/audit-signing-key.DEV-ONLY`` so checkpoints work on a laptop. It proves nothing - it sits next to
the database it vouches for - and production mode refuses to run without a configured key.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import mldsa
from django.conf import settings

from .errors import SigningKeyUnavailable

logger = logging.getLogger(__name__)

ALGORITHM = "ML-DSA-65"
SEED_BYTES = 32
SIGNATURE_CONTEXT = b"qenex-audit-checkpoint-v1"  # ML-DSA context string: these signatures mean nothing elsewhere
DEV_KEY_NAME = "audit-signing-key.DEV-ONLY"
KEY_FILE_ENV = "QENEX_AUDIT_SIGNING_KEY_FILE"
TRUSTED_KEYS_ENV = "QENEX_AUDIT_TRUSTED_KEYS_FILE"


def fingerprint(public_key_raw: bytes) -> str:
    """Return ``sha256:<hex>`` of the raw public key."""
    return "sha256:" + hashlib.sha256(public_key_raw).hexdigest()


def key_from_seed(seed: bytes) -> mldsa.MLDSA65PrivateKey:
    if len(seed) != SEED_BYTES:
        raise SigningKeyUnavailable(f"an {ALGORITHM} key file holds exactly {SEED_BYTES} raw bytes, not {len(seed)}")
    return mldsa.MLDSA65PrivateKey.from_seed_bytes(seed)


def write_key_file(path: Path) -> mldsa.MLDSA65PrivateKey:
    """Create ``path`` (mode 0600, refusing to overwrite) holding a new key's seed; return the key."""
    key = mldsa.MLDSA65PrivateKey.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.private_bytes_raw())
    return key


def _key_file() -> Path | None:
    configured = os.environ.get(KEY_FILE_ENV) or getattr(settings, KEY_FILE_ENV, "")
    return Path(configured) if configured else None


def signing_key() -> mldsa.MLDSA65PrivateKey:
    """Return the checkpoint signing key; raise ``SigningKeyUnavailable`` when there is none to use."""
    path = _key_file()
    if path is not None:
        try:
            seed = path.read_bytes()
        except OSError as exc:
            raise SigningKeyUnavailable(f"{KEY_FILE_ENV}={path}: {exc.strerror}") from None
        if path.stat().st_mode & 0o077:
            logger.warning("audit signing key %s is readable by group or others; chmod 600 it", path)
        return key_from_seed(seed)
    if getattr(settings, "PRODUCTION", True):
        raise SigningKeyUnavailable(
            f"{KEY_FILE_ENV} is not set: production needs an audit signing key "
            "(create one with: python manage.py audit_keygen --out /path/to/key)"
        )
    # DEVELOPMENT/TEST ONLY - see the module docstring.
    dev_path = Path(settings.VAR_DIR) / DEV_KEY_NAME
    dev_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return write_key_file(dev_path)
    except FileExistsError:
        return key_from_seed(dev_path.read_bytes())


def trusted_public_keys() -> dict[str, bytes]:
    """Return {fingerprint: raw public key} of every key whose checkpoints verification accepts.

    That is the current signing key (when one is available here) plus the keys listed in
    ``QENEX_AUDIT_TRUSTED_KEYS_FILE``.
    """
    keys: dict[str, bytes] = {}
    listed = os.environ.get(TRUSTED_KEYS_ENV) or getattr(settings, TRUSTED_KEYS_ENV, "")
    if listed:
        for line in Path(listed).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                raw = bytes.fromhex(line)
                keys[fingerprint(raw)] = raw
    try:
        raw = signing_key().public_key().public_bytes_raw()
    except SigningKeyUnavailable:
        pass
    else:
        keys[fingerprint(raw)] = raw
    return keys


def verify(public_key_raw: bytes, signature: bytes, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        mldsa.MLDSA65PublicKey.from_public_bytes(public_key_raw).verify(signature, message, SIGNATURE_CONTEXT)
    except (InvalidSignature, ValueError):
        return False
    return True
