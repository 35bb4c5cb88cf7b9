"""Envelope encryption with the development software KEK: format, binding to row and column, failures."""

from __future__ import annotations

import base64
import secrets

import pytest
from django.test import override_settings

from apps.security import envelope
from apps.security.errors import DecryptionFailed, KekUnavailable, MalformedCiphertext
from apps.security.keyring import Keyring, get_keyring, reset_keyring
from apps.security.providers import SoftwareKekProvider

CTX = {"table": "accounts_account", "column": "name", "row": "acc_1"}


def test_round_trip_and_stored_format(software_kek):
    stored = envelope.encrypt_text(plaintext="Zoë Müller", **CTX)
    assert "Zo" not in stored and "ller" not in stored
    env = envelope.Envelope.from_text(stored)
    raw = env.to_bytes()
    assert raw[0] == envelope.FORMAT_VERSION
    assert env.kek_id == get_keyring().kek_id and env.kek_version == 1
    assert len(env.nonce) == 12 and len(env.wrapped_dek) == 60
    assert stored.startswith(envelope.version_prefix(kek_id=env.kek_id, version=1))
    assert envelope.decrypt_text(stored=stored, **CTX) == "Zoë Müller"


def test_every_value_gets_its_own_data_key_and_nonce(software_kek):
    a = envelope.Envelope.from_text(envelope.encrypt_text(plaintext="same", **CTX))
    b = envelope.Envelope.from_text(envelope.encrypt_text(plaintext="same", **CTX))
    assert a.wrapped_dek != b.wrapped_dek and a.nonce != b.nonce and a.ciphertext != b.ciphertext


def test_wrong_kek_is_a_clear_error_not_garbage(software_kek):
    stored = envelope.encrypt_text(plaintext="Alice", **CTX)
    other = base64.b64encode(secrets.token_bytes(32)).decode()
    with override_settings(QENEX_KEK=other):
        with pytest.raises(DecryptionFailed, match="wrong KEK or tampered") as exc:
            envelope.decrypt_text(stored=stored, **CTX)
    assert exc.value.code == "decryption_failed"
    assert "Alice" not in str(exc.value)


def test_value_from_another_kek_id_names_the_missing_kek(software_kek):
    stored = envelope.encrypt_text(plaintext="Alice", **CTX)
    keyring = Keyring(provider=SoftwareKekProvider(root_key=secrets.token_bytes(32), kek_id="elsewhere"))
    with pytest.raises(KekUnavailable, match="dev-soft"):
        envelope.decrypt_text(stored=stored, keyring=keyring, **CTX)


@pytest.mark.parametrize("region", ["ciphertext", "nonce", "wrapped_dek"])
def test_tampered_value_is_refused(software_kek, region):
    env = envelope.Envelope.from_text(envelope.encrypt_text(plaintext="Alice", **CTX))
    data = bytearray(getattr(env, region))
    data[len(data) // 2] ^= 0x01
    tampered = envelope.Envelope(**{**env.__dict__, region: bytes(data)}).to_text()
    with pytest.raises(DecryptionFailed):
        envelope.decrypt_text(stored=tampered, **CTX)


def test_kek_version_in_header_cannot_be_changed(software_kek):
    env = envelope.Envelope.from_text(envelope.encrypt_text(plaintext="Alice", **CTX))
    moved = envelope.Envelope(**{**env.__dict__, "kek_version": 2}).to_text()
    with pytest.raises(DecryptionFailed):
        envelope.decrypt_text(stored=moved, **CTX)


def test_ciphertext_moved_to_another_row_or_column_is_refused(software_kek):
    stored = envelope.encrypt_text(plaintext="Alice", **CTX)
    with pytest.raises(DecryptionFailed, match="moved from another row or column"):
        envelope.decrypt_text(stored=stored, **{**CTX, "row": "acc_2"})
    with pytest.raises(DecryptionFailed):
        envelope.decrypt_text(stored=stored, **{**CTX, "column": "address"})
    with pytest.raises(DecryptionFailed):
        envelope.decrypt_text(stored=stored, **{**CTX, "table": "other_table"})


@pytest.mark.parametrize(
    "stored",
    ["Alice", "qxe1:dev-soft:1:", "qxe1:dev-soft:1:AAAA", "qxe1:dev-soft:1:!!!", "qxe2:dev-soft:1:AAAA"],
)
def test_malformed_values_are_refused(software_kek, stored):
    with pytest.raises(MalformedCiphertext):
        envelope.decrypt_text(stored=stored, **CTX)


def test_prefix_must_agree_with_header(software_kek):
    stored = envelope.encrypt_text(plaintext="Alice", **CTX)
    forged = stored.replace("qxe1:dev-soft:1:", "qxe1:dev-soft:7:", 1)
    with pytest.raises(MalformedCiphertext, match="disagrees"):
        envelope.decrypt_text(stored=forged, **CTX)


def test_rewrap_changes_only_the_key_wrapping(software_kek):
    env = envelope.Envelope.from_text(envelope.encrypt_text(plaintext="Alice", **CTX))
    moved = envelope.rewrap(envelope=env, version=2)
    assert moved.kek_version == 2 and moved.ciphertext == env.ciphertext and moved.nonce == env.nonce
    assert envelope.decrypt_text(stored=moved.to_text(), **CTX) == "Alice"


def test_development_kek_is_generated_once_into_var_with_private_mode(db, tmp_path):
    with override_settings(VAR_DIR=tmp_path, QENEX_KEK="", QENEX_KEK_PROVIDER="software"):
        reset_keyring()
        stored = envelope.encrypt_text(plaintext="Alice", **CTX)
        key_file = tmp_path / "dev-kek"
        assert key_file.stat().st_mode & 0o077 == 0
        first = key_file.read_text()
        reset_keyring()
        assert envelope.decrypt_text(stored=stored, **CTX) == "Alice"
        assert key_file.read_text() == first
    reset_keyring()
