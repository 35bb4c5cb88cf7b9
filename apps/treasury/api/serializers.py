from __future__ import annotations

from rest_framework import serializers

from apps.core.api.serializers import InputSerializer
from apps.treasury.models import FxDeal, FxQuote, FxSide


class FxQuoteCreateSerializer(serializers.Serializer):
    pair = serializers.CharField(max_length=7, help_text="e.g. EURUSD (or EUR/USD)")
    side = serializers.ChoiceField(choices=FxSide.choices, help_text="the customer buys or sells the base currency")
    amount = serializers.CharField(max_length=40)
    amount_currency = serializers.CharField(max_length=3, help_text="the base or the quote currency")
    from_account = serializers.CharField(max_length=32, help_text="the customer's account debited")
    to_account = serializers.CharField(max_length=32, help_text="the customer's account credited")


class FxQuoteAcceptSerializer(InputSerializer):
    idempotency_key = serializers.CharField(
        max_length=128, required=False, help_text="instead of the Idempotency-Key header (the same value if both)"
    )


class FxQuoteSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    rate = serializers.SerializerMethodField()

    class Meta:
        model = FxQuote
        fields = [
            "id", "pair", "side", "from_account", "to_account", "base_amount_minor", "quote_amount_minor", "rate",
            "markup_bp", "status", "expires_at", "created_at",
        ]  # fmt: skip

    def get_rate(self, quote: FxQuote) -> str:
        return format(quote.rate.normalize(), "f")


class FxDealSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    quote = serializers.CharField(source="quote.public_id")
    rate = serializers.SerializerMethodField()
    hedge_price = serializers.SerializerMethodField()

    class Meta:
        model = FxDeal
        fields = [
            "id", "quote", "pair", "side", "base_amount_minor", "quote_amount_minor", "rate", "status",
            "ledger_transactions", "hedge_exec_id", "hedge_price", "hedged_at", "failure", "created_at",
        ]  # fmt: skip

    def get_rate(self, deal: FxDeal) -> str:
        return format(deal.rate.normalize(), "f")

    def get_hedge_price(self, deal: FxDeal) -> str | None:
        return None if deal.hedge_price is None else format(deal.hedge_price.normalize(), "f")
