"""Screening decisions, read-only: who cleared (false positive) or confirmed (true match) which screening alert,
when, and the reason they gave. For auditors (and the compliance officers whose decisions these are): the page has
no action, and the decision form on an alert's page shows only to ``compliance.decide_screeningalert``, which an
auditor does not hold. Needs ``compliance.view_screeningalert``.
"""

from __future__ import annotations

from django import forms
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.compliance import alert_selectors
from apps.compliance.alert_models import AlertStatus

from .forms import StatementRangeForm, day_range_bounds
from .pagination import filtered_page
from .views import staff_permission

VIEW_DECISIONS = "compliance.view_screeningalert"


class DecisionFilterForm(StatementRangeForm):
    """A decision, the officer who made it and a range of days the decision was made in (the portal's zone)."""

    decision = forms.ChoiceField(
        label="Decision",
        required=False,
        choices=[("", "Any"), (AlertStatus.CLEARED, AlertStatus.CLEARED.label),
                 (AlertStatus.CONFIRMED, AlertStatus.CONFIRMED.label)],
    )
    officer = forms.CharField(label="Officer (user name)", required=False, max_length=150)
    field_order = ["decision", "officer", "start", "end"]


@require_GET
@staff_permission(VIEW_DECISIONS)
def decision_list(request):
    def select(values):
        decided_from, decided_until = day_range_bounds(values.get("start"), values.get("end"))
        return alert_selectors.decision_list(
            decision=values.get("decision") or None,
            officer=(values.get("officer") or "").strip() or None,
            decided_from=decided_from,
            decided_until=decided_until,
        )

    filters, page = filtered_page(request, DecisionFilterForm, select)
    return render(request, "portal/screening_decisions.html", {"filters": filters, "page": page})
