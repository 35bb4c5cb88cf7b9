"""Reconciliation, read-only: the statements received and their runs (lines matched, breaks, the statement's
closing balance against our ledger's balance of the nostro at the same cut-off), one run with its lines and
breaks, and the open breaks with their age. Reads ``apps.reconciliation.selectors`` only; breaks are resolved
in the admin or the API. Needs ``reconciliation.view_reconciliationrun``.
"""

from __future__ import annotations

from django import forms
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.core.errors import NotFound
from apps.reconciliation import selectors as recon_selectors
from apps.reconciliation.models import BreakKind, BreakStatus

from .pagination import filtered_page
from .views import not_found, staff_permission

VIEW = "reconciliation.view_reconciliationrun"


class BreakFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any")] + list(BreakStatus.choices))
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Any")] + list(BreakKind.choices))


class RunFilterForm(forms.Form):
    account = forms.CharField(label="Nostro account", required=False, max_length=32)


@require_GET
@staff_permission(VIEW)
def reconciliation_overview(request):
    filters, page = filtered_page(
        request,
        RunFilterForm,
        lambda values: recon_selectors.run_list(account=(values.get("account") or "").strip() or None).order_by(
            "-started_at", "-id"
        ),
    )
    open_breaks = recon_selectors.break_list(status=BreakStatus.OPEN)
    return render(
        request,
        "portal/reconciliation.html",
        {"filters": filters, "page": page, "ageing": recon_selectors.ageing(open_breaks),
         "open_count": open_breaks.count()},
    )


@require_GET
@staff_permission(VIEW)
def reconciliation_run(request, run_id: str):
    try:
        run = recon_selectors.run_get(public_id=run_id)
    except NotFound:
        return not_found(request)
    return render(
        request,
        "portal/reconciliation_run.html",
        {"run": run, "statement": run.statement, "lines": run.statement.lines.order_by("position"),
         "breaks": recon_selectors.break_list(run=run.public_id).order_by("value_date", "id")},
    )


@require_GET
@staff_permission(VIEW)
def reconciliation_breaks(request):
    filters, page = filtered_page(
        request,
        BreakFilterForm,
        lambda values: recon_selectors.break_list(
            status=values.get("status") or None, kind=values.get("kind") or None
        ).order_by("value_date", "id"),
        default={"status": BreakStatus.OPEN},
    )
    return render(request, "portal/reconciliation_breaks.html", {"filters": filters, "page": page})
