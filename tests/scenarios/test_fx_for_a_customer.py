"""Scenario 12: FX for a customer.

A customer holding euros asks for a EUR→USD quote and accepts it before it expires. The deal posts through the
bank's FX position accounts at the quoted rate and is hedged with the liquidity provider over FIX exactly once,
even though the FIX connection drops while the hedge order is out.

Everything here is real: the LP simulator runs as its own process (``manage.py run_fix_lp``), QENEX logs on to it
as the FIX initiator, and the API is driven with an integrator's key.
"""

from __future__ import annotations

import pytest

from apps.accounts.models import AccountType
from apps.ledger.selectors import balance_get
from apps.ledger.services.gl import gl_account
from apps.treasury.fix.client import lp_client
from apps.treasury.models import FxDeal
from tests.conftest import make_client
from tests.factories import funded_account
from tests.treasury.conftest import fix_lp  # noqa: F401 (the LP process fixture)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def ledger(account) -> int:
    return balance_get(account=account).ledger_minor


def test_a_customer_converts_euros_to_dollars_and_the_desk_hedges_once(fix_lp):  # noqa: F811
    # The customer's two accounts: 2,000.00 EUR and an empty USD account.
    euros = funded_account("2000.00", "EUR", owner_id="cust-anna")
    dollars = funded_account("0.00", "USD", owner_id="cust-anna")
    integrator = make_client(["fx:write", "transactions:read"])

    # 1. A firm quote for selling 1,500.00 EUR: the LP's bid less our markup, valid a few seconds.
    quote = integrator.post(
        "/api/v1/fx/quotes",
        {"pair": "EURUSD", "side": "SELL", "amount": "1500.00", "amount_currency": "EUR",
         "from_account": euros.public_id, "to_account": dollars.public_id},
        format="json",
    ).json()  # fmt: skip
    assert quote["status"] == "OPEN" and quote["base_amount_minor"] == 150000

    # 2. The LP will drop the FIX connection right after it books our hedge, before its ExecutionReport goes out.
    assert fix_lp.command("drop-next-order") == "ok"
    logons_before = lp_client().logons

    # 3. The customer accepts in time.
    deal = integrator.post(f"/api/v1/fx/quotes/{quote['id']}/accept", HTTP_IDEMPOTENCY_KEY="anna-accept-1").json()

    # 4. The customer's euros left through the EUR position account; the dollars came from the USD one, at the
    #    quoted rate to the cent.
    assert ledger(euros) == 50000
    assert ledger(dollars) == quote["quote_amount_minor"]
    assert ledger(gl_account(account_type=AccountType.FX_POSITION, currency="EUR")) == 150000

    # 5. QENEX logged on again, resent the order with the same ClOrdID (the deal id), and the LP answered with the
    #    fill it had booked: one trade, not two.
    assert lp_client().logons > logons_before
    assert deal["status"] == "HEDGED" and fix_lp.fills() == 1
    assert FxDeal.objects.get(public_id=deal["id"]).hedge_exec_id == deal["hedge_exec_id"]

    # 6. The desk's book: the hedged deal leaves no open position and a realised P&L in USD.
    book = integrator.get("/api/v1/fx/positions").json()
    assert book["positions"] == {} and float(book["pnl"]["EURUSD"]["realised"]) > 0
