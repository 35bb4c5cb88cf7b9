"""The FX desk against a real LP process over FIX: quote, accept (ledger postings + hedge), faults, limits."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import AccountType
from apps.events.models import OutboxEvent
from apps.ledger.selectors import balance_get
from apps.ledger.services.gl import gl_account
from apps.treasury import services
from apps.treasury.fix.client import lp_client
from apps.treasury.models import FxDeal, FxDealStatus, FxQuote
from tests.conftest import make_client
from tests.factories import funded_account

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def balance_of(account) -> int:
    return balance_get(account=account).ledger_minor


def _accounts(owner: str = "cust-fx"):
    eur = funded_account("10000.00", "EUR", owner_id=owner)
    usd = funded_account("100.00", "USD", owner_id=owner)
    return eur, usd


def _quote(api, eur, usd, amount="1000.00"):
    return api.post(
        "/api/v1/fx/quotes",
        {"pair": "EURUSD", "side": "SELL", "amount": amount, "amount_currency": "EUR",
         "from_account": eur.public_id, "to_account": usd.public_id},
        format="json",
    )  # fmt: skip


def _accept(api, quote_id: str, key: str | None = None, **body):
    """POST …/accept under ``key`` (default: one key per quote, as a client retrying one accept would)."""
    headers = {} if key == "" else {"HTTP_IDEMPOTENCY_KEY": key or f"accept-{quote_id}"}
    return api.post(f"/api/v1/fx/quotes/{quote_id}/accept", body or None, format="json", **headers)


def test_quote_accept_posts_through_fx_position_and_hedges_once(fix_lp):
    api = make_client(["fx:write", "transactions:read"])
    eur, usd = _accounts()
    answer = _quote(api, eur, usd)
    assert answer.status_code == 201, answer.json()
    quote = answer.json()
    lp_bid = FxQuote.objects.get(public_id=quote["id"]).lp_rate
    assert float(quote["rate"]) < float(lp_bid)  # our markup: the customer selling EUR gets less than the LP bid
    accepted = _accept(api, quote["id"])
    assert accepted.status_code == 201, accepted.json()
    deal = accepted.json()
    assert deal["status"] == "HEDGED" and deal["hedge_exec_id"]
    assert len(deal["ledger_transactions"]) == 2
    assert balance_of(eur) == 900000  # 10,000.00 - 1,000.00 EUR
    assert balance_of(usd) == 10000 + quote["quote_amount_minor"]
    fx_eur = gl_account(account_type=AccountType.FX_POSITION, currency="EUR")
    assert balance_of(fx_eur) == 100000
    assert fix_lp.fills() == 1
    again = _accept(api, quote["id"])  # a retried accept (same key) books and hedges nothing more: the first deal
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == deal["id"] and again.json()["hedge_exec_id"] == deal["hedge_exec_id"]
    assert balance_of(eur) == 900000 and fix_lp.fills() == 1 and FxDeal.objects.count() == 1
    booked = OutboxEvent.objects.get(event_type="fx.deal_booked", aggregate_id=deal["id"])  # one event, however retried
    assert booked.payload["sold"] == {"currency": "EUR", "amount_minor": 100000}
    assert booked.payload["transactions"] == deal["ledger_transactions"]


def test_accept_idempotency_key_is_required_and_never_books_twice(fix_lp):
    api = make_client(["fx:write"])
    eur, usd = _accounts()
    first, second = _quote(api, eur, usd, "100.00").json(), _quote(api, eur, usd, "200.00").json()
    missing = _accept(api, first["id"], key="")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "idempotency_key_required"
    assert _accept(api, first["id"], key="k-1").status_code == 201
    reused = _accept(api, second["id"], key="k-1")  # the same key for another quote: a client bug, refused
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "idempotency_key_reused"
    body_differs = _accept(api, first["id"], key="k-1", idempotency_key="k-2")
    assert body_differs.status_code == 400 and body_differs.json()["error"]["field"] == "idempotency_key"
    unknown = _accept(api, second["id"], key="k-3", rate="1.5")
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown_field"
    other_key = _accept(api, first["id"], key="k-4")  # a new request for an accepted quote
    assert other_key.status_code == 409 and other_key.json()["error"]["code"] == "quote_already_accepted"
    assert FxQuote.objects.get(public_id=second["id"]).status == "OPEN"
    assert FxDeal.objects.count() == 1 and fix_lp.fills() == 1 and balance_of(eur) == 1000000 - 10000


def test_disconnect_mid_order_reconnects_with_exactly_one_fill(fix_lp):
    eur, usd = _accounts()
    assert fix_lp.command("drop-next-order") == "ok"
    logons = lp_client().logons
    quote = services.quote_create(
        pair="EURUSD", side="SELL", amount="500.00", amount_currency="EUR", from_account=eur.public_id,
        to_account=usd.public_id,
    )  # fmt: skip
    deal = services.quote_accept(quote_id=quote.public_id).deal
    assert lp_client().logons > logons  # the LP dropped the session; QENEX logged on again and resent the order
    assert deal.status == FxDealStatus.HEDGED
    assert fix_lp.fills() == 1
    assert services.hedge_pending() == 0 and fix_lp.fills() == 1


def test_expired_quote_is_refused_and_changes_nothing(fix_lp):
    api = make_client(["fx:write"])
    eur, usd = _accounts()
    quote = _quote(api, eur, usd).json()
    FxQuote.objects.filter(public_id=quote["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    refused = _accept(api, quote["id"])
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "quote_expired"
    assert balance_of(eur) == 1000000 and not FxDeal.objects.exists() and fix_lp.fills() == 0


def test_moved_quote_is_refused(fix_lp):
    api = make_client(["fx:write"])
    eur, usd = _accounts()
    quote = _quote(api, eur, usd).json()
    assert fix_lp.command("price EURUSD 1.2000") == "ok"  # the LP now bids far above our quoted price... good for us
    assert fix_lp.command("price EURUSD 0.9000") == "ok"  # ... now below what we promised the customer
    refused = _accept(api, quote["id"])
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "quote_moved"
    assert balance_of(eur) == 1000000 and fix_lp.fills() == 0


def test_limit_breach_is_refused(fix_lp):
    api = make_client(["fx:write"])
    eur, usd = _accounts()
    services.limit_set(kind="COUNTERPARTY", counterparty="cust-fx", currency="EUR", limit="1500.00")
    first = _quote(api, eur, usd).json()
    assert _accept(api, first["id"]).status_code == 201
    second = _quote(api, eur, usd).json()
    refused = _accept(api, second["id"])
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "fx_limit_exceeded"
    assert balance_of(eur) == 900000 and fix_lp.fills() == 1


def test_rejected_hedge_leaves_the_position_open(fix_lp):
    eur, usd = _accounts()
    assert fix_lp.command("reject on") == "ok"
    quote = services.quote_create(
        pair="EURUSD", side="SELL", amount="200.00", amount_currency="EUR", from_account=eur.public_id,
        to_account=usd.public_id,
    )  # fmt: skip
    deal = services.quote_accept(quote_id=quote.public_id).deal
    assert deal.status == FxDealStatus.HEDGE_REJECTED
    from apps.treasury.selectors import open_positions

    assert open_positions()["EUR"] == 20000


def test_sequence_gap_is_recovered(fix_lp):
    assert fix_lp.command("gap") == "ok"  # the LP skips one outgoing MsgSeqNum
    first = lp_client().quote("EURUSD")  # QENEX asks for a resend and gets a gap fill
    time.sleep(0.5)
    second = lp_client().quote("USDJPY")
    assert first.quote_id != second.quote_id and second.offer > second.bid
    session = next(iter(lp_client()._initiator.sessions.values()))
    assert session.is_logged_on
