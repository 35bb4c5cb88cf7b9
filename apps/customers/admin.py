"""Officer-facing admin for customers: list filters, search by blind index, actions that call one service each.

Customer rows are read-only here (identity data changes through the API's update, which re-rates and rescreens);
risk rules are edited here, through ``risk_rule_save`` (audited).
"""

from __future__ import annotations

from django.contrib import admin, messages

from apps.core.admin import ServiceSavedAdmin
from apps.core.errors import DomainError
from apps.ledger.admin import ReadOnlyAdmin
from apps.security.selectors import blind_index_filter

from . import services
from .models import Customer, CustomerDocument, RiskRule


class DocumentInline(admin.TabularInline):
    model = CustomerDocument
    fields = [
        "public_id",
        "doc_type",
        "issuing_country",
        "expires_on",
        "content_type",
        "size",
        "status",
        "decided_by",
        "decided_at",
        "decision_reason",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def _each(modeladmin, request, queryset, run, done_message: str) -> None:
    done = 0
    for customer in queryset.order_by("pk"):
        try:
            run(customer)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{customer.public_id}: {exc.message} ({exc.code})", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{done} customer(s) {done_message}.", messages.SUCCESS)


@admin.action(description="Verify KYC of the selected customers", permissions=["verify"])
def verify_kyc(modeladmin, request, queryset):
    _each(
        modeladmin,
        request,
        queryset,
        lambda c: services.customer_verify(public_id=c.public_id, actor=str(request.user)),
        "verified",
    )


@admin.action(description="Screen the selected customers again", permissions=["change"])
def rescreen(modeladmin, request, queryset):
    _each(
        modeladmin,
        request,
        queryset,
        lambda c: services.customer_screen(public_id=c.public_id, source="manual", actor=str(request.user)),
        "screened",
    )


@admin.action(description="Export everything held (subject access, HTML)", permissions=["export_subject"])
def export_subject(modeladmin, request, queryset):
    from django.http import HttpResponse

    from apps.privacy.services import render_html, subject_export

    if queryset.count() != 1:
        modeladmin.message_user(request, "select exactly one customer to export", messages.ERROR)
        return None
    try:
        data, export = subject_export(customer_id=queryset.get().public_id, actor=str(request.user))
    except DomainError as exc:
        modeladmin.message_user(request, f"{exc.message} ({exc.code})", messages.ERROR)
        return None
    response = HttpResponse(render_html(data), content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.public_id}.html"'
    return response


@admin.action(description="Request erasure (a second officer approves)", permissions=["request_erasure"])
def request_erasure(modeladmin, request, queryset):
    from apps.privacy.services import erasure_request

    _each(
        modeladmin,
        request,
        queryset,
        lambda c: erasure_request(customer_id=c.public_id, maker=request.user, reason="admin request"),
        "recorded for erasure (pending approval)",
    )


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = [
        "public_id",
        "kind",
        "residence_country",
        "kyc_status",
        "risk_rating",
        "sanctions_status",
        "edd_required",
        "next_review_on",
        "created_at",
    ]
    list_filter = [
        "kyc_status",
        "risk_rating",
        "sanctions_status",
        "kind",
        "edd_required",
        "pep",
        "channel",
        "residence_country",
    ]
    search_fields = ["public_id"]
    search_help_text = "customer id, or the exact full name or national id (matched through their blind indexes)"
    date_hierarchy = "created_at"
    fields = [
        "public_id",
        "kind",
        "name",
        "date_of_birth",
        "nationality",
        "national_id",
        "addresses",
        "residence_country",
        "pep",
        "occupation",
        "industry",
        "channel",
        "products",
        "expected_monthly_amount_minor",
        "expected_currency",
        "kyc_status",
        "kyc_verified_at",
        "kyc_verified_by",
        "kyc_expires_on",
        "kyc_note",
        "risk_rating",
        "risk_score",
        "risk_reasons",
        "risk_rated_at",
        "next_review_on",
        "edd_required",
        "sanctions_status",
        "screened_at",
        "created_by",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [DocumentInline]
    actions = [verify_kyc, rescreen, export_subject, request_erasure]

    def has_change_permission(self, request, obj=None):
        # The change page is a read-only view; the actions need the change permission to show.
        return obj is None and request.user.has_perm("customers.change_customer")

    def has_export_subject_permission(self, request):
        return request.user.has_perm("privacy.export_subject")

    def has_request_erasure_permission(self, request):
        return request.user.has_perm("privacy.request_erasure")

    def has_verify_permission(self, request):
        return request.user.has_perm("customers.verify_customer")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        by_id = queryset.filter(public_id=term)
        by_name = blind_index_filter(queryset=queryset, field_name="name", value=term)
        by_national_id = blind_index_filter(queryset=queryset, field_name="national_id", value=term)
        return by_id | by_name | by_national_id, False


@admin.register(RiskRule)
class RiskRuleAdmin(ServiceSavedAdmin):
    list_display = ["factor", "value", "points", "reason", "active", "updated_at"]
    list_filter = ["factor", "active"]
    search_fields = ["value", "reason"]
    fields = ["factor", "value", "points", "reason", "active"]

    def get_readonly_fields(self, request, obj=None):
        return ["factor", "value"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        rule = services.risk_rule_save(
            factor=obj.factor,
            value=obj.value,
            points=obj.points,
            reason=obj.reason,
            active=obj.active,
            actor=str(request.user),
        )
        obj.pk = rule.pk

    def has_delete_permission(self, request, obj=None):
        return False  # switch a rule off (active) instead: the reasons stored on customers still name it
