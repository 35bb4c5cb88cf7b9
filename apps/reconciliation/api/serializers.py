"""Reconciliation API bodies: a statement file in; statements, runs (summary) and breaks out."""

from __future__ import annotations

import base64
import binascii

from django.utils import timezone
from rest_framework import serializers

from apps.core.api.serializers import InputSerializer
from apps.core.money import format_amount

from ..models import BankStatement, ReconciliationBreak, ReconciliationRun
from ..selectors import ageing

MAX_STATEMENT_BYTES = 20 * 1024 * 1024


class StatementImportSerializer(InputSerializer):
    content = serializers.CharField(trim_whitespace=False, help_text="the file: text, or base64 with encoding=base64")
    encoding = serializers.ChoiceField(choices=("text", "base64"), required=False, default="text")
    account = serializers.CharField(max_length=32, required=False, default="", help_text="default: the NOSTRO")
    reconcile = serializers.BooleanField(required=False, default=True)

    def raw(self) -> bytes:
        data = self.validated_data
        if data["encoding"] == "base64":
            try:
                raw = base64.b64decode(data["content"], validate=True)
            except (binascii.Error, ValueError):
                raise serializers.ValidationError({"content": "not valid base64"}) from None
        else:
            raw = data["content"].encode("utf-8")
        if len(raw) > MAX_STATEMENT_BYTES:
            raise serializers.ValidationError({"content": f"larger than {MAX_STATEMENT_BYTES} bytes"})
        return raw


def _amount(minor: int | None, currency: str) -> str | None:
    return None if minor is None else format_amount(minor, currency)


class BreakSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    run = serializers.CharField(source="run.public_id")
    statement = serializers.CharField(source="statement.public_id")
    line = serializers.SerializerMethodField()
    amount = serializers.SerializerMethodField()
    difference = serializers.SerializerMethodField()
    age_days = serializers.SerializerMethodField()

    class Meta:
        model = ReconciliationBreak
        fields = [
            "id",
            "kind",
            "status",
            "run",
            "statement",
            "line",
            "payment",
            "entry",
            "amount",
            "difference",
            "currency",
            "value_date",
            "age_days",
            "description",
            "resolution",
            "resolved_by",
            "resolved_at",
            "linked_payment",
            "linked_entry",
            "approval",
            "created_at",
        ]

    def get_line(self, obj) -> int | None:
        return obj.line.position if obj.line_id else None

    def get_amount(self, obj) -> str:
        return format_amount(obj.amount_minor, obj.currency)

    def get_difference(self, obj) -> str:
        return format_amount(obj.difference_minor, obj.currency)

    def get_age_days(self, obj) -> int:
        return obj.age_days(timezone.localdate())


class RunSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    statement = serializers.CharField(source="statement.public_id")
    account = serializers.CharField(source="statement.account.public_id")
    currency = serializers.CharField(source="statement.currency")
    statement_date = serializers.DateField(source="statement.statement_date")
    cut_off = serializers.DateTimeField(source="statement.cut_off")
    statement_closing_balance = serializers.SerializerMethodField()
    ledger_balance = serializers.SerializerMethodField()
    expected_ledger_balance = serializers.SerializerMethodField()
    explained_by_breaks = serializers.SerializerMethodField()
    unmatched_count = serializers.SerializerMethodField()

    class Meta:
        model = ReconciliationRun
        fields = [
            "id",
            "statement",
            "account",
            "currency",
            "statement_date",
            "cut_off",
            "started_at",
            "actor",
            "line_count",
            "matched_count",
            "unmatched_count",
            "break_count",
            "statement_closing_balance",
            "ledger_balance",
            "expected_ledger_balance",
            "explained_by_breaks",
            "balance_agrees",
        ]

    def _currency(self, obj) -> str:
        return obj.statement.currency

    def get_statement_closing_balance(self, obj) -> str | None:
        return _amount(obj.statement_closing_minor, self._currency(obj))

    def get_ledger_balance(self, obj) -> str | None:
        return _amount(obj.ledger_balance_minor, self._currency(obj))

    def get_expected_ledger_balance(self, obj) -> str | None:
        return _amount(obj.expected_ledger_minor, self._currency(obj))

    def get_explained_by_breaks(self, obj) -> str:
        return format_amount(obj.explained_minor, self._currency(obj))

    def get_unmatched_count(self, obj) -> int:
        return obj.line_count - obj.matched_count


class RunDetailSerializer(RunSerializer):
    breaks = serializers.SerializerMethodField()
    ageing = serializers.SerializerMethodField()

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "ageing", "breaks"]

    def get_breaks(self, obj) -> list[dict]:
        return BreakSerializer(obj.breaks.select_related("run", "statement", "line").order_by("id"), many=True).data

    def get_ageing(self, obj) -> dict[str, int]:
        return ageing(obj.breaks.filter(status="OPEN"))


class StatementSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    account = serializers.CharField(source="account.public_id")
    opening_balance = serializers.SerializerMethodField()
    closing_balance = serializers.SerializerMethodField()
    line_count = serializers.SerializerMethodField()

    class Meta:
        model = BankStatement
        fields = [
            "id",
            "source_format",
            "kind",
            "statement_id",
            "message_id",
            "sequence_number",
            "statement_account",
            "account",
            "currency",
            "statement_date",
            "period_start",
            "cut_off",
            "opening_balance",
            "closing_balance",
            "line_count",
            "imported_by",
            "imported_at",
        ]

    def get_opening_balance(self, obj) -> str | None:
        return _amount(obj.opening_minor, obj.currency)

    def get_closing_balance(self, obj) -> str | None:
        return _amount(obj.closing_minor, obj.currency)

    def get_line_count(self, obj) -> int:
        return obj.lines.count()


class BreakResolveSerializer(InputSerializer):
    note = serializers.CharField(max_length=1000)
    payment = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)
    entry = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)


class BreakWriteOffSerializer(InputSerializer):
    reason = serializers.CharField(max_length=1000)
