"""Customers' domain errors, each with a stable code."""

from __future__ import annotations

from apps.core.errors import Conflict, DomainError, NotFound


class CustomerNotFound(NotFound):
    code = "customer_not_found"


class DocumentNotFound(NotFound):
    code = "document_not_found"


class KycNotVerified(DomainError):
    """An account opening or a posting for a customer whose KYC is not (or no longer) verified."""

    code = "kyc_not_verified"
    http_status = 403


class KycRequirementsNotMet(Conflict):
    """Verification refused: a requirement is missing (identity document, screening, EDD); the code says which."""

    code = "kyc_requirements_not_met"
