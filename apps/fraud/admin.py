"""Officer-facing admin: the model registry (promote, roll back) and the review queue (fraud / not fraud).

Rows are read-only; every change is a service call (audited), as the actions below.
"""

from django.contrib import admin, messages

from apps.core.errors import DomainError
from apps.ledger.admin import ReadOnlyAdmin

from . import services
from .models import FraudAlert, FraudLabel, ModelVersion


def _each(modeladmin, request, queryset, call, done_message: str) -> None:
    done = 0
    for row in queryset:
        try:
            call(row)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{row}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, done_message.format(done=done), messages.SUCCESS)


@admin.action(description="Promote the selected version to production", permissions=["promote"])
def promote(modeladmin, request, queryset):
    if queryset.count() != 1:
        modeladmin.message_user(request, "Select exactly one version to promote.", messages.ERROR)
        return
    _each(modeladmin, request, queryset,
          lambda row: services.model_version_promote(version=row.version, actor=request.user.username),
          "{done} version now in production.")


@admin.action(description="Roll back to the previous production version", permissions=["promote"])
def rollback(modeladmin, request, queryset):
    try:
        row = services.model_version_rollback(actor=request.user.username)
    except DomainError as exc:
        modeladmin.message_user(request, exc.message, messages.ERROR)
        return
    modeladmin.message_user(request, f"{row.version} is in production again.", messages.SUCCESS)


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = ["version", "status", "created_at", "promoted_at", "data_from", "data_to", "code_version",
                    "average_precision"]
    list_filter = ["status"]
    actions = [promote, rollback]

    def has_promote_permission(self, request) -> bool:
        return request.user.has_perm("fraud.promote_modelversion")

    @admin.display(description="AP (calibration slice)")
    def average_precision(self, obj):
        return (obj.metrics.get("calibration_slice") or {}).get("average_precision")


@admin.action(description="Decide: fraud", permissions=["review"])
def mark_fraud(modeladmin, request, queryset):
    _each(modeladmin, request, queryset,
          lambda row: services.alert_decide(alert_id=row.public_id, is_fraud=True, actor=request.user.username),
          "{done} alert(s) labelled fraud.")


@admin.action(description="Decide: not fraud", permissions=["review"])
def mark_not_fraud(modeladmin, request, queryset):
    _each(modeladmin, request, queryset,
          lambda row: services.alert_decide(alert_id=row.public_id, is_fraud=False, actor=request.user.username),
          "{done} alert(s) labelled not fraud.")


@admin.register(FraudAlert)
class FraudAlertAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "kind", "decision", "action", "score", "status", "customer_id", "amount_minor",
                    "currency", "occurred_at", "model_version"]
    list_filter = ["status", "kind", "decision", "action"]
    search_fields = ["public_id", "customer_id", "reference"]
    actions = [mark_fraud, mark_not_fraud]

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm("fraud.review_fraudalert")


@admin.register(FraudLabel)
class FraudLabelAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer_id", "counterparty_id", "occurred_at", "is_fraud", "decided_by", "created_at"]
    list_filter = ["is_fraud"]
