"""Card authorisations in the portal, read-only: approvals with their hold, declines with their response code,
clearings and reversals; never a full PAN on the page. Operations and auditors read it; a teller does not.
"""

from __future__ import annotations

import pytest

from apps.cards.models import Authorisation, AuthorisationStatus
from tests.cards.factories import issued_card
from tests.cards.test_authorisations import advice, authorise, reversal, send
from tests.portal.test_actions import signed_in

pytestmark = pytest.mark.django_db


def test_authorisations_show_holds_responses_clearings_and_reversals_with_masked_pans():
    card, pan = issued_card(balance="100.00")
    approved = authorise(pan, 2500, expiry=card.expiry)
    declined = authorise(pan, 40000, expiry=card.expiry)  # within the limit, above the balance: 51
    cleared = authorise(pan, 3000, expiry=card.expiry)
    send(advice(cleared, 2000))
    reversed_ = authorise(pan, 1000, expiry=card.expiry)
    send(reversal(reversed_))
    assert declined.response_code == "51"
    ops = signed_in("ops1", "operations")
    page = ops.get("/cards/authorisations/").content.decode()
    assert pan not in page and card.masked_pan in page and card.account.public_id in page
    for answer in (approved, declined, cleared, reversed_):
        assert Authorisation.objects.get(rrn=answer.rrn).public_id in page
    assert "25.00 USD" in page and "20.00 USD" in page  # an approval's hold; the smaller amount cleared
    assert {s for s in AuthorisationStatus.values if s != "EXPIRED"} <= set(
        Authorisation.objects.values_list("status", flat=True)
    )
    only_declines = ops.get("/cards/authorisations/?response_code=51").content.decode()
    assert Authorisation.objects.get(rrn=declined.rrn).public_id in only_declines
    assert Authorisation.objects.get(rrn=approved.rrn).public_id not in only_declines
    assert "No authorisation matches." in ops.get(f"/cards/authorisations/?card=9{card.last_four}x").content.decode()
    bad = ops.get("/cards/authorisations/?response_code=%3Cscript%3E&status=NOPE")
    assert bad.status_code == 200 and 'class="error"' in bad.content.decode()
    assert signed_in("aud1", "auditor").get("/cards/authorisations/").status_code == 200


def test_a_teller_cannot_see_card_authorisations_and_the_page_is_read_only():
    teller = signed_in("teller1", "teller")
    assert teller.get("/cards/authorisations/").status_code == 403
    assert "/cards/authorisations/" not in teller.get("/").content.decode()
    assert signed_in("ops1", "operations").post("/cards/authorisations/").status_code == 405
