"""Operator-facing admin for reconciliation: statements, runs and breaks read-only; actions go through the services.

Breaks are resolved with an action that asks for a note (the resolution is audited); matching rules are the one
thing edited directly, since they are configuration.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone

from apps.core.errors import DomainError
from apps.core.money import format_amount

from . import services
from .models import BankStatement, MatchingRule, ReconciliationBreak, ReconciliationRun, StatementLine


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StatementLineInline(admin.TabularInline):
    model = StatementLine
    fields = [
        "position",
        "amount_minor",
        "value_date",
        "end_to_end_id",
        "uetr",
        "match_status",
        "matched_payment",
        "matched_rule",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(BankStatement)
class BankStatementAdmin(ReadOnly):
    list_display = ["public_id", "source_format", "statement_id", "account", "statement_date", "closing", "imported_at"]
    list_filter = ["source_format", "kind", "currency"]
    search_fields = ["public_id", "statement_id", "message_id", "statement_account"]
    readonly_fields = [f.name for f in BankStatement._meta.fields]
    inlines = [StatementLineInline]
    actions = ["reconcile"]

    @admin.display(description="Closing balance")
    def closing(self, obj):
        return "" if obj.closing_minor is None else format_amount(obj.closing_minor, obj.currency)

    @admin.action(description="Reconcile selected statements now", permissions=["operator"])
    def reconcile(self, request, queryset):
        for statement in queryset:
            run = services.reconciliation_run(statement_id=statement.public_id, actor=request.user.username)
            self.message_user(request, f"{statement.public_id}: {run}", messages.SUCCESS)

    def has_operator_permission(self, request) -> bool:
        return request.user.has_perm("reconciliation.change_reconciliationbreak")


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnly):
    list_display = [
        "public_id",
        "statement",
        "started_at",
        "line_count",
        "matched_count",
        "break_count",
        "balance_agrees",
    ]
    list_filter = ["balance_agrees"]
    readonly_fields = [f.name for f in ReconciliationRun._meta.fields]


@admin.action(description="Resolve selected breaks (note: 'resolved in admin' + your name)", permissions=["operator"])
def resolve(modeladmin, request, queryset):
    done = 0
    for item in queryset:
        try:
            services.break_resolve(
                break_id=item.public_id,
                note=f"resolved in admin by {request.user.username}",
                actor=request.user.username,
            )
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{item.public_id}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{done} break(s) resolved.", messages.SUCCESS)


@admin.register(ReconciliationBreak)
class ReconciliationBreakAdmin(ReadOnly):
    list_display = ["public_id", "kind", "status", "amount", "currency", "value_date", "age", "payment", "statement"]
    list_filter = ["status", "kind", "currency"]
    search_fields = ["public_id", "payment", "entry"]
    readonly_fields = [f.name for f in ReconciliationBreak._meta.fields]
    actions = [resolve]

    @admin.display(description="Amount")
    def amount(self, obj):
        return format_amount(obj.amount_minor, obj.currency)

    @admin.display(description="Age (days)")
    def age(self, obj):
        return obj.age_days(timezone.localdate())

    def has_operator_permission(self, request) -> bool:
        return request.user.has_perm("reconciliation.change_reconciliationbreak")


@admin.register(MatchingRule)
class MatchingRuleAdmin(admin.ModelAdmin):
    list_display = ["priority", "name", "match_on", "date_tolerance_days", "active"]
    list_editable = ["active"]
    ordering = ["priority", "name"]
