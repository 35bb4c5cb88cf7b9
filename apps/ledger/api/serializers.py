from django.conf import settings
from rest_framework import serializers

from apps.core.api.fields import AmountField
from apps.core.api.serializers import InputSerializer, RefuseUnknownFields
from apps.core.money import format_amount
from apps.ledger.models import FxRate, Hold, JournalEntry, PeriodClose, Posting
from apps.ledger.rules import POSTING_FIELDS

REQUEST_TYPES = ["DEPOSIT", "WITHDRAWAL", "TRANSFER", "FEE", "REVERSAL"]


class TransactionCreateSerializer(InputSerializer):
    type = serializers.ChoiceField(choices=REQUEST_TYPES)
    from_account = serializers.CharField(max_length=32, required=False)
    to_account = serializers.CharField(max_length=32, required=False)
    amount = AmountField(required=False)
    currency = serializers.CharField(max_length=3, min_length=3, required=False)
    description = serializers.CharField(max_length=280, required=False, default="", allow_blank=True)
    metadata = serializers.DictField(required=False, default=dict)
    original_transaction = serializers.CharField(max_length=32, required=False)
    idempotency_key = serializers.CharField(max_length=128, required=False)

    # Which fields each type needs; the rest must be absent so a mistaken request is not half-read.
    NEEDS = {**{kind: set(fields) for kind, fields in POSTING_FIELDS.items()}, "REVERSAL": {"original_transaction"}}
    OPTIONAL = {"description", "metadata", "idempotency_key", "type"}

    def validate(self, attrs):
        needed = self.NEEDS[attrs["type"]]
        for name in sorted(needed):
            if name not in attrs:
                raise serializers.ValidationError(
                    {name: [serializers.ErrorDetail(f"{name} is required for a {attrs['type']}", code="required")]}
                )
        extra = sorted(set(self.initial_data) - needed - self.OPTIONAL)
        if extra:
            raise serializers.ValidationError(
                {
                    extra[0]: [
                        serializers.ErrorDetail(
                            f"{extra[0]} is not allowed for a {attrs['type']}", code="unexpected_field"
                        )
                    ]
                }
            )
        return attrs


class PostingSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.public_id")
    amount = serializers.SerializerMethodField()
    balance_after = serializers.SerializerMethodField()

    class Meta:
        model = Posting
        fields = ["account", "amount", "currency", "balance_after"]

    def get_amount(self, obj) -> str:
        return format_amount(obj.amount_minor, obj.currency)

    def get_balance_after(self, obj) -> str | None:
        # None on a hot account: its postings commit in parallel and carry no running balance.
        return None if obj.balance_after_minor is None else format_amount(obj.balance_after_minor, obj.currency)


class TransactionSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    type = serializers.CharField(source="entry_type")
    status = serializers.SerializerMethodField()
    from_account = serializers.CharField(source="from_account.public_id", default=None, allow_null=True)
    to_account = serializers.CharField(source="to_account.public_id", default=None, allow_null=True)
    amount = serializers.SerializerMethodField()
    reverses = serializers.CharField(source="reverses.public_id", default=None, allow_null=True)
    reversed_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(source="posted_at")
    postings = PostingSerializer(many=True, read_only=True)

    class Meta:
        model = JournalEntry
        fields = [
            "id",
            "type",
            "status",
            "from_account",
            "to_account",
            "amount",
            "currency",
            "description",
            "metadata",
            "reverses",
            "reversed_by",
            "created_at",
            "postings",
        ]

    def get_status(self, obj) -> str:
        return "POSTED"

    def get_amount(self, obj) -> str:
        return format_amount(obj.amount_minor, obj.currency)

    def get_reversed_by(self, obj) -> str | None:
        # The reverse one-to-one accessor: a query, unless the service already knows (a new entry: none).
        try:
            return obj.reversed_by.public_id
        except JournalEntry.DoesNotExist:
            return None


class BatchCreateSerializer(InputSerializer):
    """The batch as a whole; each entry is checked by the service (``apps.ledger.services.batch``), so a bad
    entry is refused with its own code and index instead of failing the request's shape."""

    mode = serializers.ChoiceField(choices=["atomic", "independent"], default="atomic")
    entries = serializers.ListField(child=serializers.JSONField(), allow_empty=False)

    def validate_entries(self, value):
        limit = settings.QENEX_BATCH_MAX_ENTRIES
        if len(value) > limit:
            raise serializers.ValidationError(f"at most {limit} entries per batch", code="too_many_entries")
        return value


class ReverseSerializer(InputSerializer):
    description = serializers.CharField(max_length=280, required=False, default="", allow_blank=True)


class StatementLineSerializer(serializers.ModelSerializer):
    transaction = serializers.CharField(source="entry.public_id")
    type = serializers.CharField(source="entry.entry_type")
    description = serializers.CharField(source="entry.description")
    amount = serializers.SerializerMethodField()
    balance_after = serializers.SerializerMethodField()

    class Meta:
        model = Posting
        fields = ["transaction", "type", "description", "amount", "currency", "balance_after", "posted_at"]

    def get_amount(self, obj) -> str:
        return format_amount(obj.amount_minor, obj.currency)

    def get_balance_after(self, obj) -> str | None:
        # None on a hot account: its postings commit in parallel and carry no running balance.
        return None if obj.balance_after_minor is None else format_amount(obj.balance_after_minor, obj.currency)


class HoldCreateSerializer(InputSerializer):
    account = serializers.CharField(max_length=32)
    amount = AmountField()
    currency = serializers.CharField(max_length=3, min_length=3)
    expires_at = serializers.DateTimeField(required=False)
    description = serializers.CharField(max_length=280, required=False, default="", allow_blank=True)
    idempotency_key = serializers.CharField(max_length=128, required=False)


class HoldCaptureSerializer(InputSerializer):
    to_account = serializers.CharField(max_length=32)
    amount = AmountField(required=False)
    description = serializers.CharField(max_length=280, required=False, default="", allow_blank=True)
    idempotency_key = serializers.CharField(max_length=128, required=False)


class HoldSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    account = serializers.CharField(source="account.public_id")
    amount = serializers.SerializerMethodField()
    captured_amount = serializers.SerializerMethodField()
    capture_transaction = serializers.CharField(source="capture_entry.public_id", default=None, allow_null=True)

    class Meta:
        model = Hold
        fields = [
            "id",
            "account",
            "amount",
            "currency",
            "status",
            "captured_amount",
            "capture_transaction",
            "description",
            "expires_at",
            "created_at",
            "closed_at",
        ]

    def get_amount(self, obj) -> str:
        return format_amount(obj.amount_minor, obj.currency)

    def get_captured_amount(self, obj) -> str:
        return format_amount(obj.captured_minor, obj.currency)


class FxRateSerializer(RefuseUnknownFields, serializers.ModelSerializer):
    base_currency = serializers.CharField(max_length=3, min_length=3)
    quote_currency = serializers.CharField(max_length=3, min_length=3)
    rate = AmountField()

    class Meta:
        model = FxRate
        fields = ["base_currency", "quote_currency", "rate", "valid_from", "source"]
        extra_kwargs = {"valid_from": {"required": False}, "source": {"required": False}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["rate"] = format(instance.rate.normalize(), "f")
        return data


class PeriodCloseCreateSerializer(InputSerializer):
    granularity = serializers.ChoiceField(choices=["DAY", "MONTH"])
    date = serializers.DateField(help_text="Any day of the period (UTC); a MONTH close takes its whole month")


class PeriodCloseSerializer(serializers.ModelSerializer):
    trial_balance = serializers.SerializerMethodField()

    class Meta:
        model = PeriodClose
        fields = [
            "id",
            "granularity",
            "period_start",
            "period_end",
            "accounts",
            "closed_at",
            "closed_by",
            "trial_balance",
        ]

    def get_trial_balance(self, obj) -> list[dict]:
        return [
            {
                "currency": row.currency,
                "debit": format_amount(row.debit_minor, row.currency),
                "credit": format_amount(row.credit_minor, row.currency),
                "accounts": row.accounts,
            }
            for row in obj.currencies.order_by("currency")
        ]
