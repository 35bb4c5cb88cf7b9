"""Compliance pages: the screening alerts queue, one alert with the list entry it matched and why, and the
officer's decision (confirm the match / clear as a false positive, with a reason) through
``apps.compliance.alerts`` (one service call). Reading needs ``compliance.view_screeningalert``; deciding
``compliance.decide_screeningalert`` (compliance officers only: a teller or an operations clerk sees nothing here).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.compliance import alert_selectors, alerts
from apps.compliance import selectors as compliance_selectors
from apps.compliance.alert_models import AlertStatus, SubjectType
from apps.core.errors import DomainError, NotFound

from .pagination import filtered_page
from .views import not_found, staff_permission

VIEW_ALERT = "compliance.view_screeningalert"
DECIDE_ALERT = "compliance.decide_screeningalert"


class ScreeningAlertFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any")] + list(AlertStatus.choices))
    subject_type = forms.ChoiceField(label="Subject", required=False,
                                     choices=[("", "Any")] + list(SubjectType.choices))


class AlertDecisionForm(forms.Form):
    decision = forms.ChoiceField(label="Decision", choices=[("clear", "False positive (clear)"),
                                                            ("confirm", "True match (confirm)")])
    reason = forms.CharField(label="Reason", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


@require_GET
@staff_permission(VIEW_ALERT)
def screening_alert_list(request):
    filters, page = filtered_page(
        request,
        ScreeningAlertFilterForm,
        lambda values: alert_selectors.alert_list(
            status=values.get("status") or None, subject_type=values.get("subject_type") or None
        ),
        default={"status": AlertStatus.OPEN},
    )
    return render(request, "portal/screening_alerts.html", {"filters": filters, "page": page})


def _detail(request, alert, form, status: int = 200):
    entry = compliance_selectors.entry_get(list_code=alert.list_code, entry_id=alert.entry_id)
    return render(
        request,
        "portal/screening_alert.html",
        {
            "alert": alert,
            "entry": entry,
            "form": form,
            "may_decide": alert.status == AlertStatus.OPEN and request.user.has_perm(DECIDE_ALERT),
        },
        status=status,
    )


@require_GET
@staff_permission(VIEW_ALERT)
def screening_alert_detail(request, alert_id: str):
    try:
        alert = alert_selectors.alert_get(public_id=alert_id)
    except NotFound:
        return not_found(request)
    return _detail(request, alert, AlertDecisionForm(auto_id="decision_%s"))


@require_POST
@staff_permission(DECIDE_ALERT)
def screening_alert_decide(request, alert_id: str):
    try:
        alert = alert_selectors.alert_get(public_id=alert_id)
    except NotFound:
        return not_found(request)
    form = AlertDecisionForm(request.POST, auto_id="decision_%s")
    if not form.is_valid():
        return _detail(request, alert, form, status=400)
    decide = alerts.alert_clear if form.cleaned_data["decision"] == "clear" else alerts.alert_confirm
    try:
        decided = decide(alert_id=alert_id, reason=form.cleaned_data["reason"], actor=str(request.user))
    except DomainError as exc:
        messages.error(request, f"Refused ({exc.code}): {exc.message}")
        return redirect("portal-screening-alert", alert_id=alert_id)
    messages.success(request, f"Alert {decided.public_id}: {decided.get_status_display()}.")
    return redirect("portal-screening-alerts")
