from rest_framework import serializers

from apps.approvals.models import ApprovalKind, ApprovalRequest
from apps.core.api.serializers import InputSerializer


class ApprovalSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    maker = serializers.CharField(source="maker_name")
    checker = serializers.CharField(source="checker.username", allow_null=True, default=None)

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "kind",
            "status",
            "payload",
            "maker",
            "checker",
            "reason",
            "result_ref",
            "error_code",
            "error_message",
            "created_at",
            "decided_at",
            "executed_at",
        ]


class ApprovalCreateSerializer(InputSerializer):
    kind = serializers.ChoiceField(choices=ApprovalKind.choices)
    payload = serializers.DictField()


class ApprovalDecisionSerializer(InputSerializer):
    reason = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)
