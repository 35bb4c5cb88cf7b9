"""Every write of the cards app. Reads are in ``apps.cards.selectors``.

- ``cards``: issue a card, change its status (block, lost), its limits;
- ``authorisations``: answer an 0100 (checks, ledger hold), reverse (0400/0420), clear (0220 or a clearing file),
  expire lapsed authorisations.
"""

from .authorisations import (
    AuthorisationAnswer,
    AuthorisationRequest,
    ClearingAnswer,
    authorisation_clear,
    authorisation_decide,
    authorisation_reverse,
    authorisations_expire,
)
from .cards import CardIssued, card_change_status, card_issue

__all__ = [
    "AuthorisationAnswer",
    "AuthorisationRequest",
    "CardIssued",
    "ClearingAnswer",
    "authorisation_clear",
    "authorisation_decide",
    "authorisation_reverse",
    "authorisations_expire",
    "card_change_status",
    "card_issue",
]
