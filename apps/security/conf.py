"""Data-protection configuration: which KEK provider, where the HSM is, the index key, the policy.

Each value is read from the Django setting of the same name when one is defined (tests use
``override_settings``), otherwise from the environment variable of that name:

- ``QENEX_KEK_PROVIDER``: ``hsm`` or ``software``. Unset: ``hsm`` when ``QENEX_HSM_TOKEN_LABEL`` is set or in
  production, else ``software``.
- ``QENEX_HSM_MODULE`` (default ``/usr/lib/softhsm/libsofthsm2.so``), ``QENEX_HSM_TOKEN_LABEL``,
  ``QENEX_HSM_PIN`` or ``QENEX_HSM_PIN_FILE``, ``QENEX_HSM_KEK_LABEL`` (default ``qenex-kek``; version N of
  the KEK is the HSM key labelled ``<label>.v<N>``).
- ``QENEX_KEK``: base64 of 32 bytes, the DEVELOPMENT-ONLY software KEK. Refused in production unless
  ``QENEX_ALLOW_SOFTWARE_KEK_IN_PRODUCTION=true``. In development and test, when unset, one is generated
  into ``var/dev-kek``.
- ``QENEX_BLIND_INDEX_KEY`` or ``QENEX_BLIND_INDEX_KEY_FILE``: base64 of 32 bytes, the HMAC key of the blind
  indexes. Required in production; generated into ``var/dev-blind-index-key`` in development and test.
- ``QENEX_BLIND_INDEX_PREVIOUS_KEY`` or ``QENEX_BLIND_INDEX_PREVIOUS_KEY_FILE``: during a re-key only, the key
  the stored indexes were computed under before ``QENEX_BLIND_INDEX_KEY`` was replaced. Look-ups then match
  either digest, new indexes use the current key, and ``manage.py rekey_blind_index`` recomputes the stored
  ones; remove it when the command reports the re-key complete.
- ``QENEX_KEK_VERSION_CACHE_SECONDS`` (default 30): how long a process trusts its idea of the current KEK
  version. ``QENEX_DEK_CACHE_SIZE`` (default 1024, 0 = off): unwrapped DEKs kept in memory per process.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PROVIDER_HSM = "hsm"
PROVIDER_SOFTWARE = "software"
DEFAULT_HSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
DEFAULT_KEK_LABEL = "qenex-kek"
SOFTWARE_KEK_ID = "dev-soft"

_TRUE = {"1", "true", "yes", "on"}


def _setting(name: str, default: str | None = None) -> str | None:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    if value is None or value == "":
        return default
    return str(value)


def _flag(name: str) -> bool:
    return (_setting(name, "") or "").strip().lower() in _TRUE


def production() -> bool:
    return bool(getattr(settings, "PRODUCTION", True))


def _decode_key(raw: str, *, name: str) -> bytes:
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{name} must be base64 of 32 random bytes") from None
    if len(key) != 32:
        raise ImproperlyConfigured(f"{name} must be base64 of exactly 32 bytes (got {len(key)})")
    return key


def _dev_key_file(filename: str) -> bytes:
    """Return the key kept in ``var/<filename>``, creating it (mode 0600) on first use. Never in production."""
    var_dir = Path(getattr(settings, "VAR_DIR", Path.cwd() / "var"))
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / filename
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
    return _decode_key(path.read_text(), name=str(path))


def _pin() -> str | None:
    pin = _setting("QENEX_HSM_PIN")
    if pin:
        return pin
    pin_file = _setting("QENEX_HSM_PIN_FILE")
    if pin_file:
        try:
            return Path(pin_file).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"QENEX_HSM_PIN_FILE={pin_file!r} cannot be read: {exc.strerror}") from None
    return None


@dataclass(frozen=True)
class HsmConfig:
    module: str
    token_label: str
    kek_label: str
    pin: str = field(repr=False)


def selected_provider() -> str:
    """Return ``hsm`` or ``software`` from the configuration, without checking the policy."""
    explicit = (_setting("QENEX_KEK_PROVIDER", "") or "").strip().lower()
    if explicit:
        if explicit not in {PROVIDER_HSM, PROVIDER_SOFTWARE}:
            raise ImproperlyConfigured(f"QENEX_KEK_PROVIDER={explicit!r}: use 'hsm' or 'software'")
        return explicit
    if _setting("QENEX_HSM_TOKEN_LABEL"):
        return PROVIDER_HSM
    if production():
        return PROVIDER_SOFTWARE if _setting("QENEX_KEK") else PROVIDER_HSM
    return PROVIDER_SOFTWARE


def software_kek_allowed_in_production() -> bool:
    return _flag("QENEX_ALLOW_SOFTWARE_KEK_IN_PRODUCTION")


def check_software_policy() -> None:
    """Refuse the development-only software KEK in production unless explicitly overridden."""
    if production() and not software_kek_allowed_in_production():
        raise ImproperlyConfigured(
            "The software KEK (QENEX_KEK / QENEX_KEK_PROVIDER=software) is for development only and is refused in "
            "production. Configure the HSM (QENEX_HSM_TOKEN_LABEL, QENEX_HSM_PIN or QENEX_HSM_PIN_FILE, "
            "QENEX_HSM_KEK_LABEL) or, knowingly, set QENEX_ALLOW_SOFTWARE_KEK_IN_PRODUCTION=true."
        )


def hsm_config() -> HsmConfig:
    token_label = _setting("QENEX_HSM_TOKEN_LABEL")
    pin = _pin()
    missing = [name for name, value in (("QENEX_HSM_TOKEN_LABEL", token_label), ("QENEX_HSM_PIN", pin)) if not value]
    if missing:
        raise ImproperlyConfigured(
            f"The HSM key provider needs {' and '.join(missing)} (or QENEX_HSM_PIN_FILE for the PIN)"
            + ("; production mode requires an HSM-held KEK" if production() else "")
        )
    kek_label = _setting("QENEX_HSM_KEK_LABEL", DEFAULT_KEK_LABEL) or DEFAULT_KEK_LABEL
    if not kek_label.replace("-", "").replace("_", "").replace(".", "").isalnum() or len(kek_label) > 48:
        raise ImproperlyConfigured("QENEX_HSM_KEK_LABEL must be 1-48 characters of letters, digits, '-', '_', '.'")
    return HsmConfig(
        module=_setting("QENEX_HSM_MODULE", DEFAULT_HSM_MODULE) or DEFAULT_HSM_MODULE,
        token_label=token_label or "",
        kek_label=kek_label,
        pin=pin or "",
    )


def software_kek() -> bytes:
    """Return the development-only software KEK: ``QENEX_KEK`` or, outside production, ``var/dev-kek``."""
    check_software_policy()
    raw = _setting("QENEX_KEK")
    if raw:
        return _decode_key(raw, name="QENEX_KEK")
    if production():
        raise ImproperlyConfigured("QENEX_KEK is not set; production never generates a key")
    return _dev_key_file("dev-kek")


def _configured_key(name: str) -> bytes | None:
    """The key in ``<name>`` (base64) or in the file ``<name>_FILE``; None when neither is set."""
    raw = _setting(name)
    if raw:
        return _decode_key(raw, name=name)
    path = _setting(f"{name}_FILE")
    if path:
        try:
            return _decode_key(Path(path).read_text(), name=f"{name}_FILE")
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc.strerror}") from None
    return None


def blind_index_key() -> bytes:
    key = _configured_key("QENEX_BLIND_INDEX_KEY")
    if key is not None:
        return key
    if production():
        raise ImproperlyConfigured(
            "QENEX_BLIND_INDEX_KEY (or QENEX_BLIND_INDEX_KEY_FILE) is required in production: base64 of 32 random "
            "bytes, kept apart from the KEK"
        )
    return _dev_key_file("dev-blind-index-key")


def blind_index_previous_key() -> bytes | None:
    """The index key being replaced, configured only while a re-key runs (None otherwise)."""
    key = _configured_key("QENEX_BLIND_INDEX_PREVIOUS_KEY")
    if key is not None and key == blind_index_key():
        raise ImproperlyConfigured(
            "QENEX_BLIND_INDEX_PREVIOUS_KEY equals QENEX_BLIND_INDEX_KEY: set the new key as QENEX_BLIND_INDEX_KEY "
            "and the old one as QENEX_BLIND_INDEX_PREVIOUS_KEY"
        )
    return key


def version_cache_seconds() -> float:
    return float(_setting("QENEX_KEK_VERSION_CACHE_SECONDS", "30") or 30)


def dek_cache_size() -> int:
    return int(_setting("QENEX_DEK_CACHE_SIZE", "1024") or 0)


def key_rotation_days() -> int:
    return int(settings.QENEX["security"]["key_rotation_days"])


def check_startup_policy() -> None:
    """Fail start-up on a configuration that production must never run with.

    In production a software KEK without the override, or an HSM provider with an incomplete configuration,
    raises :class:`ImproperlyConfigured`. A production process with no key configuration at all still starts
    (``manage.py check`` must run before the secrets are mounted) but every encryption and decryption then
    fails closed with the same error.
    """
    if not production():
        return
    provider = selected_provider()
    if provider == PROVIDER_SOFTWARE:
        check_software_policy()
        software_kek()
    elif _setting("QENEX_KEK_PROVIDER") or _setting("QENEX_HSM_TOKEN_LABEL"):
        hsm_config()
