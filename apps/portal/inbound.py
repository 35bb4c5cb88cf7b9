"""Inbound & suspense: exception items (inbound payments parked in SUSPENSE: unknown beneficiary, account not
active, name or currency mismatch, held by a check) and the operator's resolution through
``apps.inbound.services``: apply to an account, or return to the sender (one service call each).
Reading needs ``inbound.view_exceptionitem``; resolving ``inbound.change_exceptionitem``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.core.errors import DomainError, NotFound
from apps.inbound import selectors as inbound_selectors
from apps.inbound import services as inbound_services
from apps.inbound.models import ExceptionReason, ExceptionStatus
from apps.payments.models import Rail

from .pagination import filtered_page
from .views import not_found, staff_permission

VIEW = "inbound.view_exceptionitem"
RESOLVE = "inbound.change_exceptionitem"


class ExceptionFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any")] + list(ExceptionStatus.choices))
    rail = forms.ChoiceField(label="Rail", required=False, choices=[("", "Any")] + list(Rail.choices))
    reason = forms.ChoiceField(label="Reason", required=False, choices=[("", "Any")] + list(ExceptionReason.choices))


class ApplyForm(forms.Form):
    account = forms.CharField(label="Credit account (empty: the account the payment named)", required=False,
                              max_length=32)
    note = forms.CharField(label="Note", required=False, max_length=500)


class ReturnForm(forms.Form):
    reason_code = forms.RegexField(label="Return reason code (empty: the rail's code for the reason)",
                                   required=False, regex=r"^[A-Za-z0-9]{2,4}$", max_length=4)
    note = forms.CharField(label="Note", required=False, max_length=500)


@require_GET
@staff_permission(VIEW)
def exception_list(request):
    filters, page = filtered_page(
        request,
        ExceptionFilterForm,
        lambda values: inbound_selectors.exception_list(
            status=values.get("status") or None, rail=values.get("rail") or None,
            reason=values.get("reason") or None,
        ).order_by("return_by", "-id"),
        default={"status": ExceptionStatus.OPEN},
    )
    return render(request, "portal/inbound_exceptions.html", {"filters": filters, "page": page})


def _detail(request, item, *, apply_form=None, return_form=None, status: int = 200):
    return render(
        request,
        "portal/inbound_exception.html",
        {
            "item": item,
            "inbound": item.inbound,
            "may_resolve": item.status == ExceptionStatus.OPEN and request.user.has_perm(RESOLVE),
            "apply_form": apply_form or ApplyForm(auto_id="apply_%s"),
            "return_form": return_form or ReturnForm(auto_id="return_%s"),
        },
        status=status,
    )


def _item_or_none(exception_id: str):
    try:
        return inbound_selectors.exception_get(public_id=exception_id)
    except NotFound:
        return None


@require_GET
@staff_permission(VIEW)
def exception_detail(request, exception_id: str):
    item = _item_or_none(exception_id)
    return not_found(request) if item is None else _detail(request, item)


def _resolve(request, exception_id: str, form_class, field: str, run):
    item = _item_or_none(exception_id)
    if item is None:
        return not_found(request)
    form = form_class(request.POST, auto_id=f"{field}_%s")
    if not form.is_valid():
        return _detail(request, item, **{f"{field}_form": form}, status=400)
    try:
        done = run(form.cleaned_data)
    except DomainError as exc:
        messages.error(request, f"Refused ({exc.code}): {exc.message}")
        return redirect("portal-inbound-exception", exception_id=exception_id)
    messages.success(request, f"Exception {done.public_id}: {done.status}.")
    return redirect("portal-inbound-exceptions")


@require_POST
@staff_permission(RESOLVE)
def exception_apply(request, exception_id: str):
    actor = str(request.user)
    return _resolve(request, exception_id, ApplyForm, "apply", lambda v: inbound_services.exception_apply(
        exception_id=exception_id, account_id=v["account"].strip() or None, actor=actor, note=v["note"]))


@require_POST
@staff_permission(RESOLVE)
def exception_return(request, exception_id: str):
    actor = str(request.user)
    return _resolve(request, exception_id, ReturnForm, "return", lambda v: inbound_services.exception_return(
        exception_id=exception_id, reason_code=v["reason_code"].upper() or None, actor=actor, note=v["note"]))
