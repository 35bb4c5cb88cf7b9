"""Settlement of LP trades: a hedge fill becomes a payment to the LP (the payment gateway's path) and an MT300."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from apps.accounts.models import AccountType
from apps.audit.models import AuditRecord
from apps.ledger.services.gl import gl_account
from apps.payments.formats.mt300 import parse_mt300
from apps.payments.models import PaymentOrder, Rail
from apps.treasury import services
from apps.treasury.models import FxDeal, FxDealStatus, FxSettlement, FxSettlementStatus
from tests.conftest import make_client
from tests.factories import funded_account


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_hedge_fill_is_paid_to_the_lp_and_confirmed_by_mt300(fix_lp, settings):
    api = make_client(["fx:write"])
    eur = funded_account("10000.00", "EUR", owner_id="cust-settle")
    usd = funded_account("100.00", "USD", owner_id="cust-settle")
    quote = api.post(
        "/api/v1/fx/quotes",
        {"pair": "EURUSD", "side": "SELL", "amount": "1000.00", "amount_currency": "EUR",
         "from_account": eur.public_id, "to_account": usd.public_id},
        format="json",
    ).json()  # fmt: skip
    accepted = api.post(f"/api/v1/fx/quotes/{quote['id']}/accept", None, HTTP_IDEMPOTENCY_KEY="settle-1")
    assert accepted.status_code == 201, accepted.content
    deal = FxDeal.objects.get(public_id=accepted.json()["id"])
    assert deal.status == FxDealStatus.HEDGED

    # The customer sold EUR 1,000.00: we sold it on to the LP, so we pay the LP EUR and it owes us USD at its fill.
    settlement = FxSettlement.objects.get(deal=deal)
    assert settlement.status == FxSettlementStatus.SENT, settlement.failure
    usd_owed = int((Decimal("1000.00") * deal.hedge_price * 100).to_integral_value(rounding=ROUND_HALF_UP))
    assert (settlement.pay_currency, settlement.pay_minor) == ("EUR", 100000)
    assert (settlement.receive_currency, settlement.receive_minor) == ("USD", usd_owed)

    payment = PaymentOrder.objects.get(public_id=settlement.payment_id)
    fx_eur = gl_account(account_type=AccountType.FX_POSITION, currency="EUR")
    assert payment.debtor_account_id == fx_eur.pk and (payment.currency, payment.amount_minor) == ("EUR", 100000)
    assert payment.rail == Rail.SWIFT and payment.hold_id  # the gateway's own path: routed, checked, funds held
    assert payment.creditor_bic == settings.QENEX_FX_LP_BIC
    assert payment.creditor_identifier == settings.QENEX_FX_LP_ACCOUNTS["EUR"]

    confirmation = parse_mt300(settlement.mt300)
    assert confirmation.receiver_bic == settings.QENEX_FX_LP_BIC
    assert confirmation.rate == deal.hedge_price.normalize()
    assert (confirmation.sold_currency, confirmation.sold_minor) == ("EUR", 100000)
    assert (confirmation.bought_currency, confirmation.bought_minor) == ("USD", usd_owed)
    assert confirmation.value_date == payment.value_date == settlement.value_date
    assert confirmation.reference == payment.reference

    # Once per deal, however often it is asked (a retry after a crash finds the same payment by its key).
    assert services.lp_settlement_create(deal_pk=deal.pk) == settlement
    assert PaymentOrder.objects.filter(debtor_account=fx_eur).count() == 1
    assert AuditRecord.objects.filter(action="treasury.fx_settlement_created", object_id=deal.public_id).count() == 1


def _hedged_deal(side: str, base_minor: int, hedge_price: str) -> FxDeal:
    from datetime import timedelta

    from django.utils import timezone

    from apps.treasury.models import FxQuote

    quote = FxQuote.objects.create(
        owner_id="c1", pair="EURUSD", side=side, from_account="a", to_account="b", base_amount_minor=base_minor,
        quote_amount_minor=1, rate=Decimal("1.09"), lp_rate=Decimal("1.09"), markup_bp=20,
        expires_at=timezone.now() + timedelta(seconds=10), status="ACCEPTED",
    )  # fmt: skip
    return FxDeal.objects.create(
        quote=quote, owner_id="c1", pair="EURUSD", side=side, base_amount_minor=base_minor, quote_amount_minor=1,
        rate=Decimal("1.09"), status=FxDealStatus.HEDGED, hedge_price=Decimal(hedge_price), hedged_at=timezone.now(),
    )  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accounts", "failure"),
    [({}, "no LP account in USD"), ({"USD": "not/an account!"}, "invalid")],
    ids=["no-lp-account", "gateway-refuses"],
)
def test_a_settlement_the_gateway_cannot_pay_is_failed_for_the_desk_and_still_confirmed(settings, accounts, failure):
    settings.QENEX_FX_LP_ACCOUNTS = accounts
    # The customer bought EUR 500.00 (we bought it from the LP at 1.08505): we owe the LP USD 542.53 (half up).
    deal = _hedged_deal("BUY", 50000, "1.08505")
    settlement = services.lp_settlement_create(deal_pk=deal.pk, actor="desk")
    assert settlement.status == FxSettlementStatus.FAILED and failure in settlement.failure
    assert (settlement.pay_currency, settlement.pay_minor) == ("USD", 54253)
    assert (settlement.receive_currency, settlement.receive_minor) == ("EUR", 50000)
    assert settlement.payment_id == "" and not PaymentOrder.objects.exists()
    confirmation = parse_mt300(settlement.mt300)
    assert (confirmation.bought_currency, confirmation.bought_minor) == ("EUR", 50000)
    assert (confirmation.sold_currency, confirmation.sold_minor) == ("USD", 54253)
    (record,) = AuditRecord.objects.filter(action="treasury.fx_settlement_created", object_id=deal.public_id)
    assert record.actor == "desk" and record.after["status"] == "FAILED"
    assert services.lp_settlement_create(deal_pk=deal.pk) == settlement  # once per deal


@pytest.mark.django_db
def test_a_deal_not_hedged_is_not_settled():
    deal = _hedged_deal("SELL", 10000, "1.08")
    FxDeal.objects.filter(pk=deal.pk).update(status=FxDealStatus.HEDGE_REJECTED)
    assert services.lp_settlement_create(deal_pk=deal.pk) is None and not FxSettlement.objects.exists()


@pytest.mark.django_db
def test_the_sweeper_settles_a_fill_whose_settlement_task_was_lost(settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.QENEX_FX_LP_ACCOUNTS = {}  # no payment: the sweep itself is under test
    lost = _hedged_deal("SELL", 10000, "1.08")
    recent = _hedged_deal("SELL", 20000, "1.08")
    ancient = _hedged_deal("SELL", 30000, "1.08")  # hedged before settlement existed: the desk's, not a bulk payment
    FxDeal.objects.filter(pk=lost.pk).update(hedged_at=timezone.now() - timedelta(minutes=5))
    FxDeal.objects.filter(pk=ancient.pk).update(hedged_at=timezone.now() - timedelta(days=2))
    assert services.hedge_pending(older_than=timedelta(minutes=1)) == 0  # nothing was waiting for its hedge
    assert list(FxSettlement.objects.values_list("deal_id", flat=True)) == [lost.pk]  # the recent one is its task's
    assert FxSettlement.objects.get().receive_minor == 10800 and not FxSettlement.objects.filter(deal=recent).exists()
