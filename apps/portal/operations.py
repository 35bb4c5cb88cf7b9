"""What the portal's action forms do: run an operation, or hand it to a second person (four-eyes).

The portal's counterpart of ``apps.approvals.api.gate`` (which answers DRF responses): the same policy
(``apps.approvals.policy``), under the same per-maker lock, so a teller cannot split a large transfer into
small ones through the portal any more than through the API. Every function is one call from a view; each
calls the owning app's services (ledger, approvals), never its tables. Permissions are checked by the view;
the services check again what they own (a maker permission for an approval request).

Idempotency keys come from the form (a hidden field minted when it was rendered), scoped to the user as the
API scopes them, so a double click or a browser resubmit posts once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser

from apps.accounts import selectors as account_selectors
from apps.accounts.models import AccountStatus
from apps.approvals import policy
from apps.approvals import selectors as approval_selectors
from apps.approvals import services as approval_services
from apps.approvals.errors import ApprovalRequired
from apps.approvals.locks import maker_serialized
from apps.approvals.models import ApprovalKind, ApprovalRequest, ApprovalStatus
from apps.core.idempotency import check_key
from apps.core.money import format_amount, to_minor_units
from apps.ledger import movements
from apps.ledger import selectors as ledger_selectors
from apps.ledger import services as ledger_services
from apps.ledger.models import JournalEntry
from apps.payments import selectors as payment_selectors
from apps.payments.services import orders as payment_orders
from apps.payments.states import PaymentStatus


@dataclass(frozen=True)
class Outcome:
    """Either what was done (``entry`` / ``hold``) or the approval request waiting for a checker."""

    entry: JournalEntry | None = None
    hold: object | None = None
    approval: ApprovalRequest | None = None
    payment: object | None = None
    replayed: bool = False


def scoped_key(user: AbstractBaseUser, raw: str) -> str:
    """The form's key, scoped to the user as ``apps.core.api.idempotency`` scopes a staff caller's keys."""
    return f"user{user.pk}:{check_key(raw)}"


def _gate(*, user, kind: str, payload: dict, moves, key: str, run) -> Outcome:
    if approval_selectors.approval_exists_for_key(idempotency_key=key):
        return Outcome(approval=approval_services.approval_request(kind=kind, payload=payload, maker=user,
                                                                   idempotency_key=key), replayed=True)
    if ledger_selectors.idempotency_key_used(key=key):
        return run()  # the service replays what the key already did
    actor = str(user)
    with maker_serialized(actor=actor, refs=[m.ref for m in moves]):
        if policy.approval_reason(actor=actor, movements=moves):
            return Outcome(
                approval=approval_services.approval_request(kind=kind, payload=payload, maker=user, idempotency_key=key)
            )
        return run()


def posting_submit(
    *,
    user: AbstractBaseUser,
    entry_type: str,
    amount: Decimal,
    currency: str,
    from_account: str | None = None,
    to_account: str | None = None,
    description: str = "",
    form_key: str,
) -> Outcome:
    """Post a DEPOSIT, WITHDRAWAL or TRANSFER now, or (above the threshold or the maker's velocity) request it."""
    key = scoped_key(user, form_key)
    source = account_selectors.account_get(public_id=from_account, field="from_account") if from_account else None
    target = account_selectors.account_get(public_id=to_account, field="to_account") if to_account else None
    moves = movements.posting_movements(
        entry_type=entry_type,
        amount_minor=to_minor_units(amount, currency),
        currency=currency,
        source=source,
        target=target,
    )
    payload = {
        "type": entry_type,
        **{k: v for k, v in (("from_account", from_account), ("to_account", to_account)) if v},
        "amount": str(amount),
        "currency": currency,
        "description": description,
        "metadata": {"channel": "portal"},
    }

    def run() -> Outcome:
        result = ledger_services.post_by_type(
            entry_type=entry_type,
            from_account=from_account,
            to_account=to_account,
            amount=amount,
            currency=currency,
            description=description,
            metadata={"channel": "portal"},
            idempotency_key=key,
            actor=str(user),
        )
        return Outcome(entry=result.entry, replayed=result.replayed)

    return _gate(user=user, kind=ApprovalKind.POSTING, payload=payload, moves=moves, key=key, run=run)


def hold_submit(
    *,
    user: AbstractBaseUser,
    account: str,
    amount: Decimal,
    description: str = "",
    expires_at: datetime | None = None,
    form_key: str,
) -> Outcome:
    """Place a hold now, or (weighed like the debit it reserves) request it."""
    key = scoped_key(user, form_key)
    held = account_selectors.account_get(public_id=account)
    moves = movements.hold_movements(held, to_minor_units(amount, held.currency), held.currency)
    payload = {"account": account, "amount": str(amount), "currency": held.currency, "description": description}
    if expires_at is not None:
        payload["expires_at"] = expires_at.isoformat()

    def run() -> Outcome:
        result = ledger_services.hold_place(
            account=account,
            amount=amount,
            currency=held.currency,
            description=description,
            expires_at=expires_at,
            idempotency_key=key,
            actor=str(user),
        )
        return Outcome(hold=result.hold, replayed=result.replayed)

    return _gate(user=user, kind=ApprovalKind.HOLD, payload=payload, moves=moves, key=key, run=run)


def account_status_submit(*, user: AbstractBaseUser, account: str, status: str) -> Outcome:
    """Freeze at once; an unfreeze (FROZEN → ACTIVE) always goes to a second person."""
    current = account_selectors.account_get(public_id=account)
    if current.status == AccountStatus.FROZEN and status == AccountStatus.ACTIVE:
        return Outcome(
            approval=approval_services.approval_request(
                kind=ApprovalKind.ACCOUNT_UNFREEZE, payload={"account": account}, maker=user
            )
        )
    ledger_services.account_change_status(public_id=account, status=status, actor=str(user))
    return Outcome()


def payment_release_needs_approval(payment) -> bool:
    """A held payment above the approval threshold: one officer proposes its release, a second approves it."""
    return payment.status == PaymentStatus.HELD and policy.posting_needs_approval(
        amount=format_amount(payment.amount_minor, payment.currency), currency=payment.currency
    )


def _release_proposal(*, user: AbstractBaseUser, payment_id: str) -> Outcome:
    pending = (
        approval_selectors.approval_list(status=ApprovalStatus.PENDING, kind=ApprovalKind.PAYMENT_RELEASE)
        .filter(payload__payment=payment_id)
        .first()
    )
    if pending is not None:  # a second click, or a colleague proposed it already: one request per payment
        return Outcome(approval=pending, replayed=True)
    return Outcome(
        approval=approval_services.approval_request(
            kind=ApprovalKind.PAYMENT_RELEASE, payload={"payment": payment_id}, maker=user
        )
    )


def payment_release_submit(*, user: AbstractBaseUser, payment_id: str) -> Outcome:
    """Release a held payment now, or (above the four-eyes threshold) propose a PAYMENT_RELEASE approval.

    The payments service refuses a lone release above the threshold itself (``ApprovalRequired``); asking the
    policy first only spares the officer that refusal, and a threshold lowered in between still ends in a proposal.
    """
    payment = payment_selectors.payment_get(public_id=payment_id)
    if payment_release_needs_approval(payment):
        return _release_proposal(user=user, payment_id=payment_id)
    try:
        return Outcome(payment=payment_orders.payment_release(payment_id=payment_id, actor=str(user)))
    except ApprovalRequired:
        return _release_proposal(user=user, payment_id=payment_id)
