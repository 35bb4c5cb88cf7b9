"""Writes of a break's end: an officer resolves it (says what it was, optionally the payment or ledger posting it
is) or writes it off (accepts it as it is).

A write-off whose amount (the difference for an amount or balance difference, else the amount of the side that is
there) is above the four-eyes threshold (``QENEX_APPROVAL_THRESHOLD``, as for postings) does not write the break off:
it becomes a ``RECON_WRITE_OFF`` request in apps.approvals, the break stays OPEN with the request's id, and a second
officer's approval runs :func:`break_write_off_approved`. While that request waits, the break is neither resolved
nor written off again. Each change locks the break row and writes one audit record in the same durable transaction.

A later run of the same statement supersedes the open breaks of earlier runs (``services.reconciliation_run``); a
write-off request still waiting for such a break then fails when approved (``break_already_resolved``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import InvalidInput
from apps.core.money import currency_exponent

from .. import selectors
from ..errors import BreakAlreadyResolved, BreakNotFound, BreakPendingApproval
from ..models import BreakKind, BreakStatus, ReconciliationBreak

APPROVAL_KIND = "RECON_WRITE_OFF"
MAKER_PERMISSION = "reconciliation.write_off_reconciliationbreak"
MAX_NOTE = 1000
WAITING = ("PENDING", "APPROVED")  # approval statuses that keep a break's write-off in flight


@dataclass(frozen=True)
class BreakWriteOff:
    """What a write-off did: the break (WRITTEN_OFF, or still OPEN) and the four-eyes request it made, if any."""

    item: ReconciliationBreak
    approval: Any = None  # apps.approvals ApprovalRequest


def _note(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"say why ({field} is required)", field=field, code="missing_field")
    if len(value) > MAX_NOTE:
        raise InvalidInput(f"{field} must be at most {MAX_NOTE} characters", field=field, code="too_long")
    return value


def write_off_minor(item: ReconciliationBreak) -> int:
    """The amount a write-off accepts: the difference of a difference break, else the amount shown."""
    if item.kind in (BreakKind.AMOUNT_DIFFERENCE, BreakKind.BALANCE_DIFFERENCE):
        return abs(item.difference_minor)
    return abs(item.amount_minor)


def write_off_needs_approval(item: ReconciliationBreak) -> bool:
    from apps.approvals.policy import approval_threshold

    limit = approval_threshold(currency=item.currency).scaleb(currency_exponent(item.currency))
    return Decimal(write_off_minor(item)) > limit


def _approval_status(approval_id: str) -> str | None:
    if not approval_id:
        return None
    from apps.approvals.models import ApprovalRequest

    return ApprovalRequest.objects.filter(public_id=approval_id).values_list("status", flat=True).first()


def _lock(break_id: str) -> ReconciliationBreak:
    item = (
        ReconciliationBreak.objects.select_for_update(no_key=True, of=("self",))
        .select_related("statement")
        .filter(public_id=break_id)
        .first()
    )
    if item is None:
        raise BreakNotFound(f"no break {break_id}", field="break")
    return item


def _require_open(item: ReconciliationBreak) -> None:
    if item.status != BreakStatus.OPEN:
        raise BreakAlreadyResolved(f"break {item.public_id} is already {item.status}", field="break")
    if _approval_status(item.approval) in WAITING:
        raise BreakPendingApproval(
            f"break {item.public_id}: its write-off waits for the four-eyes approval {item.approval}", field="break"
        )


def _links(item_currency: str | None, payment: str, entry: str) -> tuple[str, str]:
    """Check that the payment and the journal entry an officer names exist (read before any lock)."""
    from apps.ledger.selectors import transaction_get
    from apps.payments.selectors import payment_get

    payment, entry = (payment or "").strip(), (entry or "").strip()
    if payment:
        found = payment_get(public_id=payment)
        if item_currency and found.currency != item_currency:
            raise InvalidInput(
                f"payment {payment} is in {found.currency}, the break in {item_currency}",
                field="payment",
                code="currency_mismatch",
            )
    if entry:
        transaction_get(public_id=entry)
    return payment, entry


def _audit(item: ReconciliationBreak, action: str, actor: str, **after: Any) -> None:
    audit_record(
        action=action,
        object_type="ReconciliationBreak",
        object_id=item.public_id,
        before={"status": BreakStatus.OPEN},
        after={"status": item.status, "kind": item.kind, "resolution": item.resolution, **after},
        actor=actor,
    )


def break_resolve(*, break_id: str, note: str, actor: str, payment: str = "", entry: str = "") -> ReconciliationBreak:
    """Close a break with what was done about it (booked the fee, chased the bank, ...), optionally naming the
    payment and/or ledger journal entry it turned out to be."""
    note = _note(note, "note")
    found = selectors.break_get(public_id=break_id)
    _require_open(found)  # before the links are looked up: a closed break is 409 whatever they name
    payment, entry = _links(found.currency, payment, entry)
    with transaction.atomic(durable=True):
        item = _lock(break_id)
        _require_open(item)
        item.status, item.resolution, item.resolved_by, item.resolved_at = (
            BreakStatus.RESOLVED,
            note,
            actor,
            timezone.now(),
        )
        item.linked_payment, item.linked_entry = payment, entry
        item.save(
            update_fields=["status", "resolution", "resolved_by", "resolved_at", "linked_payment", "linked_entry"]
        )
        _audit(
            item, "reconciliation.break_resolved", actor, linked_payment=payment or None, linked_entry=entry or None
        )
    return item


def break_write_off(*, break_id: str, reason: str, actor: str, maker=None) -> BreakWriteOff:
    """Write a break off with a reason; above the four-eyes threshold, propose it to a second officer instead.

    ``maker`` (the staff user or API client proposing it) is needed only when the write-off needs approval. Asking
    again while the request waits returns that request (a double click makes one request).
    """
    reason = _note(reason, "reason")
    with transaction.atomic(durable=True):
        item = _lock(break_id)
        if item.status != BreakStatus.OPEN:
            raise BreakAlreadyResolved(f"break {item.public_id} is already {item.status}", field="break")
        if _approval_status(item.approval) in WAITING:
            from apps.approvals.models import ApprovalRequest

            return BreakWriteOff(item, ApprovalRequest.objects.get(public_id=item.approval))
        if write_off_needs_approval(item):
            if maker is None:
                raise InvalidInput(
                    "a write-off above the approval threshold needs a maker for the four-eyes request", field="maker"
                )
            from apps.approvals.services import approval_request

            approval = approval_request(
                kind=APPROVAL_KIND, payload={"break": item.public_id, "reason": reason}, maker=maker
            )
            item.approval = approval.public_id
            item.save(update_fields=["approval"])
            return BreakWriteOff(item, approval)  # approval_request wrote the audit record (naming the break)
        _write_off(item, reason, actor)
    return BreakWriteOff(item)


def _write_off(item: ReconciliationBreak, reason: str, actor: str, approval: str = "") -> None:
    item.status, item.resolution, item.resolved_by, item.resolved_at = (
        BreakStatus.WRITTEN_OFF,
        reason,
        actor,
        timezone.now(),
    )
    fields = ["status", "resolution", "resolved_by", "resolved_at"]
    if approval:
        item.approval = approval
        fields.append("approval")
    item.save(update_fields=fields)
    _audit(
        item,
        "reconciliation.break_written_off",
        actor,
        written_off_minor=write_off_minor(item),
        currency=item.currency,
        approval=approval or None,
    )


def break_write_off_approved(*, break_id: str, approval_id: str, actor: str) -> ReconciliationBreak:
    """Run by apps.approvals once a second officer approved a RECON_WRITE_OFF request."""
    from apps.approvals.models import ApprovalRequest

    reason = str(ApprovalRequest.objects.get(public_id=approval_id).payload.get("reason", ""))[:MAX_NOTE]
    with transaction.atomic(durable=True):
        item = _lock(break_id)
        if item.status == BreakStatus.WRITTEN_OFF and item.approval == approval_id:
            return item  # executed already (a retried execution)
        if item.status != BreakStatus.OPEN:
            raise BreakAlreadyResolved(f"break {item.public_id} is already {item.status}", field="break")
        _write_off(item, reason, actor, approval=approval_id)
    return item


def clean_write_off_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Check a RECON_WRITE_OFF request's payload (apps.approvals calls it when the request is made)."""
    break_id = payload.get("break")
    if not isinstance(break_id, str) or not break_id:
        raise InvalidInput("break is required", field="break", code="missing_field")
    reason = _note(payload.get("reason") if isinstance(payload.get("reason"), str) else "", "reason")
    item = selectors.break_get(public_id=break_id)
    if item.status != BreakStatus.OPEN:
        raise BreakAlreadyResolved(f"break {break_id} is already {item.status}", field="break")
    return {"break": break_id, "reason": reason}


def run_write_off_approval(approval, payload: dict[str, Any], key: str, actor: str) -> str:
    """The approvals runner of RECON_WRITE_OFF."""
    return break_write_off_approved(break_id=payload["break"], approval_id=approval.public_id, actor=actor).public_id
