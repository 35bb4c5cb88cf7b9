"""Reads the portal pages need, built on the other apps' selectors. Never write, never lock.

The dashboard's summary is one plain dict (JSON-ready, amounts already formatted) so the page's first render
and the live updates over the WebSocket (``apps.portal.consumers``) come from the same function.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from apps.accounts import selectors as account_selectors
from apps.accounts.models import CUSTOMER_TYPES, Account
from apps.approvals import selectors as approval_selectors
from apps.approvals.models import ApprovalStatus
from apps.ledger import selectors as ledger_selectors
from apps.ledger.models import Hold, HoldStatus
from apps.payments import selectors as payment_selectors
from apps.payments.models import Rail
from apps.payments.states import PaymentStatus
from qenex.db_routers import read_alias

from .formatting import amount_text, time_text, today_start


def account_search(
    *,
    query: str = "",
    owner_id: str = "",
    currency: str = "",
    status: str = "",
    account_type: str = "",
    include_internal: bool = False,
) -> QuerySet[Account]:
    """Accounts matching the filters, newest first. ``query`` matches an account id or a customer reference."""
    qs = account_selectors.account_list(owner_id=owner_id or None, currency=currency or None, status=status or None)
    if account_type:
        qs = qs.filter(account_type=account_type)
    elif not include_internal:
        qs = qs.filter(account_type__in=CUSTOMER_TYPES)
    if query:
        qs = qs.filter(Q(public_id__istartswith=query) | Q(owner_id__istartswith=query))
    return qs.order_by("-created_at", "-id")


def account_balances(accounts: list[Account]) -> dict[int, ledger_selectors.Balance]:
    return {a.pk: ledger_selectors.balance_get(account=a) for a in accounts}


def statement_page_lines(*, account: Account, start: datetime | None, end: datetime | None) -> QuerySet:
    """The statement's postings in [start, end), newest first (the page shows the latest on top)."""
    return ledger_selectors.statement_lines(account=account, start=start, end=end).order_by("-posted_at", "-id")


def postings_after(*, account: Account, after_id: int) -> QuerySet:
    """Postings newer than the one with pk ``after_id`` (what a live page has not shown yet), newest first."""
    return ledger_selectors.statement_lines(account=account).filter(pk__gt=after_id).order_by("-posted_at", "-id")[:50]


def open_holds(*, account: Account) -> QuerySet[Hold]:
    return ledger_selectors.holds_open(account=account).order_by("-created_at", "-id")


def _rail_label(rail: str) -> str:
    return Rail(rail).label if rail in Rail.values else rail


def dashboard_summary(*, now: datetime | None = None) -> dict[str, Any]:
    """Today's postings by type and currency, payments by rail and status, open holds, work waiting."""
    now = now or timezone.now()
    since = today_start(now)
    db = read_alias()  # read-only figures, lag-tolerant: the read replica when configured (qenex/db_routers.py)
    volumes = [
        {
            "type": row["entry_type"],
            "currency": row["currency"],
            "count": row["count"],
            "amount": amount_text(row["total"] or 0, row["currency"]),
        }
        for row in ledger_selectors.transaction_list()
        .using(db)
        .filter(posted_at__gte=since)
        .values("entry_type", "currency")
        .annotate(count=Count("id"), total=Sum("amount_minor"))
        .order_by("entry_type", "currency")
    ]
    by_rail: dict[str, dict[str, int]] = defaultdict(dict)
    for row in (
        payment_selectors.payment_list()
        .using(db)
        .filter(Q(created_at__gte=since) | ~Q(status__in=(PaymentStatus.SETTLED, PaymentStatus.REJECTED,
                                                           PaymentStatus.CANCELLED)))
        .values("rail", "status")
        .annotate(count=Count("id"))
        .order_by("rail", "status")
    ):
        by_rail[row["rail"]][row["status"]] = row["count"]
    holds = [
        {"currency": row["currency"], "count": row["count"], "amount": amount_text(row["total"] or 0, row["currency"])}
        for row in Hold.objects.using(db)
        .filter(status=HoldStatus.AUTHORIZED, expires_at__gt=now)
        .values("currency")
        .annotate(count=Count("id"), total=Sum("amount_minor"))
        .order_by("currency")
    ]
    return {
        "since": time_text(since),
        "volumes": volumes,
        "payments": [
            {"rail": _rail_label(rail), "statuses": statuses} for rail, statuses in sorted(by_rail.items())
        ],
        "holds": holds,
        "waiting": {
            "approvals": approval_selectors.approval_list(status=ApprovalStatus.PENDING).using(db).count(),
            "payments_held": payment_selectors.payment_list(status=PaymentStatus.HELD).using(db).count(),
            "payments_failed": payment_selectors.payment_list(status=PaymentStatus.FAILED).using(db).count(),
        },
    }


def card_authorisations(*, status: str = "", response_code: str = "", card: str = "") -> QuerySet:
    """Card authorisations, newest first; ``card`` is a card public id or its last four digits.

    Only the card fields a page may show are loaded (never the encrypted PAN column).
    """
    from apps.cards.models import Authorisation

    qs = Authorisation.objects.select_related("card", "card__account").defer("card__pan", "card__pan_bidx")
    if status:
        qs = qs.filter(status=status)
    if response_code:
        qs = qs.filter(response_code=response_code)
    if card:
        qs = qs.filter(Q(card__public_id=card) | Q(card__last_four=card))
    return qs.order_by("-created_at", "-id")
