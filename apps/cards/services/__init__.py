"""Every write of the cards app. Reads are in ``apps.cards.selectors``.

- ``cards``: issue a card, change its status (block, lost), its limits;
- ``authorisations``: answer an 0100 (checks, ledger hold), reverse (0400/0420), clear (0220 or a clearing file),
  expire lapsed authorisations;
- ``clearing``: a clearing file's presentments, each captured like an 0220.
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
from .clearing import ClearingLine, clearing_file_apply

__all__ = [
    "AuthorisationAnswer",
    "AuthorisationRequest",
    "CardIssued",
    "ClearingAnswer",
    "ClearingLine",
    "authorisation_clear",
    "authorisation_decide",
    "authorisation_reverse",
    "authorisations_expire",
    "card_change_status",
    "card_issue",
    "clearing_file_apply",
]
