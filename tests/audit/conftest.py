from __future__ import annotations

import pytest

from apps.audit.signing import write_key_file


@pytest.fixture
def signing_key_file(tmp_path, monkeypatch):
    """A fresh checkpoint signing key, configured the production way (QENEX_AUDIT_SIGNING_KEY_FILE)."""
    path = tmp_path / "audit.key"
    write_key_file(path)
    monkeypatch.setenv("QENEX_AUDIT_SIGNING_KEY_FILE", str(path))
    monkeypatch.delenv("QENEX_AUDIT_TRUSTED_KEYS_FILE", raising=False)
    return path
