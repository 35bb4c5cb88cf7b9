"""Payments pages: the list (by status and rail), one payment with its history and messages, the queue of
payments a check held (release / reject), and dead letters (FAILED) to retry. One service call per action.

Reading needs ``payments.view_paymentorder``; acting on a payment ``payments.change_paymentorder``.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.core.errors import DomainError, NotFound
from apps.payments import selectors as payment_selectors
from apps.payments.services import orders as payment_orders
from apps.payments.services import submission as payment_submission
from apps.payments.states import PaymentStatus

from . import operations
from .forms import PaymentFilterForm, RailFilterForm, ReasonForm
from .pagination import filtered_page
from .views import staff_permission

VIEW = "payments.view_paymentorder"
CHANGE = "payments.change_paymentorder"


def _list(request, *, template: str, status: str | None = None):
    """A payments list: every payment filtered by status and rail, or those of one ``status`` by rail."""

    def select(values):
        return payment_selectors.payment_list(
            status=status or values.get("status") or None, rail=values.get("rail") or None
        ).order_by("-created_at", "-id")

    filters, page = filtered_page(request, RailFilterForm if status else PaymentFilterForm, select)
    return render(
        request,
        template,
        {
            "filters": filters,
            "page": page,
            "may_act": request.user.has_perm(CHANGE),
            "reason_form": ReasonForm(),
        },
    )


@require_GET
@staff_permission(VIEW)
def payment_list(request):
    return _list(request, template="portal/payments.html")


@require_GET
@staff_permission(VIEW)
def payments_held(request):
    return _list(request, template="portal/payments_held.html", status=PaymentStatus.HELD)


@require_GET
@staff_permission(VIEW)
def payments_failed(request):
    return _list(request, template="portal/payments_failed.html", status=PaymentStatus.FAILED)


@require_GET
@staff_permission(VIEW)
def payment_detail(request, payment_id: str):
    try:
        payment = payment_selectors.payment_get(public_id=payment_id)
    except NotFound:
        return render(request, "errors/404.html", status=404)
    return render(
        request,
        "portal/payment.html",
        {
            "payment": payment,
            "events": payment.events.all(),
            "messages_exchanged": payment.messages.all(),
            "may_act": request.user.has_perm(CHANGE),
            "reason_form": ReasonForm(),
        },
    )


def _act(request, payment_id: str, run, done: str):
    try:
        payment = run()
    except DomainError as exc:
        messages.error(request, f"Refused ({exc.code}): {exc.message}")
    else:
        messages.success(request, f"Payment {payment.public_id} {done}: now {payment.status}.")
    return _back(request, payment_id)


def _back(request, payment_id: str):
    target = request.POST.get("next", "")
    if target in ("held", "failed"):
        return redirect(f"portal-payments-{target}")
    return redirect("portal-payment", payment_id=payment_id)


@require_POST
@staff_permission(CHANGE)
def payment_release(request, payment_id: str):
    """Release now, or above the four-eyes threshold propose the release (PAYMENT_RELEASE) to a second officer."""
    try:
        outcome = operations.payment_release_submit(user=request.user, payment_id=payment_id)
    except DomainError as exc:
        messages.error(request, f"Refused ({exc.code}): {exc.message}")
    else:
        if outcome.approval is not None:
            messages.info(
                request,
                f"Payment {payment_id} is above the four-eyes threshold: its release needs a second officer's "
                f"approval (request {outcome.approval.public_id} is waiting).",
            )
        else:
            messages.success(request, f"Payment {payment_id} released: now {outcome.payment.status}.")
    return _back(request, payment_id)


@require_POST
@staff_permission(CHANGE)
def payment_reject(request, payment_id: str):
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    actor = str(request.user)
    return _act(
        request,
        payment_id,
        lambda: payment_orders.payment_reject_held(payment_id=payment_id, actor=actor, reason=reason),
        "rejected",
    )


@require_POST
@staff_permission(CHANGE)
def payment_retry(request, payment_id: str):
    actor = str(request.user)
    return _act(
        request, payment_id, lambda: payment_submission.payment_retry_failed(payment_id=payment_id, actor=actor),
        "sent again",
    )
