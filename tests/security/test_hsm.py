"""The KEK in a real SoftHSM2 token (PKCS#11): wrap and unwrap happen inside it; it never leaves it."""

from __future__ import annotations

import pytest
from django.test import override_settings

from apps.security import envelope
from apps.security.errors import DecryptionFailed, KekUnavailable
from apps.security.keyring import get_keyring, reset_keyring

CTX = {"table": "accounts_account", "column": "name", "row": "acc_hsm"}


def _hsm_key(hsm_token, label):
    import pkcs11
    from pkcs11 import KeyType, ObjectClass

    token = pkcs11.lib(hsm_token.module).get_token(token_label=hsm_token.token_label)
    try:
        session = token.open(user_pin=hsm_token.pin, rw=True)
    except pkcs11.exceptions.UserAlreadyLoggedIn:  # the keyring's session logged this process in
        session = token.open(rw=True)
    return session, session.get_key(object_class=ObjectClass.SECRET_KEY, key_type=KeyType.AES, label=label)


def test_kek_is_an_aes_256_key_that_cannot_leave_the_hsm(hsm):
    from pkcs11 import Attribute

    session, key = _hsm_key(hsm, f"{hsm.kek_label}.v1")
    with session:
        assert key.key_length == 256
        assert key[Attribute.SENSITIVE] is True
        assert key[Attribute.EXTRACTABLE] is False
        assert key[Attribute.TOKEN] is True


def test_values_round_trip_through_the_hsm(hsm):
    keyring = get_keyring()
    assert keyring.provider.kind == "hsm" and keyring.kek_id == hsm.kek_label
    stored = envelope.encrypt_text(plaintext="Alice Smith", **CTX)
    assert stored.startswith(f"qxe1:{hsm.kek_label}:1:")
    reset_keyring()  # a new process: no cached data keys, a new session
    assert envelope.decrypt_text(stored=stored, **CTX) == "Alice Smith"


def test_a_different_key_under_the_same_label_is_a_clear_error(hsm_token, db):
    from apps.security.services import kek_init

    label = "qenex-test-replaced"
    with override_settings(**hsm_token.settings(QENEX_HSM_KEK_LABEL=label)):
        kek_init(actor="test")
        stored = envelope.encrypt_text(plaintext="Alice", **CTX)
        session, key = _hsm_key(hsm_token, f"{label}.v1")
        with session:
            key.destroy()
        reset_keyring()
        get_keyring().provider.create_version(version=1)  # same label, new key material
        with pytest.raises(DecryptionFailed, match="wrong KEK or tampered"):
            envelope.decrypt_text(stored=stored, **CTX)
    reset_keyring()


def test_missing_kek_version_is_a_clear_error(hsm):
    env = envelope.Envelope.from_text(envelope.encrypt_text(plaintext="Alice", **CTX))
    missing = envelope.Envelope(**{**env.__dict__, "kek_version": 99}).to_text()
    with pytest.raises(KekUnavailable, match=r"\.v99"):
        envelope.decrypt_text(stored=missing, **CTX)


def test_tampered_wrapped_key_is_refused_by_the_hsm(hsm):
    env = envelope.Envelope.from_text(envelope.encrypt_text(plaintext="Alice", **CTX))
    wrapped = bytearray(env.wrapped_dek)
    wrapped[20] ^= 0x80
    tampered = envelope.Envelope(**{**env.__dict__, "wrapped_dek": bytes(wrapped)}).to_text()
    reset_keyring()
    with pytest.raises(DecryptionFailed):
        envelope.decrypt_text(stored=tampered, **CTX)


def test_wrong_pin_and_unknown_token_are_clear_errors(hsm_token, db):
    with override_settings(**hsm_token.settings(QENEX_HSM_PIN="wrong-pin")):
        with pytest.raises(KekUnavailable, match="refused the PIN"):
            envelope.encrypt_text(plaintext="Alice", **CTX)
    with override_settings(**hsm_token.settings(QENEX_HSM_TOKEN_LABEL="no-such-token")):
        with pytest.raises(KekUnavailable, match="no HSM token labelled 'no-such-token'"):
            envelope.encrypt_text(plaintext="Alice", **CTX)
    reset_keyring()
