"""Which KEK a process may use: production refuses the development software KEK without an override."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from apps.security import conf
from apps.security.blind_index import blind_index
from apps.security.keyring import build_keyring, reset_keyring

ROOT = Path(__file__).resolve().parents[2]
KEY = base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture(autouse=True)
def _fresh_keyring():
    reset_keyring()
    yield
    reset_keyring()


def test_production_with_software_kek_and_no_override_refuses_to_start():
    with override_settings(PRODUCTION=True, QENEX_KEK=KEY):
        with pytest.raises(ImproperlyConfigured, match="development only"):
            conf.check_startup_policy()
        with pytest.raises(ImproperlyConfigured, match="development only"):
            build_keyring()


def test_production_with_explicit_software_provider_refuses_to_start():
    with override_settings(PRODUCTION=True, QENEX_KEK_PROVIDER="software", QENEX_KEK=KEY):
        with pytest.raises(ImproperlyConfigured):
            conf.check_startup_policy()


def test_production_software_kek_needs_the_explicit_override():
    with override_settings(PRODUCTION=True, QENEX_KEK=KEY, QENEX_ALLOW_SOFTWARE_KEK_IN_PRODUCTION="true"):
        conf.check_startup_policy()
        assert build_keyring().provider.kind == "software"


def test_production_never_generates_a_software_kek(tmp_path):
    with override_settings(
        PRODUCTION=True, QENEX_KEK_PROVIDER="software", QENEX_ALLOW_SOFTWARE_KEK_IN_PRODUCTION="true", VAR_DIR=tmp_path
    ):
        with pytest.raises(ImproperlyConfigured, match="QENEX_KEK is not set"):
            build_keyring()
    assert not (tmp_path / "dev-kek").exists()


def test_production_defaults_to_the_hsm_and_fails_closed_without_its_configuration():
    with override_settings(PRODUCTION=True):
        assert conf.selected_provider() == "hsm"
        conf.check_startup_policy()  # nothing configured: `manage.py check` still runs ...
        with pytest.raises(ImproperlyConfigured, match="QENEX_HSM_TOKEN_LABEL"):
            build_keyring()  # ... but no value can be encrypted or decrypted


def test_production_hsm_with_incomplete_configuration_refuses_to_start():
    with override_settings(PRODUCTION=True, QENEX_HSM_TOKEN_LABEL="bank"):
        with pytest.raises(ImproperlyConfigured, match="QENEX_HSM_PIN"):
            conf.check_startup_policy()


def test_hsm_pin_can_come_from_a_file(tmp_path):
    pin_file = tmp_path / "pin"
    pin_file.write_text("123456\n")
    with override_settings(QENEX_HSM_TOKEN_LABEL="bank", QENEX_HSM_PIN_FILE=str(pin_file)):
        assert conf.hsm_config().pin == "123456"
        assert "123456" not in repr(conf.hsm_config())


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"short").decode()])
def test_malformed_software_kek_is_refused(bad):
    with override_settings(QENEX_KEK=bad, QENEX_KEK_PROVIDER="software"):
        with pytest.raises(ImproperlyConfigured, match="32"):
            build_keyring()


def test_unknown_provider_is_refused():
    with override_settings(QENEX_KEK_PROVIDER="vault"):
        with pytest.raises(ImproperlyConfigured, match="hsm"):
            conf.selected_provider()


def test_production_requires_a_blind_index_key():
    with override_settings(PRODUCTION=True):
        with pytest.raises(ImproperlyConfigured, match="QENEX_BLIND_INDEX_KEY"):
            blind_index(value="Alice", purpose="t")
    with override_settings(PRODUCTION=True, QENEX_BLIND_INDEX_KEY=KEY):
        assert len(blind_index(value="Alice", purpose="t")) == 64


def test_manage_py_refuses_to_start_in_production_with_the_software_kek(tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("QENEX_", "DJANGO_", "DATABASE_URL"))}
    env = {
        **base,
        "QENEX_ENV": "production",
        "QENEX_SECRET_KEY": secrets.token_urlsafe(64),
        "QENEX_ALLOWED_HOSTS": "bank.example",
        "QENEX_VAR_DIR": str(tmp_path),
        "QENEX_KEK": KEY,
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 2  # manage.py's exit code for ImproperlyConfigured
    assert "software KEK" in result.stderr and "refused in production" in result.stderr
