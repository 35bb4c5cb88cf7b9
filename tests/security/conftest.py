"""A real SoftHSM2 token for the data-protection tests.

The session fixture creates a private token directory and ``softhsm2.conf``, sets ``SOFTHSM2_CONF`` before
the PKCS#11 module is loaded, initialises a token by label and creates KEK v1 inside it. Tests that use
``hsm`` get the settings pointed at that token. Without softhsm2 (or python-pkcs11) the HSM tests FAIL, so CI
cannot pass without them; set ``QENEX_ALLOW_NO_HSM=1`` to skip them instead on a developer machine.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import override_settings

from apps.security.conf import DEFAULT_HSM_MODULE
from apps.security.keyring import reset_keyring

TOKEN_LABEL = "qenex-test"
KEK_LABEL = "qenex-test-kek"


@dataclass(frozen=True)
class HsmToken:
    module: str
    token_label: str
    pin: str
    kek_label: str
    conf_path: Path

    def settings(self, **extra) -> dict:
        return {
            "QENEX_KEK_PROVIDER": "hsm",
            "QENEX_HSM_MODULE": self.module,
            "QENEX_HSM_TOKEN_LABEL": self.token_label,
            "QENEX_HSM_PIN": self.pin,
            "QENEX_HSM_KEK_LABEL": self.kek_label,
            "QENEX_KEK_VERSION_CACHE_SECONDS": "0",
            **extra,
        }


def _unavailable(reason: str):
    if os.environ.get("QENEX_ALLOW_NO_HSM") == "1":
        pytest.skip(f"{reason} (skipped because QENEX_ALLOW_NO_HSM=1)")
    pytest.fail(
        f"{reason}. The HSM tests need SoftHSM2: apt-get install -y softhsm2 (and pip install python-pkcs11). "
        "Set QENEX_ALLOW_NO_HSM=1 to skip them on a machine without it.",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def hsm_token(tmp_path_factory) -> HsmToken:
    module = os.environ.get("QENEX_HSM_MODULE", DEFAULT_HSM_MODULE)
    util = shutil.which("softhsm2-util")
    if util is None or not Path(module).exists():
        _unavailable(
            f"SoftHSM2 is not installed (softhsm2-util={util}, module {module} exists={Path(module).exists()})"
        )
    try:
        import pkcs11
    except ImportError:
        _unavailable("python-pkcs11 is not installed")

    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    conf_path = root / "softhsm2.conf"
    conf_path.write_text(
        f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
        "slots.removable = false\n"
    )
    # Must be set before pkcs11.lib() loads the module: SoftHSM reads it once per process.
    os.environ["SOFTHSM2_CONF"] = str(conf_path)
    pin = secrets.token_hex(8)
    subprocess.run(
        [util, "--init-token", "--free", "--label", TOKEN_LABEL, "--pin", pin, "--so-pin", secrets.token_hex(8)],
        check=True,
        capture_output=True,
        env={**os.environ, "SOFTHSM2_CONF": str(conf_path)},
    )
    token = pkcs11.lib(module).get_token(token_label=TOKEN_LABEL)  # by label: the slot number is random
    assert token.label == TOKEN_LABEL
    return HsmToken(module=module, token_label=TOKEN_LABEL, pin=pin, kek_label=KEK_LABEL, conf_path=conf_path)


@pytest.fixture
def hsm(hsm_token, db):
    """Point the data-protection settings at the SoftHSM token, with KEK v1 created in it."""
    from apps.security.services import kek_init

    with override_settings(**hsm_token.settings()):
        reset_keyring()
        kek_init(actor="test")
        yield hsm_token
    reset_keyring()


@pytest.fixture
def software_kek(db):
    """A fresh development software KEK (``QENEX_KEK``) for one test."""
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    with override_settings(QENEX_KEK_PROVIDER="software", QENEX_KEK=key, QENEX_KEK_VERSION_CACHE_SECONDS="0"):
        reset_keyring()
        yield key
    reset_keyring()
