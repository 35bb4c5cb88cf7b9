"""Staff portal: read views over the same selectors the API uses."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render

from apps.accounts import selectors as account_selectors
from apps.core.errors import NotFound
from apps.core.money import format_amount
from apps.ledger import selectors as ledger_selectors


def _row(account):
    balance = ledger_selectors.balance_get(account=account)
    return {
        "account": account,
        "balance": format_amount(balance.ledger_minor, account.currency),
        "available": format_amount(balance.available_minor, account.currency),
    }


@login_required
@permission_required("accounts.view_account", raise_exception=True)
def dashboard(request):
    owner = request.GET.get("owner_id", "").strip()
    accounts = account_selectors.account_list(owner_id=owner or None).order_by("-id")[:50]
    transactions = ledger_selectors.transaction_list().order_by("-id")[:20]
    return render(
        request,
        "portal/dashboard.html",
        {
            "rows": [_row(a) for a in accounts],
            "transactions": [(t, format_amount(t.amount_minor, t.currency)) for t in transactions],
            "owner": owner,
        },
    )


@login_required
@permission_required("accounts.view_account", raise_exception=True)
def account_detail(request, account_id: str):
    try:
        account = account_selectors.account_get(public_id=account_id)
    except NotFound:
        return render(request, "errors/404.html", status=404)
    lines = ledger_selectors.statement_lines(account=account).order_by("-id")[:100]
    return render(
        request,
        "portal/account.html",
        {
            **_row(account),
            "lines": [
                (
                    p,
                    format_amount(p.amount_minor, p.currency),
                    format_amount(p.balance_after_minor, p.currency) if p.balance_after_minor is not None else "—",
                )
                for p in lines
            ],
        },
    )
