"""The production model of this process: loaded once, re-checked every ``QENEX_FRAUD_MODEL_REFRESH_SECONDS``.

With fraud detection switched off (``QENEX_ENABLE_FRAUD_DETECTION`` / ``features.fraud_detection``) nothing is read
and ``current()`` is None at no cost; with it on, at most one query per refresh period asks which version is in
production. An artifact is loaded only when its SHA-256 matches the registry's (a pickle runs code when loaded),
and a version that fails to load is reported (status, log) and scores nothing: the checks pass.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from . import selectors
from .features import FEATURE_NAMES
from .model import FORMAT, FraudModel, sha256, single_threaded

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    version: str
    model: FraudModel


_lock = threading.Lock()
_state: dict = {"checked": -1e18, "version": None, "loaded": None, "error": ""}


def enabled() -> bool:
    return bool(settings.QENEX_FEATURES.get("fraud_detection"))


_artifacts: dict[str, FraudModel] = {}  # by SHA-256: the artifacts this process loaded (at most a few)


def load_artifact(path: str | Path, *, expected_sha256: str) -> FraudModel:
    import io

    import joblib

    data = Path(path).read_bytes()
    if sha256(data) != expected_sha256:
        raise ValueError(f"{path}: SHA-256 does not match the registry; not loaded")
    if expected_sha256 in _artifacts:  # the same bytes were loaded before (a promotion checks, then scores)
        return _artifacts[expected_sha256]
    model = joblib.load(io.BytesIO(data))
    if not isinstance(model, FraudModel):
        raise ValueError(f"{path}: not a fraud model artifact")
    if getattr(model, "format", None) != FORMAT or tuple(model.feature_names) != FEATURE_NAMES:
        raise ValueError(f"{path}: model format {getattr(model, 'format', None)} with other features than this code "
                         f"computes (format {FORMAT}); train it again")
    single_threaded()
    if len(_artifacts) >= 4:
        _artifacts.clear()
    _artifacts[expected_sha256] = model
    return model


def current() -> Loaded | None:
    """The production model, or None (switched off, none promoted, or it failed to load)."""
    if not enabled():
        return None
    now = time.monotonic()
    if now - _state["checked"] < settings.QENEX_FRAUD_MODEL_REFRESH_SECONDS:
        return _state["loaded"]
    with _lock:
        if now - _state["checked"] < settings.QENEX_FRAUD_MODEL_REFRESH_SECONDS:
            return _state["loaded"]
        row = selectors.production_model()
        if row is None:
            _state.update(version=None, loaded=None, error="")
        elif row.version != _state["version"]:
            try:
                _state.update(version=row.version, error="",
                              loaded=Loaded(row.version, load_artifact(row.artifact_path, expected_sha256=row.sha256)))
            except (OSError, ValueError, EOFError, ImportError, AttributeError) as exc:
                logger.error("fraud model %s could not be loaded: %s", row.version, exc)
                _state.update(version=row.version, loaded=None, error=str(exc))
        _state["checked"] = now
        return _state["loaded"]


def status() -> dict:
    """What the system status reports: the version loaded, or "no model" (and why)."""
    if not enabled():
        return {"model": "no model", "detail": "switched off"}
    loaded = current()
    if loaded is not None:
        return {"model": loaded.version}
    return {"model": "no model", "detail": _state["error"] or "no model version is promoted"}


def clear() -> None:
    """Forget the loaded model (after a promotion or rollback; tests)."""
    with _lock:
        _state.update(checked=-1e18, version=None, loaded=None, error="")
