"""FX dealing desk: customer quotes, deals (booked in the ledger, hedged with the LP) and limits."""

from __future__ import annotations

from django.db import models

from apps.core.ids import new_public_id


def _quote_id() -> str:
    return new_public_id("fxq")


def _deal_id() -> str:
    return new_public_id("fxd")


class FxSide(models.TextChoices):
    BUY = "BUY"  # the customer buys the base currency
    SELL = "SELL"


class FxQuoteStatus(models.TextChoices):
    OPEN = "OPEN"
    ACCEPTED = "ACCEPTED"


class FxQuote(models.Model):
    """A firm price to one customer: the LP's price plus our markup, good until ``expires_at``."""

    public_id = models.CharField(max_length=32, unique=True, default=_quote_id, editable=False)
    owner_id = models.CharField(max_length=64, db_index=True)
    pair = models.CharField(max_length=6)
    side = models.CharField(max_length=4, choices=FxSide.choices)
    from_account = models.CharField(max_length=32)
    to_account = models.CharField(max_length=32)
    base_amount_minor = models.BigIntegerField()
    quote_amount_minor = models.BigIntegerField()
    rate = models.DecimalField(max_digits=28, decimal_places=12)
    lp_rate = models.DecimalField(max_digits=28, decimal_places=12)
    lp_quote_id = models.CharField(max_length=64, blank=True)
    markup_bp = models.IntegerField()
    status = models.CharField(max_length=8, choices=FxQuoteStatus.choices, default=FxQuoteStatus.OPEN)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.public_id} {self.side} {self.pair} @ {self.rate}"

    @property
    def base_currency(self) -> str:
        return self.pair[:3]

    @property
    def quote_currency(self) -> str:
        return self.pair[3:]


class FxDealStatus(models.TextChoices):
    BOOKING = "BOOKING"  # accepted, the customer's postings not yet confirmed
    HEDGE_PENDING = "HEDGE_PENDING"  # booked in the ledger; the order to the LP is out (or to be resent)
    HEDGED = "HEDGED"
    HEDGE_REJECTED = "HEDGE_REJECTED"  # the LP refused: the position stays open for the desk
    FAILED = "FAILED"  # the customer's postings were refused: nothing booked


class FxDeal(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=_deal_id, editable=False)
    quote = models.OneToOneField(FxQuote, on_delete=models.PROTECT, related_name="deal")
    owner_id = models.CharField(max_length=64, db_index=True)
    pair = models.CharField(max_length=6)
    side = models.CharField(max_length=4, choices=FxSide.choices)
    base_amount_minor = models.BigIntegerField()
    quote_amount_minor = models.BigIntegerField()
    rate = models.DecimalField(max_digits=28, decimal_places=12)
    status = models.CharField(max_length=16, choices=FxDealStatus.choices, default=FxDealStatus.BOOKING)
    ledger_transactions = models.JSONField(default=list)
    failure = models.CharField(max_length=200, blank=True)
    # The accept's Idempotency-Key (caller-scoped) and request fingerprint: a retried accept replays this deal.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    # The hedge: ClOrdID is the deal id, so a resend is the same order.
    hedge_exec_id = models.CharField(max_length=64, blank=True)
    hedge_order_id = models.CharField(max_length=64, blank=True)
    hedge_price = models.DecimalField(max_digits=28, decimal_places=12, null=True, blank=True)
    hedged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.public_id} {self.side} {self.pair} {self.status}"

    @property
    def cl_ord_id(self) -> str:
        return self.public_id


class FxLimitKind(models.TextChoices):
    COUNTERPARTY = "COUNTERPARTY"  # one customer's open deals today in a currency (gross, minor units)
    CURRENCY = "CURRENCY"  # the desk's net open (unhedged) position in a currency (absolute, minor units)


class FxLimit(models.Model):
    kind = models.CharField(max_length=16, choices=FxLimitKind.choices)
    counterparty = models.CharField(max_length=64, blank=True, help_text="owner id (COUNTERPARTY limits)")
    currency = models.CharField(max_length=3)
    limit_minor = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "counterparty", "currency"], name="treasury_limit_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.counterparty} {self.currency} {self.limit_minor}"


class FxPositionReport(models.Model):
    """The end-of-day positions and P&L, as computed then (never edited)."""

    business_date = models.DateField(unique=True)
    report = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"FX positions {self.business_date}"


class FxSettlementStatus(models.TextChoices):
    SENT = "SENT"  # the payment to the LP is a payment order (its own states from here) and the MT300 is built
    FAILED = "FAILED"  # the payment gateway refused it (``failure`` says why): the desk settles it by hand


class FxSettlement(models.Model):
    """The settlement of one hedge with the LP: what we pay it (a payment order to its account), what it owes us
    (into our nostro, seen by reconciliation) and the deal's MT300 confirmation, built once when the fill is booked."""

    deal = models.OneToOneField(FxDeal, on_delete=models.PROTECT, related_name="settlement")
    status = models.CharField(max_length=8, choices=FxSettlementStatus.choices)
    pay_currency = models.CharField(max_length=3)
    pay_minor = models.BigIntegerField()
    receive_currency = models.CharField(max_length=3)
    receive_minor = models.BigIntegerField()
    trade_date = models.DateField()
    value_date = models.DateField()
    payment_id = models.CharField(max_length=32, blank=True)
    failure = models.CharField(max_length=200, blank=True)
    mt300 = models.TextField(help_text="the MT300 confirmation sent to the LP")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.deal.public_id} {self.status} pay {self.pay_currency} {self.pay_minor}"
