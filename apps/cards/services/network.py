"""Network management (0800/0810): the card switch signs on (DE70 001), signs off (002) and tests the line (301).

The session state is one ``NetworkSession`` row per network, shared by every host process (see the model for why a
row). Sign-on and sign-off that change it are written with their audit record in one transaction; a repeated one
(already in that state) is answered 00 and writes nothing. The echo test is answered 00 in either state and
writes nothing.

While the network is signed off the host answers every 0100 with DE39 91 and writes nothing: no hold, no
authorisation record, no fraud check (``authorisations``). 91 is "issuer or switch inoperative": the code a switch
gives the acquirer for an issuer that has signed off, and the one ISO 8583 leaves to an issuer that cannot
authorise now, which lets the switch stand in (STIP) or send the request again after sign-on, when it is decided
afresh (not answered as a duplicate, since nothing was recorded). Reversals (0400/0420) and advices (0220) are still
applied while signed off: they only release or capture what was authorised, and refusing them would keep funds held.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record

from .. import responses as rc
from ..metrics import CARD_MESSAGES_TOTAL
from ..models import SWITCH_NETWORK, NetworkSession

logger = logging.getLogger(__name__)

ACTOR = "card-host"
SIGN_ON, SIGN_OFF, ECHO_TEST = "001", "002", "301"
#: DE70 network management information codes the host answers 00
NETWORK_MANAGEMENT_CODES = {SIGN_ON: "sign-on", SIGN_OFF: "sign-off", ECHO_TEST: "echo test"}


def _state(session: NetworkSession) -> dict[str, object]:
    return {"network": session.network, "signed_on": session.signed_on, "stan": session.changed_by_stan}


@transaction.atomic(durable=True)
def network_session_change(*, signed_on: bool, stan: str = "", network: str = SWITCH_NETWORK) -> bool:
    """Sign ``network`` on or off; return whether its state changed (audited only then)."""
    session, _ = NetworkSession.objects.get_or_create(network=network)
    session = NetworkSession.objects.select_for_update(no_key=True).get(pk=session.pk)
    if session.signed_on == signed_on:
        return False
    before = _state(session)
    session.signed_on, session.changed_at, session.changed_by_stan = signed_on, timezone.now(), stan[:6]
    session.save(update_fields=["signed_on", "changed_at", "changed_by_stan"])
    audit_record(
        action="cards.network_signed_on" if signed_on else "cards.network_signed_off",
        object_type="card_network_session",
        object_id=network,
        before=before,
        after=_state(session),
        actor=ACTOR,
    )
    return True


def network_management(*, code: str, stan: str = "") -> str:
    """The DE39 answer to an 0800 with DE70 ``code``: 00 for sign-on, sign-off and echo test, else 12."""
    known = NETWORK_MANAGEMENT_CODES.get(code)
    changed = False
    if code in (SIGN_ON, SIGN_OFF):
        changed = network_session_change(signed_on=code == SIGN_ON, stan=stan)
    response_code = rc.APPROVED if known else rc.INVALID_TRANSACTION
    logger.info(
        "card host: 0800 %s (%s%s) stan=%s answered %s",
        code,
        known or "unsupported",
        ", state changed" if changed else "",
        stan,
        response_code,
    )
    CARD_MESSAGES_TOTAL.labels("0800", response_code).inc()
    return response_code
