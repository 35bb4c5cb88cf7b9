"""Every write of the cards app. Reads are in ``apps.cards.selectors``.

- ``cards``: issue a card, change its status (block, unblock, lost);
- ``authorisations``: answer an 0100 (checks, ledger hold);
- ``settlement``: reverse (0400/0420), clear (0220), expire lapsed authorisations;
- ``clearing``: a clearing file's presentments, each captured like an 0220;
- ``network``: network management (0800 sign-on, sign-off, echo test).
"""

from .authorisations import AuthorisationAnswer, AuthorisationRequest, authorisation_decide
from .cards import CardIssued, card_change_status, card_issue
from .clearing import ClearingLine, clearing_file_apply
from .network import network_management, network_session_change
from .settlement import ClearingAnswer, authorisation_clear, authorisation_reverse, authorisations_expire

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
    "network_management",
    "network_session_change",
]
