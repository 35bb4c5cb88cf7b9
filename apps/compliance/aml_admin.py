"""Officer-facing admin for AML monitoring: rules (each save a new version), alerts, cases, reports, custom reports.

Every change goes through a service (one call per submitted field or action), so the admin writes what the API
writes, with the same checks and audit records. Alerts, versions, events and reports' XML are read-only here.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from apps.core.admin import ServiceSavedAdmin
from apps.core.errors import DomainError

from .admin import ReasonActionForm
from .aml_models import (
    OPEN_CASE_STATUSES,
    AmlAlert,
    AmlCase,
    AmlReport,
    CaseAttachment,
    CaseDecision,
    CaseEvent,
    CaseNote,
    CustomReport,
    MonitoringRule,
    MonitoringRuleVersion,
    ReportStatus,
)
from .cases import services as cases
from .monitoring import services as monitoring
from .reports import services as reports
from .reports.custom import custom_report_csv, export_filename
from .reports.render import report_html


def _actor(request) -> str:
    return request.user.get_username()


def _run(request, call, done: str) -> bool:
    """Run one service call; show its domain error as a message instead of a server error."""
    try:
        call()
    except DomainError as exc:
        messages.error(request, f"{exc.code}: {exc.message}")
        return False
    if done:
        messages.success(request, done)
    return True



class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- rules -----------------------------------------------------------------------------------------------------
class RuleVersionInline(_ReadOnlyInline):
    model = MonitoringRuleVersion
    fields = ["version", "active", "schedule", "severity", "parameters", "created_at", "created_by"]
    readonly_fields = fields


@admin.register(MonitoringRule)
class MonitoringRuleAdmin(ServiceSavedAdmin):
    list_display = ["code", "name", "kind", "schedule", "severity", "active", "version", "updated_at", "updated_by"]
    list_filter = ["kind", "schedule", "active", "severity"]
    search_fields = ["code", "name"]
    readonly_fields = ["version", "updated_at", "updated_by"]
    inlines = [RuleVersionInline]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "code", "kind"] if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # alerts refer to rules; switch a rule off instead

    def save_model(self, request, obj, form, change):
        saved = monitoring.rule_save(
            code=obj.code,
            name=obj.name,
            kind=obj.kind,
            schedule=obj.schedule,
            parameters=obj.parameters,
            severity=obj.severity,
            active=obj.active,
            actor=_actor(request),
        )
        obj.pk, obj.version = saved.pk, saved.version

    def save_related(self, request, form, formsets, change):
        pass  # versions are written by the service

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        base_clean = form.clean

        def clean(self_form):
            data = base_clean(self_form)
            kind = data.get("kind") or (obj.kind if obj else None)
            if kind:
                from .monitoring.rules import validate_parameters

                for problem in validate_parameters(kind, data.get("parameters") or {}):
                    self_form.add_error("parameters", problem)
            return data

        form.clean = clean
        return form


# --- alerts ----------------------------------------------------------------------------------------------------
def _decide_alerts(request, queryset, decision: str) -> None:
    """One ``alert_decide`` per selected alert, with the reason typed in the action bar; says what each did."""
    reason, actor = request.POST.get("reason", ""), _actor(request)
    for alert in queryset.order_by("id"):
        try:
            _, payments = cases.alert_decide(alert_id=alert.public_id, decision=decision, reason=reason, actor=actor)
        except DomainError as exc:
            messages.error(request, f"{alert.public_id}: {exc.code}: {exc.message}")
            continue
        held = ", ".join(f"payment {p} {what}" for p, what in payments.items()) or "no payment held"
        messages.success(request, f"{alert.public_id} {decision}: {held}")


@admin.action(description="Dismiss (reason required; releases a payment it holds)", permissions=["decide"])
def dismiss_alerts(modeladmin, request, queryset):
    _decide_alerts(request, queryset, "dismissed")


@admin.action(description="Confirm suspicious (reason required; rejects a payment it holds)", permissions=["decide"])
def confirm_aml_alerts(modeladmin, request, queryset):
    _decide_alerts(request, queryset, "confirmed")


@admin.register(AmlAlert)
class AmlAlertAdmin(admin.ModelAdmin):
    list_display = [
        "public_id",
        "kind",
        "owner_id",
        "severity",
        "status",
        "summary",
        "rule_version",
        "case_link",
        "held_payment",
        "decision",
        "raised_at",
    ]
    list_filter = ["kind", "status", "decision", "severity", "rule"]
    search_fields = ["public_id", "owner_id", "account", "case__public_id", "dedupe_key", "held_payment"]
    list_select_related = ["rule", "rule_version", "case"]
    date_hierarchy = "raised_at"
    readonly_fields = [f.name for f in AmlAlert._meta.fields]
    action_form = ReasonActionForm
    actions = [dismiss_alerts, confirm_aml_alerts]

    def has_decide_permission(self, request):
        return request.user.has_perm("compliance.work_amlcase")

    @admin.display(description="Case")
    def case_link(self, obj):
        if not obj.case_id:
            return ""
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:compliance_amlcase_change", args=[obj.case_id]), obj.case.public_id
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- cases -----------------------------------------------------------------------------------------------------
class AlertInline(_ReadOnlyInline):
    model = AmlAlert
    fields = ["public_id", "kind", "severity", "summary", "transactions", "figures", "rule_version", "raised_at"]
    readonly_fields = fields


class NoteInline(_ReadOnlyInline):
    model = CaseNote
    fields = ["created_at", "author", "text"]
    readonly_fields = fields


class AttachmentInline(_ReadOnlyInline):
    model = CaseAttachment
    fields = ["uploaded_at", "uploaded_by", "name", "file", "size", "sha256"]
    readonly_fields = fields


class EventInline(_ReadOnlyInline):
    model = CaseEvent
    fields = ["at", "action", "actor", "details"]
    readonly_fields = fields


class OverdueFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("week", "Due within 7 days")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.filter(status__in=OPEN_CASE_STATUSES, due_at__lt=now)
        if self.value() == "week":
            return queryset.filter(status__in=OPEN_CASE_STATUSES, due_at__range=(now, now + timezone.timedelta(days=7)))
        return queryset


class CaseWorkForm(forms.ModelForm):
    """The case's own fields are shown read-only; these are the officer's actions, each one service call."""

    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    attachment = forms.FileField(required=False)
    escalate_reason = forms.CharField(required=False, help_text="escalate the case (one level up) with this reason")
    # Not "decision"/"decision_reason": those are the case's read-only fields, which the admin leaves out of the form.
    decide = forms.ChoiceField(choices=[("", "---------"), *CaseDecision.choices], required=False, label="Decision")
    decide_reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Reason")

    class Meta:
        model = AmlCase
        fields = ["assignee", "priority", "due_at"]

    def clean(self):
        data = super().clean()
        if data.get("decide") and not (data.get("decide_reason") or "").strip():
            self.add_error("decide_reason", "a decision needs a reason")
        return data


@admin.register(AmlCase)
class AmlCaseAdmin(ServiceSavedAdmin):
    form = CaseWorkForm
    list_display = [
        "public_id",
        "owner_id",
        "status",
        "priority",
        "assignee",
        "due_at",
        "escalation_level",
        "alert_count",
        "created_at",
    ]
    list_filter = ["status", "priority", "escalation_level", OverdueFilter, "decision", "assignee"]
    search_fields = ["public_id", "owner_id", "alerts__public_id", "assignee__username"]
    list_select_related = ["assignee"]
    readonly_fields = [
        "public_id",
        "owner_id",
        "party",
        "status",
        "escalation_level",
        "decision",
        "decision_reason",
        "decided_by",
        "approval",
        "created_at",
        "updated_at",
        "closed_at",
    ]
    inlines = [AlertInline, NoteInline, AttachmentInline, EventInline]
    actions = ["assign_to_me"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(alerts_total=Count("alerts"))

    @admin.display(description="Alerts", ordering="alerts_total")
    def alert_count(self, obj):
        return obj.alerts_total

    @admin.display(description="Party")
    def party(self, obj):
        """Who the case is about (``party_for_owner``): the customer's name, or the account holder's."""
        from .parties import party_for_owner

        found = party_for_owner(obj.owner_id)
        kind = "organisation" if found.is_entity else "person"
        return f"{found.display_name} ({kind}{', customer record' if found.is_customer else ', accounts only'})"

    def has_add_permission(self, request):
        return False  # cases open from alerts

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("compliance.work_amlcase")

    @admin.action(description="Assign the selected cases to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        done = sum(
            _run(
                request,
                lambda c=c: cases.case_assign(case_id=c.public_id, assignee=request.user, actor=_actor(request)),
                "",
            )
            for c in queryset
        )
        messages.success(request, f"{done} case(s) assigned to you")

    def save_model(self, request, obj, form, change):
        data, actor, case_id = form.cleaned_data, _actor(request), obj.public_id
        changed = set(form.changed_data)
        if "assignee" in changed:
            _run(
                request, lambda: cases.case_assign(case_id=case_id, assignee=data["assignee"], actor=actor), "assigned"
            )
        if "priority" in changed or ("due_at" in changed and data.get("due_at") is not None):
            _run(
                request,
                lambda: cases.case_update(
                    case_id=case_id, actor=actor, priority=data.get("priority"), due_at=data.get("due_at")
                ),
                "updated",
            )
        if (data.get("note") or "").strip():
            _run(request, lambda: cases.case_note_add(case_id=case_id, text=data["note"], actor=actor), "note added")
        if data.get("attachment"):
            upload = data["attachment"]
            _run(
                request,
                lambda: cases.case_attach(case_id=case_id, name=upload.name, content=upload.read(), actor=actor),
                "attachment added",
            )
        if (data.get("escalate_reason") or "").strip():
            _run(
                request,
                lambda: cases.case_escalate(case_id=case_id, reason=data["escalate_reason"], actor=actor),
                "escalated",
            )
        if data.get("decide"):
            _run(
                request,
                lambda: cases.case_decide(
                    case_id=case_id,
                    decision=data["decide"],
                    reason=data["decide_reason"],
                    actor=actor,
                    maker=request.user,
                ),
                "decision recorded (a high-risk close waits for a second officer's approval)",
            )
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        pass  # the inlines are read-only

    def save_related(self, request, form, formsets, change):
        pass


# --- reports ---------------------------------------------------------------------------------------------------
class ReportFileForm(forms.ModelForm):
    file_bsa_id = forms.CharField(required=False, label="BSA id", help_text="mark the approved report filed")
    reject_reason = forms.CharField(required=False, help_text="reject a draft or reviewed report with this reason")

    class Meta:
        model = AmlReport
        fields: list[str] = []


@admin.register(AmlReport)
class AmlReportAdmin(ServiceSavedAdmin):
    form = ReportFileForm
    list_display = [
        "public_id",
        "report_type",
        "status",
        "owner_id",
        "business_day",
        "year",
        "created_at",
        "reviewed_by",
        "approved_by",
        "bsa_id",
        "links",
    ]
    list_filter = ["report_type", "status", "business_day"]
    search_fields = ["public_id", "owner_id", "bsa_id", "case__public_id"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "public_id",
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
        "links",
    ]
    actions = ["review", "approve"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("compliance.review_amlreport") or request.user.has_perm(
            "compliance.file_amlreport"
        )

    def has_review_permission(self, request):
        return request.user.has_perm("compliance.review_amlreport")

    @admin.display(description="Rendering")
    def links(self, obj):
        return format_html(
            '<a href="{}">HTML</a> · <a href="{}">XML</a>',
            reverse("admin:compliance_amlreport_html", args=[obj.pk]),
            reverse("admin:compliance_amlreport_xml", args=[obj.pk]),
        )

    def get_urls(self):
        return [
            path("<int:pk>/html/", self.admin_site.admin_view(self.html_view), name="compliance_amlreport_html"),
            path("<int:pk>/xml/", self.admin_site.admin_view(self.xml_view), name="compliance_amlreport_xml"),
            *super().get_urls(),
        ]

    def _get_viewable(self, request, pk):
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        return get_object_or_404(AmlReport, pk=pk)

    def html_view(self, request, pk):
        return HttpResponse(report_html(self._get_viewable(request, pk)))

    def xml_view(self, request, pk):
        report = self._get_viewable(request, pk)
        response = HttpResponse(report.xml, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{report.report_type}-{report.public_id}.xml"'
        return response

    @admin.action(description="Review the selected drafts (XML re-validated)", permissions=["review"])
    def review(self, request, queryset):
        done = sum(
            _run(request, lambda r=r: reports.report_review(report_id=r.public_id, actor=_actor(request)), "")
            for r in queryset.filter(status=ReportStatus.DRAFT)
        )
        messages.success(request, f"{done} report(s) reviewed")

    @admin.action(description="Approve the selected reviewed reports (not your own review)", permissions=["review"])
    def approve(self, request, queryset):
        done = sum(
            _run(request, lambda r=r: reports.report_approve(report_id=r.public_id, actor=_actor(request)), "")
            for r in queryset.filter(status=ReportStatus.REVIEWED)
        )
        messages.success(request, f"{done} report(s) approved")

    def save_model(self, request, obj, form, change):
        data, actor = form.cleaned_data, _actor(request)
        if (data.get("file_bsa_id") or "").strip():
            if not request.user.has_perm("compliance.file_amlreport"):
                messages.error(request, "you may not mark reports filed")
            else:
                _run(
                    request,
                    lambda: reports.report_mark_filed(report_id=obj.public_id, bsa_id=data["file_bsa_id"], actor=actor),
                    "marked filed",
                )
        if (data.get("reject_reason") or "").strip():
            _run(
                request,
                lambda: reports.report_reject(report_id=obj.public_id, reason=data["reject_reason"], actor=actor),
                "rejected",
            )
        obj.refresh_from_db()


# --- custom reports --------------------------------------------------------------------------------------------
@admin.register(CustomReport)
class CustomReportAdmin(ServiceSavedAdmin):
    list_display = ["name", "source", "filters", "columns", "created_by", "created_at"]
    list_filter = ["source"]
    search_fields = ["name"]
    actions = ["export_csv"]

    def save_model(self, request, obj, form, change):
        saved = reports.custom_report_save(
            name=obj.name, source=obj.source, filters=obj.filters, columns=obj.columns, actor=_actor(request)
        )
        obj.pk = saved.pk

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        base_clean = form.clean

        def clean(self_form):
            data = base_clean(self_form)
            from .reports.custom import check_definition

            try:
                check_definition(
                    source=data.get("source", ""), filters=data.get("filters") or {}, columns=data.get("columns") or []
                )
            except DomainError as exc:
                self_form.add_error(None, exc.message)
            return data

        form.clean = clean
        return form

    @admin.action(description="Export the selected report as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        report = queryset.order_by("id").first()
        response = HttpResponse(custom_report_csv(report=report), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{export_filename(report)}"'
        return response
