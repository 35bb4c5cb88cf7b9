"""Network management (0800/0810): the card switch signs on, signs off and tests the line with an echo.

The host keeps no session state: it answers every switch connection's messages whether signed on or not, so a
sign-on or sign-off changes nothing here; each is answered (and counted) so the switch sees the host alive.
"""

from __future__ import annotations

import logging

from .. import responses as rc
from ..metrics import CARD_MESSAGES_TOTAL

logger = logging.getLogger(__name__)

#: DE70 network management information codes the host answers 00
NETWORK_MANAGEMENT_CODES = {"001": "sign-on", "002": "sign-off", "301": "echo test"}


def network_management(*, code: str, stan: str = "") -> str:
    """The DE39 answer to an 0800 with DE70 ``code``: 00 for sign-on, sign-off and echo test, else 12."""
    known = NETWORK_MANAGEMENT_CODES.get(code)
    response_code = rc.APPROVED if known else rc.INVALID_TRANSACTION
    logger.info("card host: 0800 %s (%s) stan=%s answered %s", code, known or "unsupported", stan, response_code)
    CARD_MESSAGES_TOTAL.labels("0800", response_code).inc()
    return response_code
