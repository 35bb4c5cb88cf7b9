"""Request and response bodies of the AML API (rules, alerts, cases, reports)."""

from __future__ import annotations

from rest_framework import serializers

from apps.compliance.aml_models import (
    AmlAlert,
    AmlCase,
    AmlReport,
    CaseDecision,
    CaseEvent,
    CaseNote,
    MonitoringRule,
    RuleKind,
    RuleSchedule,
    Severity,
)
from apps.core.api.serializers import InputSerializer


class RuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = MonitoringRule
        fields = [
            "code",
            "name",
            "kind",
            "schedule",
            "parameters",
            "severity",
            "active",
            "version",
            "updated_at",
            "updated_by",
        ]


class RuleSaveSerializer(InputSerializer):
    code = serializers.SlugField(max_length=64)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=RuleKind.choices)
    schedule = serializers.ChoiceField(choices=RuleSchedule.choices, default=RuleSchedule.REAL_TIME)
    parameters = serializers.DictField(required=False, default=dict)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.MEDIUM)
    active = serializers.BooleanField(default=True)


class AlertSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    rule = serializers.CharField(source="rule.code")
    rule_version = serializers.IntegerField(source="rule_version.version")
    case = serializers.CharField(source="case.public_id", default=None)

    class Meta:
        model = AmlAlert
        fields = [
            "id",
            "rule",
            "rule_version",
            "kind",
            "owner_id",
            "account",
            "severity",
            "summary",
            "transactions",
            "figures",
            "status",
            "case",
            "raised_at",
            "held_payment",
            "decision",
            "decision_reason",
            "decided_by",
            "decided_at",
        ]


class NoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseNote
        fields = ["id", "author", "text", "created_at"]


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseEvent
        fields = ["action", "actor", "details", "at"]


class CaseSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    assignee = serializers.CharField(source="assignee.username", default=None)

    class Meta:
        model = AmlCase
        fields = [
            "id",
            "owner_id",
            "status",
            "priority",
            "assignee",
            "due_at",
            "escalation_level",
            "decision",
            "decision_reason",
            "decided_by",
            "approval",
            "created_at",
            "updated_at",
            "closed_at",
        ]


class CaseDetailSerializer(CaseSerializer):
    alerts = AlertSerializer(many=True)
    notes = NoteSerializer(many=True)
    events = EventSerializer(many=True)
    attachments = serializers.SerializerMethodField()
    reports = serializers.SerializerMethodField()
    party = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "party", "alerts", "notes", "events", "attachments", "reports"]

    def get_party(self, case) -> dict:
        """Who the case is about, from ``party_for_owner`` (the customer record, else the account holder)."""
        from ..parties import party_for_owner

        party = party_for_owner(case.owner_id)
        return {
            "owner_id": party.owner_id,
            "name": party.display_name,
            "is_entity": party.is_entity,
            "is_customer": party.is_customer,
            "country": party.country,
            "accounts": [a.public_id for a in party.accounts],
        }

    def get_attachments(self, case) -> list[dict]:
        return [
            {
                "id": a.pk,
                "name": a.name,
                "sha256": a.sha256,
                "size": a.size,
                "uploaded_by": a.uploaded_by,
                "uploaded_at": a.uploaded_at,
            }
            for a in case.attachments.all()
        ]

    def get_reports(self, case) -> list[str]:
        return [r.public_id for r in case.reports.all()]


class CaseAssignSerializer(InputSerializer):
    assignee = serializers.CharField(allow_null=True, max_length=150, help_text="a staff username, or null")


class CaseUpdateSerializer(InputSerializer):
    priority = serializers.ChoiceField(choices=Severity.choices, required=False)
    due_at = serializers.DateTimeField(required=False)


class CaseNoteSerializer(InputSerializer):
    text = serializers.CharField(max_length=10000)


class CaseAttachmentSerializer(InputSerializer):
    name = serializers.CharField(max_length=200)
    content_base64 = serializers.CharField(help_text="the file's bytes, base64")


class ReasonSerializer(InputSerializer):
    reason = serializers.CharField(max_length=1000)


class CaseDecisionSerializer(InputSerializer):
    decision = serializers.ChoiceField(choices=CaseDecision.choices)
    reason = serializers.CharField(max_length=1000)


class ReportSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    case = serializers.CharField(source="case.public_id", default=None)

    class Meta:
        model = AmlReport
        fields = [
            "id",
            "report_type",
            "status",
            "owner_id",
            "business_day",
            "year",
            "case",
            "figures",
            "xml_sha256",
            "created_at",
            "created_by",
            "reviewed_by",
            "reviewed_at",
            "approved_by",
            "approved_at",
            "filed_by",
            "filed_at",
            "bsa_id",
            "rejection_reason",
        ]


class CtrGenerateSerializer(InputSerializer):
    day = serializers.DateField(help_text="the business day (YYYY-MM-DD)")


class FbarGenerateSerializer(InputSerializer):
    owner_id = serializers.CharField(max_length=64)
    year = serializers.IntegerField(min_value=1990, max_value=2100)
    accounts = serializers.ListField(child=serializers.CharField(max_length=32), required=False)


class ReportFileSerializer(InputSerializer):
    bsa_id = serializers.CharField(max_length=32)
