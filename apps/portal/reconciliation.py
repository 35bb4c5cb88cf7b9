"""Reconciliation: the statements received and their runs (lines matched, breaks, the statement's closing balance
against our ledger's balance of the nostro at the same cut-off), one run with its lines and breaks, the breaks with
their age, and one break with the officer's two ways to close it through ``apps.reconciliation.services``: resolve
(a note, optionally the payment or journal entry it is) or write off (a reason; four-eyes above the approval
threshold, a RECON_WRITE_OFF request a second officer decides on the approvals page).
Reading needs ``reconciliation.view_reconciliationrun``; resolving ``reconciliation.change_reconciliationbreak``;
writing off ``reconciliation.write_off_reconciliationbreak``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.core.errors import DomainError, NotFound
from apps.reconciliation import selectors as recon_selectors
from apps.reconciliation import services as recon_services
from apps.reconciliation.models import BreakKind, BreakStatus

from .pagination import filtered_page
from .views import not_found, staff_permission

VIEW = "reconciliation.view_reconciliationrun"
RESOLVE = "reconciliation.change_reconciliationbreak"
WRITE_OFF = "reconciliation.write_off_reconciliationbreak"


class BreakFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any")] + list(BreakStatus.choices))
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Any")] + list(BreakKind.choices))


class RunFilterForm(forms.Form):
    account = forms.CharField(label="Nostro account", required=False, max_length=32)


class ResolveForm(forms.Form):
    note = forms.CharField(label="What was done about it", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    payment = forms.CharField(label="Payment it is (optional, pay_...)", required=False, max_length=32)
    entry = forms.CharField(label="Ledger journal entry it is (optional, txn_...)", required=False, max_length=32)


class WriteOffForm(forms.Form):
    reason = forms.CharField(label="Why it is written off", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


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


def _break_or_none(break_id: str):
    try:
        return recon_selectors.break_get(public_id=break_id)
    except NotFound:
        return None


def _break_page(request, item, *, resolve_form=None, write_off_form=None, status: int = 200):
    is_open = item.status == BreakStatus.OPEN
    return render(
        request,
        "portal/reconciliation_break.html",
        {
            "item": item,
            "write_off_pending": recon_selectors.break_write_off_pending(item=item),
            "may_resolve": is_open and request.user.has_perm(RESOLVE),
            "may_write_off": is_open and request.user.has_perm(WRITE_OFF),
            "resolve_form": resolve_form or ResolveForm(auto_id="resolve_%s"),
            "write_off_form": write_off_form or WriteOffForm(auto_id="write_off_%s"),
        },
        status=status,
    )


@require_GET
@staff_permission(VIEW)
def reconciliation_break(request, break_id: str):
    item = _break_or_none(break_id)
    return not_found(request) if item is None else _break_page(request, item)


@require_POST
@staff_permission(RESOLVE)
def reconciliation_break_resolve(request, break_id: str):
    item = _break_or_none(break_id)
    if item is None:
        return not_found(request)
    form = ResolveForm(request.POST, auto_id="resolve_%s")
    if not form.is_valid():
        return _break_page(request, item, resolve_form=form, status=400)
    try:
        done = recon_services.break_resolve(
            break_id=break_id, note=form.cleaned_data["note"], payment=form.cleaned_data["payment"],
            entry=form.cleaned_data["entry"], actor=str(request.user),
        )
    except DomainError as exc:
        messages.error(request, f"Refused ({exc.code}): {exc.message}")
        return redirect("portal-reconciliation-break", break_id=break_id)
    messages.success(request, f"Break {done.public_id}: {done.status}.")
    return redirect("portal-reconciliation-breaks")


@require_POST
@staff_permission(WRITE_OFF)
def reconciliation_break_write_off(request, break_id: str):
    item = _break_or_none(break_id)
    if item is None:
        return not_found(request)
    form = WriteOffForm(request.POST, auto_id="write_off_%s")
    if not form.is_valid():
        return _break_page(request, item, write_off_form=form, status=400)
    try:
        outcome = recon_services.break_write_off(
            break_id=break_id, reason=form.cleaned_data["reason"], actor=str(request.user), maker=request.user
        )
    except DomainError as exc:
        messages.error(request, f"Refused ({exc.code}): {exc.message}")
        return redirect("portal-reconciliation-break", break_id=break_id)
    if outcome.approval is not None:
        messages.info(
            request,
            f"Break {break_id} is above the four-eyes threshold: its write-off needs a second officer's approval "
            f"(request {outcome.approval.public_id} is waiting).",
        )
        return redirect("portal-reconciliation-break", break_id=break_id)
    messages.success(request, f"Break {outcome.item.public_id}: {outcome.item.status}.")
    return redirect("portal-reconciliation-breaks")
