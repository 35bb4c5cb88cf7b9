"""Envelope encryption: a fresh AES-256-GCM data key (DEK) per value, wrapped by a versioned KEK.

Binary layout (all integers big-endian)::

    0      1 byte    format version (1)
    1      1 byte    length L of the KEK id
    2      L bytes   KEK id (ASCII)
    2+L    4 bytes   KEK version
    6+L    2 bytes   length W of the wrapped DEK
    8+L    W bytes   wrapped DEK (the KEK provider's AES-GCM: iv || ct || tag)
    8+L+W  12 bytes  nonce
    20+L+W rest      AES-256-GCM ciphertext || 16-byte tag

Stored as text: ``qxe1:<kek id>:<kek version>:<base64url of the layout>``. The clear prefix repeats what the
layout says (and must agree with it) so rotation can find rows by KEK version with an index-friendly
``LIKE 'qxe1:<id>:<v>:%'``.

The data ciphertext's associated data is the format version plus the context (table, column, row key), so a
value copied to another row or column fails to decrypt. The KEK id and version are not in it: re-wrapping a
DEK under a new KEK version rewrites only the header, never the data ciphertext. The wrapped DEK is itself
authenticated (its GCM associated data names the KEK id and version).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import DecryptionFailed, MalformedCiphertext
from .keyring import Keyring, get_keyring

FORMAT_VERSION = 1
TEXT_PREFIX = "qxe1"
NONCE_LEN = 12
TAG_LEN = 16
_KEK_ID = re.compile(r"^[A-Za-z0-9._-]{1,48}$")


@dataclass(frozen=True)
class Envelope:
    kek_id: str
    kek_version: int
    wrapped_dek: bytes
    nonce: bytes
    ciphertext: bytes

    def to_bytes(self) -> bytes:
        kek = self.kek_id.encode("ascii")
        return b"".join(
            [
                bytes([FORMAT_VERSION, len(kek)]),
                kek,
                self.kek_version.to_bytes(4, "big"),
                len(self.wrapped_dek).to_bytes(2, "big"),
                self.wrapped_dek,
                self.nonce,
                self.ciphertext,
            ]
        )

    @classmethod
    def from_bytes(cls, blob: bytes) -> Envelope:
        try:
            if blob[0] != FORMAT_VERSION:
                raise MalformedCiphertext(f"unknown envelope format version {blob[0]}")
            kek_len = blob[1]
            pos = 2
            kek_id = blob[pos : pos + kek_len].decode("ascii")
            pos += kek_len
            version = int.from_bytes(blob[pos : pos + 4], "big")
            pos += 4
            wrapped_len = int.from_bytes(blob[pos : pos + 2], "big")
            pos += 2
            wrapped = blob[pos : pos + wrapped_len]
            pos += wrapped_len
            nonce = blob[pos : pos + NONCE_LEN]
            pos += NONCE_LEN
            ciphertext = blob[pos:]
        except (IndexError, UnicodeDecodeError):
            raise MalformedCiphertext("envelope is truncated or corrupt") from None
        if (
            not _KEK_ID.match(kek_id)
            or len(wrapped) != wrapped_len
            or len(nonce) != NONCE_LEN
            or len(ciphertext) < TAG_LEN
        ):
            raise MalformedCiphertext("envelope is truncated or corrupt")
        return cls(kek_id=kek_id, kek_version=version, wrapped_dek=wrapped, nonce=nonce, ciphertext=ciphertext)

    def to_text(self) -> str:
        body = base64.urlsafe_b64encode(self.to_bytes()).rstrip(b"=").decode("ascii")
        return f"{version_prefix(kek_id=self.kek_id, version=self.kek_version)}{body}"

    @classmethod
    def from_text(cls, text: str) -> Envelope:
        parts = text.split(":", 3)
        if len(parts) != 4 or parts[0] != TEXT_PREFIX:
            raise MalformedCiphertext("stored value is not an encrypted envelope (unmigrated plaintext?)")
        try:
            blob = base64.urlsafe_b64decode(parts[3] + "=" * (-len(parts[3]) % 4))
        except (binascii.Error, ValueError):
            raise MalformedCiphertext("envelope body is not valid base64") from None
        envelope = cls.from_bytes(blob)
        if parts[1] != envelope.kek_id or parts[2] != str(envelope.kek_version):
            raise MalformedCiphertext("envelope prefix disagrees with its header")
        return envelope


def version_prefix(*, kek_id: str, version: int) -> str:
    """Return the text every stored value wrapped by ``kek_id`` v``version`` starts with."""
    return f"{TEXT_PREFIX}:{kek_id}:{version}:"


def is_envelope_text(value: object) -> bool:
    return isinstance(value, str) and value.startswith(TEXT_PREFIX + ":")


def context_aad(*, table: str, column: str, row: str) -> bytes:
    """Associated data binding a value to one column of one row (length-prefixed, so unambiguous)."""
    parts = [b"qenex-field", bytes([FORMAT_VERSION]), table.encode(), column.encode(), row.encode()]
    return b"".join(len(p).to_bytes(2, "big") + p for p in parts)


def encrypt(*, plaintext: bytes, aad: bytes, keyring: Keyring | None = None) -> Envelope:
    """Encrypt under a fresh DEK, wrapped by the current KEK version."""
    keyring = keyring or get_keyring()
    dek = AESGCM.generate_key(bit_length=256)
    version, wrapped = keyring.wrap(dek=dek)
    nonce = os.urandom(NONCE_LEN)
    ciphertext = AESGCM(dek).encrypt(nonce, plaintext, aad)
    return Envelope(kek_id=keyring.kek_id, kek_version=version, wrapped_dek=wrapped, nonce=nonce, ciphertext=ciphertext)


def decrypt(*, envelope: Envelope, aad: bytes, keyring: Keyring | None = None) -> bytes:
    keyring = keyring or get_keyring()
    dek = keyring.unwrap(kek_id=envelope.kek_id, version=envelope.kek_version, wrapped=envelope.wrapped_dek)
    try:
        return AESGCM(dek).decrypt(envelope.nonce, envelope.ciphertext, aad)
    except InvalidTag:
        raise DecryptionFailed(
            "ciphertext failed authentication: tampered, or moved from another row or column"
        ) from None


def rewrap(*, envelope: Envelope, version: int | None = None, keyring: Keyring | None = None) -> Envelope:
    """Return ``envelope`` with its DEK re-wrapped under ``version`` (default: current); data unchanged."""
    keyring = keyring or get_keyring()
    dek = keyring.unwrap(kek_id=envelope.kek_id, version=envelope.kek_version, wrapped=envelope.wrapped_dek)
    new_version, wrapped = keyring.wrap(dek=dek, version=version)
    return Envelope(
        kek_id=keyring.kek_id,
        kek_version=new_version,
        wrapped_dek=wrapped,
        nonce=envelope.nonce,
        ciphertext=envelope.ciphertext,
    )


def encrypt_text(*, plaintext: str, table: str, column: str, row: str, keyring: Keyring | None = None) -> str:
    aad = context_aad(table=table, column=column, row=row)
    return encrypt(plaintext=plaintext.encode("utf-8"), aad=aad, keyring=keyring).to_text()


def decrypt_text(*, stored: str, table: str, column: str, row: str, keyring: Keyring | None = None) -> str:
    aad = context_aad(table=table, column=column, row=row)
    try:
        return decrypt(envelope=Envelope.from_text(stored), aad=aad, keyring=keyring).decode("utf-8")
    except DecryptionFailed as exc:
        raise DecryptionFailed(f"{table}.{column} of row {row}: {exc.message}") from None
