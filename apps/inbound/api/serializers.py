"""Inbound API bodies: a raw network message in; inbound payments, exception items and notices out."""

from __future__ import annotations

from rest_framework import serializers

from apps.core.api.serializers import InputSerializer
from apps.core.money import format_amount
from apps.payments.models import Rail

from ..models import ExceptionItem, InboundPayment, PaymentNotice

MAX_MESSAGE = 900_000  # characters: under the 1 MiB request limit with the JSON around it


class InboundReceiveSerializer(InputSerializer):
    message = serializers.CharField(max_length=MAX_MESSAGE, trim_whitespace=False)
    rail = serializers.ChoiceField(choices=Rail.values, required=False, default=None, allow_null=True)


class ExceptionApplySerializer(InputSerializer):
    account = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)
    note = serializers.CharField(max_length=1000, required=False, default="", allow_blank=True)


class ExceptionReturnSerializer(InputSerializer):
    reason_code = serializers.CharField(max_length=4, required=False, default="", allow_blank=True)
    note = serializers.CharField(max_length=1000, required=False, default="", allow_blank=True)


class InboundPaymentSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    amount = serializers.SerializerMethodField()
    account = serializers.CharField(source="account.public_id", default=None)
    transaction = serializers.CharField(source="transaction_id")
    exception = serializers.CharField(source="exception.public_id", default=None)
    debtor = serializers.SerializerMethodField()
    creditor = serializers.SerializerMethodField()

    class Meta:
        model = InboundPayment
        fields = [
            "id",
            "rail",
            "message_type",
            "direction",
            "network_id",
            "status",
            "amount",
            "currency",
            "value_date",
            "uetr",
            "end_to_end_id",
            "debtor",
            "creditor",
            "account",
            "resolved_by",
            "transaction",
            "exception",
            "return_reason_code",
            "return_status",
            "return_message_type",
            "return_network_reference",
            "source",
            "received_at",
        ]

    def get_amount(self, obj) -> str:
        return format_amount(obj.amount_minor, obj.currency)

    def get_debtor(self, obj) -> dict:
        return {"name": obj.debtor_name, "account": obj.debtor_account, "agent": obj.debtor_agent}

    def get_creditor(self, obj) -> dict:
        return {"name": obj.creditor_name, "account": obj.creditor_account, "agent": obj.creditor_agent}


class ExceptionItemSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    inbound = InboundPaymentSerializer()
    suggested_account = serializers.CharField(source="suggested_account.public_id", default=None)
    resolved_account = serializers.CharField(source="resolved_account.public_id", default=None)

    class Meta:
        model = ExceptionItem
        fields = [
            "id",
            "status",
            "reason_code",
            "reason",
            "return_by",
            "suggested_account",
            "resolved_account",
            "resolved_by",
            "resolved_at",
            "resolution_note",
            "created_at",
            "inbound",
        ]


class PaymentNoticeSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    payment = serializers.CharField(source="payment_id")

    class Meta:
        model = PaymentNotice
        fields = [
            "id",
            "rail",
            "kind",
            "network_id",
            "message_type",
            "reason_code",
            "reason",
            "payment",
            "status",
            "source",
            "received_at",
        ]


class ItemResultSerializer(serializers.Serializer):
    kind = serializers.CharField()
    network_id = serializers.CharField()
    outcome = serializers.CharField()
    detail = serializers.CharField()
    inbound = InboundPaymentSerializer(allow_null=True)
    notice = PaymentNoticeSerializer(allow_null=True)


class ReceiveResultSerializer(serializers.Serializer):
    message_type = serializers.CharField()
    items = ItemResultSerializer(many=True)
    skipped = serializers.ListField(child=serializers.CharField())
