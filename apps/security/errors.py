"""Data-protection errors. Messages name tables, columns, rows and key versions, never plaintext or keys."""

from __future__ import annotations

from apps.core.errors import DomainError


class DataProtectionError(DomainError):
    """Encrypted data could not be protected or recovered. Nothing was changed."""

    code = "data_protection_error"
    http_status = 500


class DecryptionFailed(DataProtectionError):
    """Authentication failed: wrong key, tampered ciphertext, or a value moved to another row or column."""

    code = "decryption_failed"


class MalformedCiphertext(DataProtectionError):
    """The stored value is not an envelope this code can read (truncated, unknown version, plaintext)."""

    code = "ciphertext_malformed"


class KekUnavailable(DataProtectionError):
    """The key-encryption key (or the version of it) that a value names is not available here."""

    code = "kek_unavailable"
    http_status = 503


class EncryptedFieldMisuse(DataProtectionError):
    """Plaintext reached the database layer of an encrypted column (queryset update or a lookup)."""

    code = "encrypted_field_misuse"


class SealedBlobInvalid(DataProtectionError):
    """A post-quantum sealed blob failed to open: tampered, truncated, or sealed for another recipient."""

    code = "sealed_blob_invalid"
    http_status = 400


class SubjectErased(DataProtectionError):
    """The data subject's key was destroyed (erasure): nothing can be encrypted for them any more."""

    code = "subject_erased"
    http_status = 409
