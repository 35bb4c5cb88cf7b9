"""Staff portal pages for four-eyes approvals: the pending queue, one request, approve or reject it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.core.errors import DomainError, NotFound
from apps.portal.pagination import filtered_page

from . import selectors, services
from .models import ApprovalKind, ApprovalStatus

DECIDE = ("approvals.approve_request", "approvals.approve_compliance_request")


def _require_decider(request) -> None:
    if not (request.user.is_staff and any(request.user.has_perm(p) for p in DECIDE)):
        raise PermissionDenied


class QueueFilterForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Any")] + list(ApprovalKind.choices))
    maker = forms.CharField(label="Requested by (user name)", required=False, max_length=150)


@login_required
def approval_queue(request):
    """The pending requests, oldest first (filtered by kind and maker, paged); the last 20 decided below."""
    _require_decider(request)

    def select(values):
        pending = selectors.approval_list(status=ApprovalStatus.PENDING, kind=values.get("kind") or None)
        maker = (values.get("maker") or "").strip()
        return (pending.filter(maker__username=maker) if maker else pending).order_by("created_at", "id")

    filters, page = filtered_page(request, QueueFilterForm, select)
    recent = selectors.approval_list().exclude(status=ApprovalStatus.PENDING).order_by("-decided_at", "-id")[:20]
    rows = [(a, services.can_decide(approval=a, user=request.user) and a.maker_id != request.user.pk)
            for a in page.object_list]
    return render(request, "approvals/queue.html", {"filters": filters, "page": page, "rows": rows, "recent": recent})


@login_required
def approval_detail(request, approval_id: str):
    _require_decider(request)
    try:
        approval = selectors.approval_get(public_id=approval_id)
    except NotFound:
        return render(request, "errors/404.html", status=404)
    may_decide = (
        approval.status == ApprovalStatus.PENDING
        and approval.maker_id != request.user.pk
        and services.can_decide(approval=approval, user=request.user)
    )
    return render(request, "approvals/detail.html", {"approval": approval, "may_decide": may_decide})


@require_POST
@login_required
def approval_decide(request, approval_id: str, decision: str):
    _require_decider(request)
    reason = request.POST.get("reason", "")
    try:
        if decision == "approve":
            approval = services.approval_approve(public_id=approval_id, checker=request.user, reason=reason)
        elif decision == "reject":
            approval = services.approval_reject(public_id=approval_id, checker=request.user, reason=reason)
        else:
            raise PermissionDenied
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal-approval", approval_id=approval_id)
    level = messages.SUCCESS if approval.status != ApprovalStatus.FAILED else messages.ERROR
    messages.add_message(request, level, f"{approval.public_id}: {approval.status} {approval.error_code}".strip())
    return redirect("portal-approvals")
