"""Key-encryption-key providers: wrap and unwrap 32-byte data keys under a versioned KEK.

Both providers wrap with AES-256-GCM: ``wrapped = iv(12) || ciphertext(32) || tag(16)``, with associated
data naming the KEK and its version, so a wrapped DEK cannot be presented as wrapped by another version.

``HsmKekProvider`` keeps the KEK inside a PKCS#11 token (SENSITIVE, not EXTRACTABLE): the DEK goes in, the
wrapped DEK comes out, and the KEK never leaves the HSM. ``SoftwareKekProvider`` is for development only.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .conf import SOFTWARE_KEK_ID, HsmConfig
from .errors import DecryptionFailed, KekUnavailable

logger = logging.getLogger(__name__)

IV_LEN = 12
TAG_LEN = 16
DEK_LEN = 32
WRAPPED_LEN = IV_LEN + DEK_LEN + TAG_LEN


def wrap_aad(*, kek_id: str, version: int) -> bytes:
    return b"qenex-dek-wrap\x00" + kek_id.encode() + b"\x00" + version.to_bytes(4, "big")


class KekProvider(Protocol):
    kek_id: str
    kind: str

    def wrap(self, *, version: int, dek: bytes) -> bytes: ...

    def unwrap(self, *, version: int, wrapped: bytes) -> bytes: ...

    def create_version(self, *, version: int) -> bool: ...

    def has_version(self, *, version: int) -> bool: ...


class SoftwareKekProvider:
    """DEVELOPMENT ONLY: the KEK is a secret in process memory. Version N is HKDF(root, "v<N>")."""

    kind = "software"

    def __init__(self, *, root_key: bytes, kek_id: str = SOFTWARE_KEK_ID):
        self.kek_id = kek_id
        self._root = root_key
        self._keys: dict[int, AESGCM] = {}

    def __repr__(self) -> str:
        return f"SoftwareKekProvider(kek_id={self.kek_id!r})"

    def _aead(self, version: int) -> AESGCM:
        if version not in self._keys:
            info = b"qenex-software-kek\x00" + version.to_bytes(4, "big")
            key = HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(self._root)
            self._keys[version] = AESGCM(key)
        return self._keys[version]

    def wrap(self, *, version: int, dek: bytes) -> bytes:
        iv = os.urandom(IV_LEN)
        return iv + self._aead(version).encrypt(iv, dek, wrap_aad(kek_id=self.kek_id, version=version))

    def unwrap(self, *, version: int, wrapped: bytes) -> bytes:
        if len(wrapped) != WRAPPED_LEN:
            raise DecryptionFailed("wrapped data key has the wrong length")
        try:
            return self._aead(version).decrypt(
                wrapped[:IV_LEN], wrapped[IV_LEN:], wrap_aad(kek_id=self.kek_id, version=version)
            )
        except InvalidTag:
            raise DecryptionFailed(
                f"data key does not unwrap under KEK {self.kek_id} v{version}: wrong KEK or tampered value"
            ) from None

    def create_version(self, *, version: int) -> bool:
        return True  # every version is derived from the root key

    def has_version(self, *, version: int) -> bool:
        return version >= 1

    def fingerprint(self) -> str:
        """A non-secret identifier of the root key, to tell two software KEKs apart in messages."""
        return hashlib.sha256(b"qenex-kek-fingerprint\x00" + self._root).hexdigest()[:12]


class HsmKekProvider:
    """The KEK is an AES-256 key in a PKCS#11 token, found by label ``<kek_label>.v<version>``.

    One logged-in session per process, used under a lock (PKCS#11 sessions are not thread-safe) and reopened
    after a fork or a lost session. The token is found by label, never by slot number.
    """

    kind = "hsm"

    def __init__(self, *, config: HsmConfig):
        self.kek_id = config.kek_label
        self._config = config
        self._lock = threading.RLock()
        self._session = None
        self._pid = 0
        self._keys: dict[int, object] = {}

    def __repr__(self) -> str:
        return f"HsmKekProvider(token={self._config.token_label!r}, kek_label={self.kek_id!r})"

    def label(self, version: int) -> str:
        return f"{self.kek_id}.v{version}"

    def _open(self):
        try:
            import pkcs11
        except ImportError:
            raise KekUnavailable("python-pkcs11 is not installed; the HSM key provider needs it") from None
        if self._session is not None and self._pid == os.getpid():
            return self._session
        self._keys.clear()
        self._session = None
        try:
            lib = pkcs11.lib(self._config.module)
        except (OSError, RuntimeError) as exc:
            raise KekUnavailable(f"PKCS#11 module {self._config.module!r} cannot be loaded: {exc}") from None
        try:
            token = lib.get_token(token_label=self._config.token_label)
            try:
                self._session = token.open(rw=True, user_pin=self._config.pin)
            except pkcs11.exceptions.UserAlreadyLoggedIn:
                # PKCS#11 login is per application: another session of this process is already logged in.
                self._session = token.open(rw=True)
        except pkcs11.exceptions.NoSuchToken:
            raise KekUnavailable(f"no HSM token labelled {self._config.token_label!r}") from None
        except (pkcs11.exceptions.PinIncorrect, pkcs11.exceptions.PinInvalid, pkcs11.exceptions.PinLenRange):
            raise KekUnavailable(f"the HSM refused the PIN for token {self._config.token_label!r}") from None
        except pkcs11.exceptions.PinLocked:
            raise KekUnavailable(f"the PIN of HSM token {self._config.token_label!r} is locked") from None
        except pkcs11.exceptions.PKCS11Error as exc:
            raise KekUnavailable(f"HSM token {self._config.token_label!r}: {type(exc).__name__}") from None
        self._pid = os.getpid()
        return self._session

    def _key(self, version: int):
        import pkcs11
        from pkcs11 import KeyType, ObjectClass

        if version in self._keys:
            return self._keys[version]
        session = self._open()
        try:
            key = session.get_key(object_class=ObjectClass.SECRET_KEY, key_type=KeyType.AES, label=self.label(version))
        except pkcs11.exceptions.NoSuchKey:
            raise KekUnavailable(
                f"HSM token {self._config.token_label!r} holds no AES key labelled {self.label(version)!r}"
            ) from None
        except pkcs11.exceptions.MultipleObjectsReturned:
            raise KekUnavailable(f"HSM holds more than one key labelled {self.label(version)!r}") from None
        self._keys[version] = key
        return key

    def _run(self, operation):
        """Run ``operation`` under the lock; reopen the session once if the token dropped it."""
        import pkcs11

        with self._lock:
            try:
                return operation()
            except (pkcs11.exceptions.SessionHandleInvalid, pkcs11.exceptions.SessionClosed):
                logger.warning("HSM session lost; reopening")
                self._session = None
                return operation()

    def wrap(self, *, version: int, dek: bytes) -> bytes:
        from pkcs11 import GCMParams, Mechanism

        def operation() -> bytes:
            iv = os.urandom(IV_LEN)
            params = GCMParams(iv, wrap_aad(kek_id=self.kek_id, version=version), TAG_LEN * 8)
            return iv + bytes(self._key(version).encrypt(dek, mechanism=Mechanism.AES_GCM, mechanism_param=params))

        return self._run(operation)

    def unwrap(self, *, version: int, wrapped: bytes) -> bytes:
        import pkcs11
        from pkcs11 import GCMParams, Mechanism

        if len(wrapped) != WRAPPED_LEN:
            raise DecryptionFailed("wrapped data key has the wrong length")

        def operation() -> bytes:
            params = GCMParams(wrapped[:IV_LEN], wrap_aad(kek_id=self.kek_id, version=version), TAG_LEN * 8)
            try:
                return bytes(
                    self._key(version).decrypt(wrapped[IV_LEN:], mechanism=Mechanism.AES_GCM, mechanism_param=params)
                )
            except (
                pkcs11.exceptions.EncryptedDataInvalid,
                pkcs11.exceptions.FunctionFailed,
                pkcs11.exceptions.GeneralError,  # SoftHSM 2.6 reports a GCM tag mismatch this way
            ):
                raise DecryptionFailed(
                    f"data key does not unwrap under HSM KEK {self.label(version)}: wrong KEK or tampered value"
                ) from None

        return self._run(operation)

    def has_version(self, *, version: int) -> bool:
        try:
            self._run(lambda: self._key(version))
        except KekUnavailable:
            return False
        return True

    def create_version(self, *, version: int) -> bool:
        """Generate ``<label>.v<version>`` inside the HSM (non-extractable); return False if it exists."""
        from pkcs11 import Attribute, KeyType, MechanismFlag

        def operation() -> bool:
            try:
                self._key(version)
                return False
            except KekUnavailable:
                pass
            session = self._open()
            session.generate_key(
                KeyType.AES,
                256,
                label=self.label(version),
                store=True,
                capabilities=MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT,
                template={
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.ENCRYPT: True,
                    Attribute.DECRYPT: True,
                    Attribute.WRAP: False,
                    Attribute.UNWRAP: False,
                },
            )
            self._keys.pop(version, None)
            logger.info("created HSM KEK %s on token %s", self.label(version), self._config.token_label)
            return True

        return self._run(operation)

    def close(self) -> None:
        with self._lock:
            if self._session is not None and self._pid == os.getpid():
                try:
                    self._session.close()
                except Exception:  # noqa: BLE001 - closing a dead session must not mask the caller's error
                    logger.debug("closing the HSM session failed", exc_info=True)
            self._session = None
            self._keys.clear()
