"""Post-quantum sealing for a recipient: ML-KEM-768 -> HKDF-SHA256 -> AES-256-GCM."""

from __future__ import annotations

import pytest

from apps.security.errors import SealedBlobInvalid
from apps.security.pq import KEM_CIPHERTEXT_LEN, open_sealed, recipient_keypair, seal_for_recipient

BUNDLE = b'{"report": "monthly balances", "rows": 1200}'


def test_recipient_opens_what_was_sealed_for_them():
    private_key, public_bytes = recipient_keypair()
    blob = seal_for_recipient(public_bytes, BUNDLE)
    assert BUNDLE not in blob
    assert open_sealed(private_key, blob) == BUNDLE
    assert open_sealed(private_key.private_bytes_raw(), blob) == BUNDLE  # the 64-byte seed works too


def test_each_seal_is_fresh():
    _, public_bytes = recipient_keypair()
    assert seal_for_recipient(public_bytes, BUNDLE) != seal_for_recipient(public_bytes, BUNDLE)


@pytest.mark.parametrize("offset", [5, 5 + KEM_CIPHERTEXT_LEN - 1, 5 + KEM_CIPHERTEXT_LEN + 3, -1, -20])
def test_tampered_blob_does_not_open(offset):
    private_key, public_bytes = recipient_keypair()
    blob = bytearray(seal_for_recipient(public_bytes, BUNDLE))
    blob[offset] ^= 0x01
    with pytest.raises(SealedBlobInvalid):
        open_sealed(private_key, bytes(blob))


def test_wrong_private_key_does_not_open():
    _, public_bytes = recipient_keypair()
    other_private, _ = recipient_keypair()
    with pytest.raises(SealedBlobInvalid, match="another key"):
        open_sealed(other_private, seal_for_recipient(public_bytes, BUNDLE))


def test_context_is_authenticated():
    private_key, public_bytes = recipient_keypair()
    blob = seal_for_recipient(public_bytes, BUNDLE, context=b"report:2026-11")
    assert open_sealed(private_key, blob, context=b"report:2026-11") == BUNDLE
    with pytest.raises(SealedBlobInvalid):
        open_sealed(private_key, blob, context=b"report:2026-12")


@pytest.mark.parametrize("blob", [b"", b"QXS1", b"XXXX" + bytes(2000)])
def test_truncated_or_foreign_blob_is_refused(blob):
    private_key, _ = recipient_keypair()
    with pytest.raises(SealedBlobInvalid):
        open_sealed(private_key, blob)


def test_bad_public_key_is_refused():
    with pytest.raises(SealedBlobInvalid) as exc:
        seal_for_recipient(b"\x00" * 10, BUNDLE)
    assert exc.value.code == "invalid_public_key"
