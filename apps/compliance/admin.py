"""Read-only admin for the sanctions lists: officers look entries and loads up; lists change only by loading a file."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm

from apps.core.admin import ServiceSavedAdmin
from apps.core.errors import DomainError
from apps.ledger.admin import ReadOnlyAdmin

from . import alerts
from .alert_models import AllowListEntry, BlockListEntry, RescreenRun, ScreeningAlert
from .models import SanctionsEntry, SanctionsListLoad, SanctionsName


class SanctionsNameInline(admin.TabularInline):
    model = SanctionsName
    fields = ["kind", "name", "normalised"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SanctionsListLoad)
class SanctionsListLoadAdmin(ReadOnlyAdmin):
    list_display = ["id", "sanctions_list", "loaded_at", "source", "published", "entry_count", "added", "removed"]
    list_filter = ["sanctions_list"]
    list_select_related = ["sanctions_list"]


@admin.register(SanctionsEntry)
class SanctionsEntryAdmin(ReadOnlyAdmin):
    list_display = ["entry_id", "sanctions_list", "primary_name", "entity_type", "listed", "last_changed_load"]
    list_filter = ["sanctions_list", "entity_type", "listed"]
    search_fields = ["entry_id", "names__normalised"]
    list_select_related = ["sanctions_list"]
    inlines = [SanctionsNameInline]

# --- screening alerts and the allow/block lists (officers decide here; one service call per alert) ------------


class ReasonActionForm(ActionForm):
    reason = forms.CharField(
        required=False, max_length=1000, label="Reason", widget=forms.TextInput(attrs={"size": 60})
    )


def _decide(modeladmin, request, queryset, decide, label: str) -> None:
    reason = request.POST.get("reason", "")
    done = 0
    for alert in queryset.order_by("pk"):
        try:
            decide(alert_id=alert.public_id, reason=reason, actor=str(request.user))
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{alert.public_id}: {exc.message} ({exc.code})", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{done} alert(s) {label}.", messages.SUCCESS)


@admin.action(description="Clear as false positive (reason required; allow-lists the party)", permissions=["decide"])
def clear_alerts(modeladmin, request, queryset):
    _decide(modeladmin, request, queryset, alerts.alert_clear, "cleared")


@admin.action(description="Confirm true match (reason required; rejects the payment, freezes)", permissions=["decide"])
def confirm_alerts(modeladmin, request, queryset):
    _decide(modeladmin, request, queryset, alerts.alert_confirm, "confirmed")


@admin.register(ScreeningAlert)
class ScreeningAlertAdmin(ReadOnlyAdmin):
    list_display = [
        "public_id",
        "status",
        "subject_type",
        "subject_id",
        "party_role",
        "list_code",
        "entry_id",
        "score",
        "source",
        "created_at",
        "decided_by",
    ]
    list_filter = ["status", "subject_type", "list_code", "source", "party_role"]
    search_fields = ["public_id", "subject_id", "entry_id", "owner_id", "account"]
    date_hierarchy = "created_at"
    fields = [
        "public_id",
        "status",
        "subject_type",
        "subject_id",
        "party_role",
        "party_name",
        "party_country",
        "owner_id",
        "account",
        "list_code",
        "entry_id",
        "matched_name",
        "score",
        "explanation",
        "source",
        "decided_by",
        "decided_at",
        "decision_reason",
        "created_at",
    ]
    readonly_fields = fields
    action_form = ReasonActionForm
    actions = [clear_alerts, confirm_alerts]

    def has_decide_permission(self, request):
        return request.user.has_perm("compliance.decide_screeningalert")


@admin.action(description="Revoke (reason required): the party alerts again on that entry", permissions=["change"])
def revoke_allow(modeladmin, request, queryset):
    for entry in queryset.order_by("pk"):
        try:
            alerts.allow_list_revoke(
                public_id=entry.public_id, reason=request.POST.get("reason", ""), actor=str(request.user)
            )
        except DomainError as exc:
            modeladmin.message_user(request, f"{entry.public_id}: {exc.message}", messages.ERROR)


@admin.register(AllowListEntry)
class AllowListEntryAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "list_code", "entry_id", "created_by", "created_at", "revoked_at"]
    list_filter = ["list_code", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["public_id", "entry_id", "created_by"]
    fields = [
        "public_id",
        "party_name",
        "list_code",
        "entry_id",
        "entry_hash",
        "reason",
        "alert",
        "created_by",
        "created_at",
        "revoked_at",
        "revoked_reason",
    ]
    readonly_fields = fields
    action_form = ReasonActionForm
    actions = [revoke_allow]

    def has_change_permission(self, request, obj=None):
        return obj is None and request.user.has_perm("compliance.change_allowlistentry")


class BlockListForm(forms.ModelForm):
    party_name = forms.CharField(max_length=300, label="Party name")

    class Meta:
        model = BlockListEntry
        fields = ["party_name", "reason"]


@admin.action(description="Revoke the selected block-list entries", permissions=["change"])
def revoke_block(modeladmin, request, queryset):
    for entry in queryset.order_by("pk"):
        alerts.block_list_revoke(public_id=entry.public_id, actor=str(request.user))


@admin.register(BlockListEntry)
class BlockListEntryAdmin(ServiceSavedAdmin):
    form = BlockListForm
    list_display = ["public_id", "reason", "created_by", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["public_id", "created_by"]
    actions = [revoke_block]

    def has_change_permission(self, request, obj=None):
        return obj is None and request.user.has_perm("compliance.change_blocklistentry")

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        entry = alerts.block_list_add(
            name=form.cleaned_data["party_name"], reason=form.cleaned_data["reason"], actor=str(request.user)
        )
        obj.pk, obj.public_id = entry.pk, entry.public_id


@admin.register(RescreenRun)
class RescreenRunAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "load", "status", "done", "total", "alerts_raised", "created_at", "finished_at"]
    list_filter = ["status"]


# AML monitoring, cases and reports: their own module (last: it uses ReasonActionForm above).
from . import aml_admin  # noqa: E402,F401
