"""The process-wide keyring: the configured KEK provider, the current KEK version, and a DEK cache."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

from . import conf
from .errors import KekUnavailable
from .providers import HsmKekProvider, KekProvider, SoftwareKekProvider

logger = logging.getLogger(__name__)


class Keyring:
    """Wrap new data keys under the current KEK version; unwrap under whichever version a value names."""

    def __init__(self, *, provider: KekProvider, version_cache_seconds: float = 30.0, dek_cache_size: int = 1024):
        self.provider = provider
        self._version_ttl = version_cache_seconds
        self._version: tuple[int, float] | None = None
        self._dek_cache: OrderedDict[tuple[int, bytes], bytes] = OrderedDict()
        self._dek_cache_size = dek_cache_size
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Keyring({self.provider!r})"

    @property
    def kek_id(self) -> str:
        return self.provider.kek_id

    def current_version(self) -> int:
        from .selectors import kek_current_version

        now = time.monotonic()
        cached = self._version
        if cached is not None and now - cached[1] < self._version_ttl:
            return cached[0]
        version = kek_current_version(kek_id=self.kek_id)
        self._version = (version, now)
        return version

    def forget_current_version(self) -> None:
        self._version = None

    def wrap(self, *, dek: bytes, version: int | None = None) -> tuple[int, bytes]:
        """Wrap ``dek`` under ``version`` (default: the current version); return ``(version, wrapped)``."""
        version = self.current_version() if version is None else version
        return version, self.provider.wrap(version=version, dek=dek)

    def unwrap(self, *, kek_id: str, version: int, wrapped: bytes) -> bytes:
        if kek_id != self.kek_id:
            raise KekUnavailable(
                f"value was wrapped by KEK {kek_id!r} v{version} but this process holds {self.kek_id!r} "
                f"({self.provider.kind}); configure that KEK to read it"
            )
        key = (version, wrapped)
        with self._lock:
            dek = self._dek_cache.get(key)
            if dek is not None:
                self._dek_cache.move_to_end(key)
                return dek
        dek = self.provider.unwrap(version=version, wrapped=wrapped)
        if self._dek_cache_size > 0:
            with self._lock:
                self._dek_cache[key] = dek
                while len(self._dek_cache) > self._dek_cache_size:
                    self._dek_cache.popitem(last=False)
        return dek

    def close(self) -> None:
        with self._lock:
            self._dek_cache.clear()
        close = getattr(self.provider, "close", None)
        if close is not None:
            close()


_keyring: Keyring | None = None
_keyring_lock = threading.Lock()


def build_keyring() -> Keyring:
    """Build a keyring from the configuration, enforcing the production policy."""
    provider: KekProvider
    if conf.selected_provider() == conf.PROVIDER_HSM:
        provider = HsmKekProvider(config=conf.hsm_config())
    else:
        provider = SoftwareKekProvider(root_key=conf.software_kek())
        if conf.production():
            logger.warning("DEVELOPMENT-ONLY software KEK in production (QENEX_ALLOW_SOFTWARE_KEK_IN_PRODUCTION)")
    return Keyring(
        provider=provider, version_cache_seconds=conf.version_cache_seconds(), dek_cache_size=conf.dek_cache_size()
    )


def get_keyring() -> Keyring:
    global _keyring
    keyring = _keyring
    if keyring is None:
        with _keyring_lock:
            if _keyring is None:
                _keyring = build_keyring()
            keyring = _keyring
    return keyring


def reset_keyring() -> None:
    """Drop the process keyring (and cached keys); the next use rebuilds it from the configuration."""
    global _keyring
    from . import subject_keys
    from .blind_index import reset_index_key

    with _keyring_lock:
        old, _keyring = _keyring, None
    if old is not None:
        old.close()
    subject_keys.forget()  # unwrapped subject keys came from the old keyring
    reset_index_key()


def reset_on_setting_change(*, setting: str, **kwargs) -> None:
    if setting.startswith("QENEX_") or setting in {"PRODUCTION", "VAR_DIR"}:
        reset_keyring()
