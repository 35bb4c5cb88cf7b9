from rest_framework import serializers

from apps.cards.models import Authorisation, Card, CardStatus
from apps.core.api.fields import AmountField
from apps.core.api.serializers import InputSerializer
from apps.core.money import format_amount


class CardIssueSerializer(InputSerializer):
    account = serializers.CharField(max_length=32)
    # Digits only; write-only by construction (no output serializer has it), and never echoed in an error.
    pan = serializers.RegexField(r"^[0-9]{12,19}$", max_length=19, error_messages={"invalid": "12 to 19 digits"})
    expiry_year = serializers.IntegerField(min_value=2000, max_value=2099)
    expiry_month = serializers.IntegerField(min_value=1, max_value=12)
    per_transaction_limit = AmountField()
    daily_limit = AmountField()
    idempotency_key = serializers.CharField(max_length=128, required=False)


class CardBlockSerializer(InputSerializer):
    status = serializers.ChoiceField(
        choices=[CardStatus.BLOCKED, CardStatus.LOST], required=False, default=CardStatus.BLOCKED
    )
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class CardSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    account = serializers.CharField(source="account.public_id")
    masked_pan = serializers.CharField()
    expiry = serializers.SerializerMethodField()
    per_transaction_limit = serializers.SerializerMethodField()
    daily_limit = serializers.SerializerMethodField()

    class Meta:
        model = Card
        fields = [
            "id",
            "token",
            "account",
            "scheme",
            "masked_pan",
            "last_four",
            "expiry",
            "status",
            "currency",
            "per_transaction_limit",
            "daily_limit",
            "created_at",
        ]

    def get_expiry(self, obj) -> str:
        return f"{obj.expiry_year:04d}-{obj.expiry_month:02d}"

    def get_per_transaction_limit(self, obj) -> str:
        return format_amount(obj.per_transaction_limit_minor, obj.currency)

    def get_daily_limit(self, obj) -> str:
        return format_amount(obj.daily_limit_minor, obj.currency)


class AuthorisationSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    amount = serializers.SerializerMethodField()
    cleared_amount = serializers.SerializerMethodField()
    hold = serializers.CharField(source="hold_id")

    class Meta:
        model = Authorisation
        fields = [
            "id",
            "status",
            "response_code",
            "decline_reason",
            "auth_code",
            "amount",
            "cleared_amount",
            "currency",
            "stan",
            "rrn",
            "terminal_id",
            "merchant_id",
            "merchant_category",
            "hold",
            "capture_transaction_id",
            "expires_at",
            "created_at",
            "closed_at",
        ]

    def get_amount(self, obj) -> str:
        return format_amount(obj.amount_minor, obj.currency)

    def get_cleared_amount(self, obj) -> str:
        return format_amount(obj.cleared_minor, obj.currency)
