from __future__ import annotations

import json

from rest_framework import serializers

from apps.core.api.fields import AmountField
from apps.core.api.serializers import InputSerializer
from apps.core.money import format_amount

from ..models import Channel, Customer, CustomerDocument, CustomerKind, DocumentType


class CustomerFieldsSerializer(InputSerializer):
    """The fields of a customer as a client sends them; every field optional here (an update sends some)."""

    kind = serializers.ChoiceField(choices=CustomerKind.choices, required=False)
    name = serializers.CharField(max_length=300, required=False)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    nationality = serializers.CharField(max_length=2, required=False, allow_blank=True)
    addresses = serializers.ListField(child=serializers.JSONField(), required=False, max_length=10)
    national_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    residence_country = serializers.CharField(max_length=2, required=False)
    pep = serializers.BooleanField(required=False)
    occupation = serializers.CharField(max_length=100, required=False, allow_blank=True)
    industry = serializers.CharField(max_length=50, required=False, allow_blank=True)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    products = serializers.ListField(child=serializers.CharField(max_length=32), required=False, max_length=20)
    expected_monthly_amount = AmountField(required=False)
    expected_currency = serializers.CharField(max_length=3, min_length=3, required=False)


class CustomerCreateSerializer(CustomerFieldsSerializer):
    kind = serializers.ChoiceField(choices=CustomerKind.choices)
    name = serializers.CharField(max_length=300)
    residence_country = serializers.CharField(max_length=2)


class DocumentUploadSerializer(InputSerializer):
    doc_type = serializers.ChoiceField(choices=DocumentType.choices)
    number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    issuing_country = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    file = serializers.FileField(required=False, help_text="multipart upload")
    content_base64 = serializers.CharField(required=False, help_text="or the file, base64, in a JSON body")
    file_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    content_type = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class DocumentDecisionSerializer(InputSerializer):
    verified = serializers.BooleanField(default=True)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class VerifySerializer(InputSerializer):
    edd_notes = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class RejectSerializer(InputSerializer):
    reason = serializers.CharField(max_length=500)


class DocumentSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")

    class Meta:
        model = CustomerDocument
        fields = [
            "id",
            "doc_type",
            "issuing_country",
            "expires_on",
            "file_name",
            "content_type",
            "size",
            "sha256",
            "status",
            "decided_by",
            "decided_at",
            "decision_reason",
            "uploaded_at",
        ]


class CustomerSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    addresses = serializers.SerializerMethodField()
    expected_monthly_amount = serializers.SerializerMethodField()
    kyc_status = serializers.SerializerMethodField()
    date_of_birth = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "kind",
            "name",
            "date_of_birth",
            "nationality",
            "addresses",
            "national_id",
            "residence_country",
            "pep",
            "occupation",
            "industry",
            "channel",
            "products",
            "expected_monthly_amount",
            "expected_currency",
            "kyc_status",
            "kyc_verified_at",
            "kyc_verified_by",
            "kyc_expires_on",
            "kyc_note",
            "risk_rating",
            "risk_score",
            "risk_reasons",
            "next_review_on",
            "edd_required",
            "sanctions_status",
            "screened_at",
            "created_at",
            "updated_at",
        ]

    def get_addresses(self, customer: Customer) -> list:
        try:
            return json.loads(customer.addresses) if customer.addresses else []
        except ValueError:  # "[erased]" (apps.privacy crypto-shredded the customer): shown as it reads
            return [customer.addresses]

    def get_expected_monthly_amount(self, customer: Customer) -> str:
        return format_amount(customer.expected_monthly_amount_minor, customer.expected_currency)

    def get_kyc_status(self, customer: Customer) -> str:
        from ..selectors import effective_kyc_status

        return effective_kyc_status(status=customer.kyc_status, expires_on=customer.kyc_expires_on)

    def get_date_of_birth(self, customer: Customer) -> str | None:
        return customer.date_of_birth or None
