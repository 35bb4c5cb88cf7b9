"""Errors of the cards app, each with a stable code (mapped to the API's error body by apps.core.api)."""

from __future__ import annotations

from apps.core.errors import Conflict, DomainError, InvalidInput, NotFound


class CardNotFound(NotFound):
    code = "card_not_found"


class InvalidCardNumber(InvalidInput):
    code = "invalid_card_number"


class CardAlreadyIssued(Conflict):
    code = "card_already_issued"


class CardStatusChangeNotAllowed(DomainError):
    code = "card_status_change_not_allowed"
    http_status = 409


class AuthorisationNotFound(NotFound):
    code = "authorisation_not_found"
