from rest_framework import serializers

from apps.accounts.models import Account, AccountStatus
from apps.core.api.fields import AmountField
from apps.core.api.serializers import InputSerializer
from apps.core.money import format_amount


class AccountCreateSerializer(InputSerializer):
    owner_id = serializers.CharField(max_length=64)
    account_type = serializers.CharField(max_length=16)
    currency = serializers.CharField(max_length=3, min_length=3)
    name = serializers.CharField(max_length=140, required=False, default="", allow_blank=True)
    initial_balance = AmountField(required=False)
    overdraft_limit = AmountField(required=False, default="0")
    activate = serializers.BooleanField(required=False, default=True)
    idempotency_key = serializers.CharField(max_length=128, required=False)


class AccountStatusSerializer(InputSerializer):
    status = serializers.ChoiceField(choices=AccountStatus.choices)


class AccountOverdraftSerializer(InputSerializer):
    overdraft_limit = AmountField()


class AccountSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    overdraft_limit = serializers.SerializerMethodField()
    balance = serializers.SerializerMethodField()
    available_balance = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = [
            "id",
            "owner_id",
            "account_type",
            "currency",
            "status",
            "name",
            "overdraft_limit",
            "balance",
            "available_balance",
            "created_at",
        ]

    def _balance(self, obj):
        from apps.ledger.selectors import balance_get

        cache = self.context.setdefault("_balances", {})
        if obj.pk not in cache:
            cache[obj.pk] = balance_get(account=obj)
        return cache[obj.pk]

    def get_overdraft_limit(self, obj) -> str:
        return format_amount(obj.overdraft_limit_minor, obj.currency)

    def get_balance(self, obj) -> str:
        return format_amount(self._balance(obj).ledger_minor, obj.currency)

    def get_available_balance(self, obj) -> str:
        return format_amount(self._balance(obj).available_minor, obj.currency)
