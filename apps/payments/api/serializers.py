"""Payment API bodies: the seed's ``POST /api/v1/payments/send`` body in, payment orders out."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.fields import AmountField
from apps.core.api.serializers import InputSerializer
from apps.core.money import format_amount

from ..models import Charges, PaymentEvent, PaymentMessage, PaymentOrder, Speed
from ..request import Party, PaymentRequest


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "maxItems": 4}]})
class AddressField(serializers.Field):
    """An address as one string (lines split on newlines) or up to 4 lines."""

    default_error_messages = {"invalid": "address must be a string or a list of up to 4 strings"}

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.splitlines()
        if not isinstance(data, list) or len(data) > 4 or not all(isinstance(line, str) for line in data):
            self.fail("invalid")
        return tuple(line.strip() for line in data if line.strip())

    def to_representation(self, value):
        return list(value)


class PartySerializer(InputSerializer):
    name = serializers.CharField(max_length=140)
    bic = serializers.CharField(max_length=11, required=False, default="")
    account = serializers.CharField(max_length=34, required=False, default="")
    iban = serializers.CharField(max_length=34, required=False, default="")
    country = serializers.CharField(max_length=2, required=False, default="")
    address = AddressField(required=False, default=())


class SenderSerializer(PartySerializer):
    account = serializers.CharField(max_length=34, help_text="QENEX account id, or an IBAN/number registered for it")


class ReceiverSerializer(PartySerializer):
    aba = serializers.CharField(max_length=9, required=False, default="", help_text="ABA routing number (US)")


class PaymentSendSerializer(InputSerializer):
    sender = SenderSerializer()
    receiver = ReceiverSerializer()
    amount = AmountField()
    currency = serializers.CharField(max_length=3)
    reference = serializers.CharField(max_length=35)
    speed = serializers.ChoiceField(choices=Speed.choices, default=Speed.STANDARD)
    charges = serializers.ChoiceField(choices=Charges.choices, default=Charges.SHA)
    remittance_info = serializers.CharField(max_length=140, required=False, default="", allow_blank=True)
    requested_execution_date = serializers.DateField(required=False, default=None)
    confirm_duplicate = serializers.BooleanField(required=False, default=False)
    idempotency_key = serializers.CharField(max_length=128, required=False)
    device_id = serializers.CharField(
        max_length=128, required=False, default="", allow_blank=True,
        help_text="the customer's device (a banking app's device identifier); fraud scoring compares it with the "
                  "devices of the customer's earlier payments",
    )

    def payment_request(self) -> PaymentRequest:
        v = self.validated_data
        return PaymentRequest(
            sender=Party(**v["sender"]),
            receiver=Party(**v["receiver"]),
            amount=v["amount"],
            currency=v["currency"],
            reference=v["reference"],
            speed=v["speed"],
            charges=v["charges"],
            remittance_info=v["remittance_info"],
            requested_execution_date=v["requested_execution_date"],
            confirm_duplicate=v["confirm_duplicate"],
            device_id=v["device_id"],
        )


class PaymentEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentEvent
        fields = ["from_status", "to_status", "reason_code", "reason", "actor", "occurred_at"]


class PaymentMessageSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")

    class Meta:
        model = PaymentMessage
        fields = [
            "id",
            "direction",
            "rail",
            "message_type",
            "kind",
            "status",
            "reason",
            "reply_id",
            "created_at",
            "body",
        ]


def _party(payment: PaymentOrder, side: str) -> dict:
    get = lambda name: getattr(payment, f"{side}_{name}")  # noqa: E731
    return {
        "name": get("name"),
        "account": get("identifier"),
        "bic": get("bic"),
        "country": get("country"),
        "address": [line for line in get("address").splitlines() if line],
    }


class PaymentSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    uetr = serializers.CharField()
    amount = serializers.SerializerMethodField()
    fee = serializers.SerializerMethodField()
    fee_transaction = serializers.CharField(source="fee_transaction_id")
    sender = serializers.SerializerMethodField()
    receiver = serializers.SerializerMethodField()
    sender_account = serializers.CharField(source="debtor_account.public_id")
    hold = serializers.CharField(source="hold_id")
    capture_transaction = serializers.CharField(source="capture_transaction_id")
    return_transaction = serializers.CharField(source="return_transaction_id")  # the (latest) REVERSAL of a return
    returned = serializers.SerializerMethodField()  # how much came back so far (partial returns add up)

    class Meta:
        model = PaymentOrder
        fields = [
            "id",
            "uetr",
            "status",
            "rail",
            "message_format",
            "routing_reasons",
            "amount",
            "currency",
            "fee",
            "fee_transaction",
            "reference",
            "speed",
            "value_date",
            "charges",
            "sender_account",
            "sender",
            "receiver",
            "hold",
            "capture_transaction",
            "return_transaction",
            "returned",
            "network_reference",
            "reason_code",
            "reason",
            "attempts",
            "created_at",
            "updated_at",
        ]

    def get_amount(self, payment: PaymentOrder) -> str:
        return format_amount(payment.amount_minor, payment.currency)

    def get_fee(self, payment: PaymentOrder) -> str:
        return format_amount(payment.fee_minor, payment.currency)

    def get_returned(self, payment: PaymentOrder) -> str:
        return format_amount(payment.returned_minor, payment.currency)

    def get_sender(self, payment: PaymentOrder) -> dict:
        return _party(payment, "debtor")

    def get_receiver(self, payment: PaymentOrder) -> dict:
        return {**_party(payment, "creditor"), "aba": payment.creditor_aba}


class PaymentDetailSerializer(PaymentSerializer):
    history = PaymentEventSerializer(source="events", many=True)
    messages = PaymentMessageSerializer(many=True)

    class Meta(PaymentSerializer.Meta):
        fields = [*PaymentSerializer.Meta.fields, "history", "messages"]
