"""Post-quantum sealing of exported key material and report bundles: ML-KEM-768 -> HKDF-SHA256 -> AES-256-GCM.

A sealed blob is readable only by the holder of the recipient's ML-KEM-768 private key::

    0     4 bytes     magic b"QXS1"
    4     1 byte      KEM id (1 = ML-KEM-768)
    5     1088 bytes  ML-KEM-768 ciphertext (encapsulation)
    1093  12 bytes    AES-GCM nonce
    1105  rest        AES-256-GCM ciphertext || tag

The AES key is HKDF-SHA256 over the ML-KEM shared secret, with the recipient's public key and the KEM
ciphertext in the info (binding the key to this recipient and this encapsulation). The header and the
optional ``context`` are the GCM associated data. Signatures (ML-DSA-65) live in ``apps.audit``.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import mlkem
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import SealedBlobInvalid

MAGIC = b"QXS1"
KEM_ML_KEM_768 = 1
KEM_CIPHERTEXT_LEN = 1088
PUBLIC_KEY_LEN = 1184
NONCE_LEN = 12
_HEADER_LEN = len(MAGIC) + 1 + KEM_CIPHERTEXT_LEN


def recipient_keypair() -> tuple[mlkem.MLKEM768PrivateKey, bytes]:
    """Return a new ML-KEM-768 private key and its raw public key bytes (to hand to the sender)."""
    private_key = mlkem.MLKEM768PrivateKey.generate()
    return private_key, private_key.public_key().public_bytes_raw()


def _aes_key(*, shared_secret: bytes, public_key_bytes: bytes, kem_ciphertext: bytes) -> bytes:
    info = b"qenex-seal-v1\x00ML-KEM-768\x00" + public_key_bytes + kem_ciphertext
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(shared_secret)


def seal_for_recipient(public_key_bytes: bytes, plaintext: bytes, *, context: bytes = b"") -> bytes:
    """Encrypt ``plaintext`` so only the holder of the ML-KEM-768 key for ``public_key_bytes`` can read it.

    ``context`` (e.g. ``b"report:2026-11"``) is authenticated, not stored: the opener must pass the same.
    """
    if len(public_key_bytes) != PUBLIC_KEY_LEN:
        raise SealedBlobInvalid(f"an ML-KEM-768 public key is {PUBLIC_KEY_LEN} bytes", code="invalid_public_key")
    try:
        public_key = mlkem.MLKEM768PublicKey.from_public_bytes(public_key_bytes)
    except ValueError:
        raise SealedBlobInvalid("not a valid ML-KEM-768 public key", code="invalid_public_key") from None
    shared_secret, kem_ciphertext = public_key.encapsulate()
    header = MAGIC + bytes([KEM_ML_KEM_768]) + kem_ciphertext
    key = _aes_key(shared_secret=shared_secret, public_key_bytes=public_key_bytes, kem_ciphertext=kem_ciphertext)
    nonce = os.urandom(NONCE_LEN)
    return header + nonce + AESGCM(key).encrypt(nonce, plaintext, header + context)


def open_sealed(private_key: mlkem.MLKEM768PrivateKey | bytes, blob: bytes, *, context: bytes = b"") -> bytes:
    """Return the plaintext of ``blob``; raise :class:`SealedBlobInvalid` if it was tampered with or sealed
    for another key. ``private_key`` may be a key object or its 64-byte seed (``private_bytes_raw()``)."""
    if isinstance(private_key, bytes | bytearray):
        try:
            private_key = mlkem.MLKEM768PrivateKey.from_seed_bytes(bytes(private_key))
        except ValueError:
            raise SealedBlobInvalid("not a valid ML-KEM-768 private key seed", code="invalid_private_key") from None
    if len(blob) < _HEADER_LEN + NONCE_LEN + 16 or blob[:4] != MAGIC:
        raise SealedBlobInvalid("not a sealed blob (bad magic or truncated)")
    if blob[4] != KEM_ML_KEM_768:
        raise SealedBlobInvalid(f"unsupported KEM id {blob[4]}")
    header = blob[:_HEADER_LEN]
    kem_ciphertext = header[5:]
    nonce = blob[_HEADER_LEN : _HEADER_LEN + NONCE_LEN]
    try:
        shared_secret = private_key.decapsulate(kem_ciphertext)
    except ValueError:
        raise SealedBlobInvalid("sealed blob could not be opened") from None
    # ML-KEM rejects implicitly: a wrong key or altered KEM ciphertext yields an unrelated secret, so the GCM
    # tag below is what detects it.
    public_key_bytes = private_key.public_key().public_bytes_raw()
    key = _aes_key(shared_secret=shared_secret, public_key_bytes=public_key_bytes, kem_ciphertext=kem_ciphertext)
    try:
        return AESGCM(key).decrypt(nonce, blob[_HEADER_LEN + NONCE_LEN :], header + context)
    except InvalidTag:
        raise SealedBlobInvalid("sealed blob could not be opened: tampered, or sealed for another key") from None
