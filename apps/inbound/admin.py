"""Operator-facing admin for inbound payments: read-only records; exception items are resolved by actions.

The action bar carries an ``account`` field: "Apply" credits the selected items to that account (or, left
empty, to the account their identifiers named: the release of a held payment), "Return" sends them back to the
sender with the rail's reason code. Each action calls one service per item.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm

from apps.core.errors import DomainError
from apps.core.money import format_amount

from . import services
from .models import ExceptionItem, InboundPayment, PaymentNotice, RecallRequest


class ExceptionActionForm(ActionForm):
    account = forms.CharField(required=False, max_length=32, help_text="acc_… to apply to (empty: the suggested one)")


def _each(modeladmin, request, queryset, call, done_text: str) -> None:
    done = 0
    for item in queryset:
        try:
            call(item)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{item.public_id}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{done} exception item(s) {done_text}.", messages.SUCCESS)


@admin.action(description="Apply selected items to the account given (or the suggested one)", permissions=["operator"])
def apply_to_account(modeladmin, request, queryset):
    account = (request.POST.get("account") or "").strip() or None
    actor = request.user.username
    _each(
        modeladmin,
        request,
        queryset,
        lambda item: services.exception_apply(exception_id=item.public_id, account_id=account, actor=actor),
        "applied",
    )


@admin.action(description="Return selected items to the sender", permissions=["operator"])
def return_to_sender(modeladmin, request, queryset):
    actor = request.user.username
    _each(
        modeladmin,
        request,
        queryset,
        lambda item: services.exception_return(exception_id=item.public_id, actor=actor),
        "returned to the sender",
    )


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False  # inbound payments come from the networks, the API or the command

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # changes only through the actions (the services)


@admin.register(ExceptionItem)
class ExceptionItemAdmin(ReadOnly):
    list_display = ["public_id", "status", "reason_code", "amount", "rail", "return_by", "suggested", "created_at"]
    list_filter = ["status", "reason_code", "inbound__rail"]
    search_fields = ["public_id", "inbound__public_id", "inbound__network_id"]
    readonly_fields = [f.name for f in ExceptionItem._meta.fields]
    actions = [apply_to_account, return_to_sender]
    action_form = ExceptionActionForm

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("inbound", "suggested_account")

    @admin.display(description="Amount")
    def amount(self, obj):
        return f"{format_amount(obj.inbound.amount_minor, obj.inbound.currency)} {obj.inbound.currency}"

    @admin.display(description="Rail")
    def rail(self, obj):
        return obj.inbound.rail

    @admin.display(description="Suggested account")
    def suggested(self, obj):
        return obj.suggested_account.public_id if obj.suggested_account else "-"

    def has_operator_permission(self, request) -> bool:
        return request.user.has_perm("inbound.change_exceptionitem")


@admin.register(InboundPayment)
class InboundPaymentAdmin(ReadOnly):
    list_display = ["public_id", "rail", "direction", "status", "amount", "currency", "network_id", "received_at"]
    list_filter = ["status", "rail", "direction", "return_status"]
    search_fields = ["public_id", "network_id", "uetr", "end_to_end_id"]
    readonly_fields = [f.name for f in InboundPayment._meta.fields]

    @admin.display(description="Amount")
    def amount(self, obj):
        return format_amount(obj.amount_minor, obj.currency)


@admin.register(PaymentNotice)
class PaymentNoticeAdmin(ReadOnly):
    list_display = ["public_id", "rail", "kind", "reason_code", "status", "payment_id", "received_at"]
    list_filter = ["kind", "status", "rail"]
    search_fields = ["public_id", "payment_id", "network_id"]
    readonly_fields = [f.name for f in PaymentNotice._meta.fields]


@admin.register(RecallRequest)
class RecallRequestAdmin(ReadOnly):
    list_display = ["public_id", "rail", "reason_code", "decision", "decision_reason", "answer_status", "received_at"]
    list_filter = ["decision", "answer_status", "rail"]
    search_fields = ["public_id", "network_id"]
    readonly_fields = [f.name for f in RecallRequest._meta.fields]
