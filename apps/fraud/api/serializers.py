from rest_framework import serializers

from apps.core.api.serializers import InputSerializer


class AlertDecisionSerializer(InputSerializer):
    decision = serializers.ChoiceField(choices=["fraud", "not_fraud"])


class FraudAlertSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    kind = serializers.CharField()
    reference = serializers.CharField()
    customer_id = serializers.CharField()
    account = serializers.CharField()
    counterparty_id = serializers.CharField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    score = serializers.FloatField()
    decision = serializers.CharField()
    action = serializers.CharField()
    model_version = serializers.CharField()
    explanation = serializers.JSONField()
    status = serializers.CharField()
    decided_by = serializers.CharField()
    decided_at = serializers.DateTimeField()
