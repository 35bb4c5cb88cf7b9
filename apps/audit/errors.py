"""Audit trail errors, with stable codes."""

from apps.core.errors import DomainError


class AuditError(DomainError):
    code = "audit_error"
    http_status = 500


class SigningKeyUnavailable(AuditError):
    """No checkpoint signing key is configured (production) or the key file cannot be read."""

    code = "audit_signing_key_unavailable"


class ChainHeadMissing(AuditError):
    code = "audit_chain_head_missing"
