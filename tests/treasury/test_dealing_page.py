"""The portal's FX dealing page, with the LP connected: live prices and the deal booked through the API."""

from __future__ import annotations

import time

import pytest

from apps.treasury import services
from tests.factories import funded_account
from tests.staff import make_staff, otp_login

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_dealing_page_shows_prices_deals_and_positions(fix_lp, client):
    eur = funded_account("5000.00", "EUR", owner_id="cust-page")
    usd = funded_account("0.00", "USD", owner_id="cust-page")
    quote = services.quote_create(
        pair="EURUSD", side="SELL", amount="250.00", amount_currency="EUR", from_account=eur.public_id,
        to_account=usd.public_id,
    )  # fmt: skip
    deal = services.quote_accept(quote_id=quote.public_id).deal
    otp_login(client, make_staff("dealer", superuser=True))
    time.sleep(0.5)
    page = client.get("/dealing/")
    assert page.status_code == 200
    html = page.content.decode()
    assert deal.public_id in html and "EURUSD" in html and "HEDGED" in html
    live = client.get("/dealing/live/").json()
    assert "EURUSD" in live["prices"] and live["deals"][0]["id"] == deal.public_id
    assert live["pnl"]["EURUSD"]["currency"] == "USD"
