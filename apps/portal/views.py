"""Staff portal pages: thin adapters. Reads through selectors; each write is one call (``operations`` or a service).

Every view needs a staff user with the page's permission (the menu in ``apps.portal.navigation`` hides what would be
refused here). A domain error (insufficient funds, frozen account, ...) becomes a message on the page it came
from, never a 500.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import UTC
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.accounts import selectors as account_selectors
from apps.accounts.models import AccountStatus
from apps.core.errors import DomainError, NotFound
from apps.core.money import from_minor_units
from apps.ledger import selectors as ledger_selectors
from apps.ledger import services as ledger_services

from . import forms, operations, selectors
from .formatting import amount_text, money_text, time_text
from .pagination import filtered_page, page_of

POST_TRANSACTION = "ledger.post_transaction"


def staff_permission(*permissions: str) -> Callable:
    """Signed in (else the login page), staff and holding any of ``permissions`` (else 403)."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not (user.is_staff and any(user.has_perm(p) for p in permissions)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def not_found(request):
    return render(request, "errors/404.html", status=404)


def _account_or_none(account_id: str):
    try:
        return account_selectors.account_get(public_id=account_id)
    except NotFound:
        return None


def _customer_account_or_none(account_id: str):
    """The account money is moved or held on from its page: a customer's (the bank's GL moves by its own rules)."""
    account = _account_or_none(account_id)
    return None if account is None or account.is_internal else account


# --- dashboard -----------------------------------------------------------------------------------------------


@require_GET
@staff_permission("accounts.view_account")
def dashboard(request):
    if request.GET.get("owner_id"):  # the accounts search used to live here: keep old links working
        return redirect(f"{reverse('portal-accounts')}?{urlencode({'owner_id': request.GET['owner_id']})}")
    return render(request, "portal/dashboard.html", {"summary": selectors.dashboard_summary()})


# --- accounts ------------------------------------------------------------------------------------------------


@require_GET
@staff_permission("accounts.view_account")
def account_list(request):
    def select(values):
        return selectors.account_search(
            query=values.get("q", ""),
            owner_id=request.GET.get("owner_id", "").strip(),  # the old ?owner_id= links still work
            currency=values.get("currency", ""),
            status=values.get("status", ""),
            account_type=values.get("account_type", ""),
        )

    filters, page = filtered_page(request, forms.AccountFilterForm, select)
    balances = selectors.account_balances(list(page.object_list))
    rows = [(a, balances[a.pk]) for a in page.object_list]
    return render(request, "portal/accounts.html", {"filters": filters, "page": page, "rows": rows})


def _posting_row(p) -> dict:
    return {
        "id": p.pk,
        "posted": time_text(p.posted_at),
        "transaction": p.entry.public_id,
        "type": p.entry.entry_type,
        "description": p.entry.description,
        "amount": amount_text(p.amount_minor, p.currency),
        "direction": "debit" if p.amount_minor < 0 else "credit",
        "balance_after": amount_text(p.balance_after_minor, p.currency),
    }


def _balance_facts(account) -> dict:
    balance = ledger_selectors.balance_get(account=account)
    return {
        "balance": money_text(balance.ledger_minor, account.currency),
        "available": money_text(balance.available_minor, account.currency),
        "held": money_text(balance.held_minor, account.currency),
    }


@require_GET
@staff_permission("accounts.view_account")
def account_detail(request, account_id: str):
    account = _account_or_none(account_id)
    if account is None:
        return not_found(request)
    period = forms.StatementRangeForm(request.GET or None)
    start, end = period.bounds()
    page = page_of(request, selectors.statement_page_lines(account=account, start=start, end=end), per_page=50)
    latest = ledger_selectors.statement_lines(account=account).order_by("-id").values_list("pk", flat=True).first()
    user = request.user
    context = {
        "account": account,
        **_balance_facts(account),
        "holds": selectors.open_holds(account=account),
        "period": period,
        "page": page,
        "rows": [_posting_row(p) for p in page.object_list],
        "latest_posting": latest or 0,
        "live": not request.GET.get("page") or request.GET.get("page") == "1",
        "csv_query": request.GET.urlencode(),
        "can_post": user.has_perm(POST_TRANSACTION) and not account.is_internal,
        "can_hold": user.has_perm("ledger.add_hold") and not account.is_internal,
        "can_release": user.has_perm("ledger.change_hold"),
        "can_freeze": user.has_perm("accounts.freeze_account") and account.status == AccountStatus.ACTIVE,
        "can_unfreeze": user.has_perm("accounts.unfreeze_account") and account.status == AccountStatus.FROZEN,
        "transfer_form": forms.TransferForm(auto_id="transfer_%s"),
        "deposit_form": forms.DepositForm(auto_id="deposit_%s"),
        "hold_form": forms.HoldForm(auto_id="hold_%s"),
    }
    return render(request, "portal/account.html", context)


@require_GET
@staff_permission("accounts.view_account")
def account_live(request, account_id: str):
    """What a live account page has not shown yet: balances and the postings after ``?after=<posting id>``."""
    account = _account_or_none(account_id)
    if account is None:
        return JsonResponse({"code": "not_found"}, status=404)
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        return JsonResponse({"code": "invalid_input", "field": "after"}, status=400)
    rows = [_posting_row(p) for p in selectors.postings_after(account=account, after_id=after)]
    return JsonResponse({**_balance_facts(account), "status": account.status, "rows": rows})


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
@staff_permission("accounts.view_account")
def account_statement_csv(request, account_id: str):
    """The statement of the chosen range as CSV, oldest first, amounts as plain decimals (spreadsheet-safe)."""
    account = _account_or_none(account_id)
    if account is None:
        return not_found(request)
    period = forms.StatementRangeForm(request.GET or None)
    if request.GET and not period.is_valid():
        return HttpResponse("invalid date range\n", status=400, content_type="text/plain")
    start, end = period.bounds()
    lines = ledger_selectors.statement_lines(account=account, start=start, end=end)

    def rows() -> Iterator[list[str]]:
        yield ["posted_at", "transaction", "type", "description", "amount", "currency", "balance_after"]
        for p in lines.iterator(chunk_size=500):
            yield [
                p.posted_at.astimezone(UTC).isoformat(),
                p.entry.public_id,
                p.entry.entry_type,
                _csv_safe(p.entry.description),
                str(from_minor_units(p.amount_minor, p.currency)),
                p.currency,
                "" if p.balance_after_minor is None else str(from_minor_units(p.balance_after_minor, p.currency)),
            ]

    writer = csv.writer(_Echo())
    response = StreamingHttpResponse((writer.writerow(r) for r in rows()), content_type="text/csv; charset=utf-8")
    suffix = "-".join(filter(None, [request.GET.get("start"), request.GET.get("end")])) or "all"
    response["Content-Disposition"] = f'attachment; filename="statement-{account.public_id}-{suffix}.csv"'
    return response


def _csv_safe(text: str) -> str:
    """Keep a description from being read as a formula by a spreadsheet (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- account actions -----------------------------------------------------------------------------------------


def _done(request, account_id: str, outcome: operations.Outcome, what: str):
    if outcome.approval is not None:
        messages.info(
            request,
            f"{what} needs a second person's approval: request {outcome.approval.public_id} is waiting.",
        )
    elif outcome.entry is not None:
        messages.success(request, f"{what} posted: {outcome.entry.public_id}.")
    elif outcome.hold is not None:
        messages.success(request, f"{what} placed: {outcome.hold.public_id}.")
    else:
        messages.success(request, f"{what} done.")
    return redirect("portal-account", account_id=account_id)


def _refused(request, account_id: str, form=None, exc: DomainError | None = None):
    if exc is not None:
        messages.error(request, f"Refused ({exc.code}): {exc.message}")
    elif form is not None:
        errors = "; ".join(f"{form.fields[f].label if f in form.fields else f}: {' '.join(e)}"
                           for f, e in form.errors.items())
        messages.error(request, f"Not sent: {errors}")
    return redirect("portal-account", account_id=account_id)


@require_POST
@staff_permission(POST_TRANSACTION)
def account_transfer(request, account_id: str):
    account = _customer_account_or_none(account_id)
    if account is None:
        return not_found(request)
    form = forms.TransferForm(request.POST)
    if not form.is_valid():
        return _refused(request, account_id, form)
    v = form.cleaned_data
    try:
        outcome = operations.posting_submit(
            user=request.user, entry_type="TRANSFER", from_account=account_id, to_account=v["to_account"].strip(),
            amount=v["amount"], currency=account.currency, description=v["description"],
            form_key=v["idempotency_key"],
        )
    except DomainError as exc:
        return _refused(request, account_id, exc=exc)
    return _done(request, account_id, outcome, "Transfer")


@require_POST
@staff_permission(POST_TRANSACTION)
def account_deposit(request, account_id: str):
    account = _customer_account_or_none(account_id)
    if account is None:
        return not_found(request)
    form = forms.DepositForm(request.POST)
    if not form.is_valid():
        return _refused(request, account_id, form)
    v = form.cleaned_data
    try:
        outcome = operations.posting_submit(
            user=request.user, entry_type="DEPOSIT", to_account=account_id, amount=v["amount"],
            currency=account.currency, description=v["description"], form_key=v["idempotency_key"],
        )
    except DomainError as exc:
        return _refused(request, account_id, exc=exc)
    return _done(request, account_id, outcome, "Deposit")


@require_POST
@staff_permission("ledger.add_hold")
def account_hold(request, account_id: str):
    if _customer_account_or_none(account_id) is None:
        return not_found(request)
    form = forms.HoldForm(request.POST)
    if not form.is_valid():
        return _refused(request, account_id, form)
    v = form.cleaned_data
    try:
        outcome = operations.hold_submit(
            user=request.user, account=account_id, amount=v["amount"], description=v["description"],
            form_key=v["idempotency_key"],
        )
    except DomainError as exc:
        return _refused(request, account_id, exc=exc)
    return _done(request, account_id, outcome, "Hold")


@require_POST
@staff_permission("ledger.change_hold")
def hold_release(request, account_id: str, hold_id: str):
    try:
        hold = ledger_selectors.hold_get(public_id=hold_id)
        if hold.account.public_id != account_id:
            return not_found(request)
        ledger_services.hold_void(hold_id=hold_id, actor=str(request.user))
    except DomainError as exc:
        return _refused(request, account_id, exc=exc)
    messages.success(request, f"Hold {hold_id} released.")
    return redirect("portal-account", account_id=account_id)


def _status_change(request, account_id: str, status: str, what: str):
    try:
        outcome = operations.account_status_submit(user=request.user, account=account_id, status=status)
    except DomainError as exc:
        return _refused(request, account_id, exc=exc)
    return _done(request, account_id, outcome, what)


@require_POST
@staff_permission("accounts.freeze_account")
def account_freeze(request, account_id: str):
    return _status_change(request, account_id, AccountStatus.FROZEN, "Freeze")


@require_POST
@staff_permission("accounts.unfreeze_account")
def account_unfreeze(request, account_id: str):
    return _status_change(request, account_id, AccountStatus.ACTIVE, "Unfreeze")
