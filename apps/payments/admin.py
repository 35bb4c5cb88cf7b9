"""Officer-facing admin for payments: read-only orders with their history; actions go through the services.

Held payments are released or rejected here (a check asked for review); dead letters (FAILED) are retried or
cancelled. A release above the approval threshold is four-eyes: one officer proposes it (a PAYMENT_RELEASE
approval), another approves it in the approvals queue, and only then is the payment released.
"""

from __future__ import annotations

from django.contrib import admin, messages

from apps.approvals.models import ApprovalKind
from apps.approvals.services import approval_request
from apps.core.errors import DomainError
from apps.core.money import format_amount

from . import services
from .models import AchFile, Correspondent, PaymentEvent, PaymentOrder


def _each(modeladmin, request, queryset, call, done_text: str) -> None:
    done = 0
    for payment in queryset:
        try:
            call(payment_id=payment.public_id, actor=request.user.username)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{payment.public_id}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{done} payment(s) {done_text}.", messages.SUCCESS)


@admin.action(description="Release selected held payments", permissions=["officer"])
def release(modeladmin, request, queryset):
    _each(modeladmin, request, queryset, services.payment_release, "released")


@admin.action(description="Propose the release of selected held payments to a second officer", permissions=["officer"])
def propose_release(modeladmin, request, queryset):
    proposed = 0
    for payment in queryset:
        try:
            approval_request(
                kind=ApprovalKind.PAYMENT_RELEASE, payload={"payment": payment.public_id}, maker=request.user
            )
            proposed += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{payment.public_id}: {exc.message}", messages.ERROR)
    if proposed:
        modeladmin.message_user(request, f"{proposed} release(s) proposed for approval.", messages.SUCCESS)


@admin.action(description="Reject selected held payments", permissions=["officer"])
def reject(modeladmin, request, queryset):
    _each(modeladmin, request, queryset, services.payment_reject_held, "rejected")


@admin.action(description="Retry selected failed payments (same message, same id)", permissions=["officer"])
def retry(modeladmin, request, queryset):
    _each(modeladmin, request, queryset, services.payment_retry_failed, "queued again")


@admin.action(description="Cancel selected payments not yet submitted", permissions=["officer"])
def cancel(modeladmin, request, queryset):
    _each(modeladmin, request, queryset, services.payment_cancel, "cancelled")


class PaymentEventInline(admin.TabularInline):
    model = PaymentEvent
    fields = ["occurred_at", "from_status", "to_status", "reason_code", "reason", "actor"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PaymentOrder)
class PaymentOrderAdmin(admin.ModelAdmin):
    list_display = ["public_id", "rail", "status", "amount", "currency", "reference", "attempts", "created_at"]
    list_filter = ["status", "rail", "currency"]
    search_fields = ["public_id", "uetr", "reference", "network_reference"]
    readonly_fields = [f.name for f in PaymentOrder._meta.fields]
    inlines = [PaymentEventInline]
    actions = [release, propose_release, reject, retry, cancel]

    @admin.display(description="Amount")
    def amount(self, obj):
        return format_amount(obj.amount_minor, obj.currency)

    def has_add_permission(self, request):
        return False  # payments come through the API or the SDK, which validate and hold funds

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # read-only: status changes only through the actions (the services)

    def has_officer_permission(self, request) -> bool:
        return request.user.has_perm("payments.change_paymentorder")


@admin.register(AchFile)
class AchFileAdmin(admin.ModelAdmin):
    """The ACH files sent at each cut-off: read-only (files are written by the cut-off and the operator's answers)."""

    list_display = ["network_key", "status", "entry_count", "total", "same_day", "attempts", "created_at"]
    list_filter = ["status", "same_day"]
    search_fields = ["public_id", "network_key", "network_reference"]
    readonly_fields = [f.name for f in AchFile._meta.fields]

    @admin.display(description="Total credit (USD)")
    def total(self, obj):
        return format_amount(obj.total_credit_minor, "USD")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Correspondent)
class CorrespondentAdmin(admin.ModelAdmin):
    """Read-only here: correspondents are recorded with ``manage.py register_correspondent`` (audited)."""

    list_display = ["currency", "bic", "name", "is_default", "active", "nostro_account"]
    list_filter = ["currency", "is_default", "active"]
    readonly_fields = [f.name for f in Correspondent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
