"""Four-eyes approvals: request, approve (and execute), reject.

``approval_approve`` decides in one short transaction (the request row locked, so two checkers cannot both
approve), then runs the operation through the owning app's service *outside* that transaction, then
records the outcome in a second short transaction. The operation carries ``approval:<public id>`` as its
idempotency key, so even a repeated execution (``approval_execute`` after a crash) posts at most once.

Every change of a request reaches the audit trail (``approval.requested``, ``approval.approved``,
``approval.rejected``, ``approval.executed``, ``approval.failed``) as the last write of the transaction that
changes the row. ``audit_record`` locks the chain head until commit and the operation's services lock
accounts, so the decision and the outcome are committed on their own, before and after the operation: the
decision's transaction is durable (never nested in a caller's), so the operation never runs after an
audit write in the same transaction. A refused decision raises before anything is written.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from apps.accounts import services as account_services
from apps.accounts.models import AccountStatus, AccountType
from apps.accounts.selectors import account_get, overdraft_limit_check
from apps.audit.services import audit_record
from apps.core.errors import DomainError, IdempotencyConflict, InvalidInput
from apps.core.idempotency import check_key
from apps.ledger import services as ledger_services

from .errors import ApprovalNotFound, ApprovalNotPending, ApprovalPermissionDenied, ReasonRequired, SelfApprovalRefused
from .models import COMPLIANCE_KINDS, ApprovalKind, ApprovalRequest, ApprovalStatus

logger = logging.getLogger("qenex.approvals")

# What the maker must hold to propose each kind of operation.
MAKER_PERMISSIONS = {
    ApprovalKind.POSTING: "ledger.post_transaction",
    ApprovalKind.MANUAL_ADJUSTMENT: "ledger.post_adjustment",
    ApprovalKind.ACCOUNT_UNFREEZE: "accounts.unfreeze_account",
    ApprovalKind.OVERDRAFT_LIMIT: "accounts.change_overdraft_limit",
}
POSTING_TYPES = {"DEPOSIT", "WITHDRAWAL", "TRANSFER", "FEE"}
MAX_REASON = 500
# The payload fields an audit record repeats: what the operation does, never free text (description,
# metadata) that may carry customer data into a trail that can never be erased.
AUDIT_PAYLOAD_FIELDS = (
    "type",
    "amount",
    "currency",
    "from_account",
    "to_account",
    "account",
    "direction",
    "overdraft_limit",
)


def _payload_summary(payload: dict[str, Any]) -> dict[str, Any]:
    return {name: payload[name] for name in AUDIT_PAYLOAD_FIELDS if name in payload}


def _audit(approval: ApprovalRequest, *, action: str, before_status: str | None, actor: str, user_id: int) -> None:
    """Write the request's audit record: the last write of the transaction that changed its row."""
    after: dict[str, Any] = {
        "status": approval.status,
        "kind": approval.kind,
        "maker": approval.maker.get_username(),
        "checker": approval.checker.get_username() if approval.checker_id else None,
        "payload": _payload_summary(approval.payload),
    }
    if approval.reason:
        after["reason"] = approval.reason
    if approval.result_ref:
        after["result_ref"] = approval.result_ref
    if approval.error_code:
        after["error_code"], after["error_message"] = approval.error_code, approval.error_message
    audit_record(
        action=action,
        object_type="approval",
        object_id=approval.public_id,
        before=None if before_status is None else {"status": before_status},
        after=after,
        actor=actor,
        user_id=user_id,
    )


def _require(payload: dict[str, Any], *names: str) -> None:
    for name in names:
        if not isinstance(payload.get(name), str) or not payload[name]:
            raise InvalidInput(f"{name} is required", field=name, code="missing_field")


def _check_amount(value: object, field: str = "amount") -> None:
    try:
        Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"{field} must be a decimal string", field=field, code="invalid_amount") from None


def _clean_payload(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Check the payload's shape and that the accounts exist; the owning service re-checks everything."""
    if not isinstance(payload, dict):
        raise InvalidInput("payload must be a JSON object", field="payload")
    payload = dict(payload)
    if kind == ApprovalKind.POSTING:
        if payload.get("type") not in POSTING_TYPES:
            raise InvalidInput(f"type must be one of {sorted(POSTING_TYPES)}", field="type", code="invalid_choice")
        _require(payload, "amount", "currency")
        _check_amount(payload["amount"])
        needs = {"DEPOSIT": ["to_account"], "TRANSFER": ["from_account", "to_account"]}.get(
            payload["type"], ["from_account"]
        )
        _require(payload, *needs)
        for field in needs:
            account_get(public_id=payload[field], field=field)
    elif kind == ApprovalKind.MANUAL_ADJUSTMENT:
        _require(payload, "account", "amount", "currency", "description")
        _check_amount(payload["amount"])
        if payload.get("direction") not in {"CREDIT", "DEBIT"}:
            raise InvalidInput("direction must be CREDIT or DEBIT", field="direction", code="invalid_choice")
        account_get(public_id=payload["account"])
    elif kind == ApprovalKind.ACCOUNT_UNFREEZE:
        _require(payload, "account")
        account = account_get(public_id=payload["account"])
        if account.status != AccountStatus.FROZEN:
            raise InvalidInput(f"account {account.public_id} is not FROZEN", field="account", code="not_frozen")
    elif kind == ApprovalKind.OVERDRAFT_LIMIT:
        _require(payload, "account", "overdraft_limit")
        _check_amount(payload["overdraft_limit"], "overdraft_limit")
        # Refused at once if it could not run now; the service checks again, under the lock, when it runs.
        overdraft_limit_check(account=account_get(public_id=payload["account"]), limit=payload["overdraft_limit"])
    else:
        raise InvalidInput(f"unknown approval kind {kind!r}", field="kind", code="invalid_choice")
    return payload


@transaction.atomic
def approval_request(
    *, kind: str, payload: dict[str, Any], maker: AbstractBaseUser, idempotency_key: str | None = None
) -> ApprovalRequest:
    """Record a proposed operation for a second staff member to approve. Nothing is executed yet.

    A retry with the same ``idempotency_key`` returns the request created first (409 if it differs).
    """
    idempotency_key = check_key(idempotency_key)
    permission = MAKER_PERMISSIONS.get(kind)
    if permission is None:
        raise InvalidInput(f"unknown approval kind {kind!r}", field="kind", code="invalid_choice")
    if not (maker.is_active and maker.is_staff and maker.has_perm(permission)):
        raise ApprovalPermissionDenied(f"proposing {kind} needs the permission {permission}")
    payload = _clean_payload(kind, payload)
    if idempotency_key:
        existing = ApprovalRequest.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.kind != kind or existing.payload != payload or existing.maker_id != maker.pk:
                raise IdempotencyConflict(
                    "this Idempotency-Key was already used for a different request", field="idempotency_key"
                )
            return existing
    approval = ApprovalRequest.objects.create(kind=kind, payload=payload, maker=maker, idempotency_key=idempotency_key)
    _audit(approval, action="approval.requested", before_status=None, actor=maker.get_username(), user_id=maker.pk)
    logger.info("approval requested %s %s by %s", approval.public_id, kind, maker.get_username())
    return approval


def _lock(public_id: str) -> ApprovalRequest:
    approval = ApprovalRequest.objects.select_for_update(no_key=True).filter(public_id=public_id).first()
    if approval is None:
        raise ApprovalNotFound(f"no approval request {public_id}", field="approval")
    return approval


def can_decide(*, approval: ApprovalRequest, user: AbstractBaseUser) -> bool:
    """True when ``user`` holds the permission to decide this kind of request (ignores the maker rule)."""
    if not (user.is_active and user.is_staff):
        return False
    if user.has_perm("approvals.approve_request"):
        return True
    return approval.kind in COMPLIANCE_KINDS and user.has_perm("approvals.approve_compliance_request")


def _check_checker(approval: ApprovalRequest, checker: AbstractBaseUser) -> None:
    if checker.pk == approval.maker_id:
        raise SelfApprovalRefused("four-eyes: the maker of a request cannot decide it", field="approval")
    if not can_decide(approval=approval, user=checker):
        raise ApprovalPermissionDenied(f"you may not decide {approval.kind} requests", field="approval")
    if approval.status != ApprovalStatus.PENDING:
        raise ApprovalNotPending(f"approval request {approval.public_id} is {approval.status}", field="approval")


def _check_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"reason must be at most {MAX_REASON} characters", field="reason")
    if required and not reason:
        raise ReasonRequired("a rejection needs a reason", field="reason")
    return reason


def approval_approve(*, public_id: str, checker: AbstractBaseUser, reason: str = "") -> ApprovalRequest:
    """Approve a pending request (never one's own) and execute it; return it EXECUTED or FAILED."""
    reason = _check_reason(reason, required=False)
    with transaction.atomic(durable=True):
        approval = _lock(public_id)
        _check_checker(approval, checker)
        approval.status = ApprovalStatus.APPROVED
        approval.checker = checker
        approval.reason = reason
        approval.decided_at = timezone.now()
        approval.save(update_fields=["status", "checker", "reason", "decided_at"])
        _audit(
            approval,
            action="approval.approved",
            before_status=ApprovalStatus.PENDING,
            actor=checker.get_username(),
            user_id=checker.pk,
        )
    logger.info("approval approved %s by %s", public_id, checker.get_username())
    return approval_execute(public_id=public_id)


@transaction.atomic
def approval_reject(*, public_id: str, checker: AbstractBaseUser, reason: str) -> ApprovalRequest:
    """Reject a pending request (never one's own) with a reason. Nothing is executed."""
    reason = _check_reason(reason, required=True)
    approval = _lock(public_id)
    _check_checker(approval, checker)
    approval.status = ApprovalStatus.REJECTED
    approval.checker = checker
    approval.reason = reason
    approval.decided_at = timezone.now()
    approval.save(update_fields=["status", "checker", "reason", "decided_at"])
    _audit(
        approval,
        action="approval.rejected",
        before_status=ApprovalStatus.PENDING,
        actor=checker.get_username(),
        user_id=checker.pk,
    )
    logger.info("approval rejected %s by %s", public_id, checker.get_username())
    return approval


def _actor(approval: ApprovalRequest) -> str:
    return f"{approval.maker.get_username()} approved-by {approval.checker.get_username()}"[:150]


def _run(approval: ApprovalRequest) -> str:
    """Execute the approved operation through its service; return the public id of what it produced."""
    p, key, actor = approval.payload, approval.execution_key, _actor(approval)
    if approval.kind == ApprovalKind.POSTING:
        result = ledger_services.post_by_type(
            entry_type=p["type"],
            from_account=p.get("from_account"),
            to_account=p.get("to_account"),
            amount=p["amount"],
            currency=p["currency"],
            description=p.get("description", ""),
            metadata={**(p.get("metadata") or {}), "approval": approval.public_id},
            idempotency_key=key,
            actor=actor,
        )
        return result.entry.public_id
    if approval.kind == ApprovalKind.MANUAL_ADJUSTMENT:
        # An adjustment moves money between the customer account and the bank's SUSPENSE account.
        suspense = account_services.internal_account_get_or_create(
            account_type=AccountType.SUSPENSE, currency=p["currency"]
        ).public_id
        source, target = (suspense, p["account"]) if p["direction"] == "CREDIT" else (p["account"], suspense)
        result = ledger_services.post_transfer(
            from_account=source,
            to_account=target,
            amount=p["amount"],
            currency=p["currency"],
            description=p["description"],
            metadata={"adjustment": p["direction"], "approval": approval.public_id},
            idempotency_key=key,
            actor=actor,
        )
        return result.entry.public_id
    if approval.kind == ApprovalKind.ACCOUNT_UNFREEZE:
        return account_services.account_change_status(
            public_id=p["account"], status=AccountStatus.ACTIVE, actor=actor
        ).public_id
    if approval.kind == ApprovalKind.OVERDRAFT_LIMIT:
        return account_services.account_set_overdraft_limit(
            public_id=p["account"], limit=p["overdraft_limit"], actor=actor
        ).public_id
    raise InvalidInput(f"unknown approval kind {approval.kind!r}", field="kind")  # pragma: no cover


def approval_execute(*, public_id: str) -> ApprovalRequest:
    """Run an APPROVED request's operation and record EXECUTED (with the result) or FAILED (with the code).

    Safe to call again for a request left APPROVED by a crash: the idempotency key makes the posting
    service answer with the entry it already wrote.
    """
    # Durable: the operation's services lock accounts, which must never happen in a transaction that already
    # wrote an audit record (a caller's), so running inside a caller's transaction is refused up front.
    with transaction.atomic(durable=True):
        approval = ApprovalRequest.objects.select_related("maker", "checker").filter(public_id=public_id).first()
    if approval is None:
        raise ApprovalNotFound(f"no approval request {public_id}", field="approval")
    if approval.status != ApprovalStatus.APPROVED:
        raise ApprovalNotPending(f"approval request {public_id} is {approval.status}", field="approval")
    try:
        result_ref, error = _run(approval), None
    except DomainError as exc:
        result_ref, error = "", exc
    with transaction.atomic():
        approval = _lock(public_id)
        if approval.status != ApprovalStatus.APPROVED:
            return approval  # a concurrent execution recorded the outcome first
        approval.executed_at = timezone.now()
        if error is None:
            approval.status, approval.result_ref = ApprovalStatus.EXECUTED, result_ref
        else:
            approval.status, approval.error_code = ApprovalStatus.FAILED, error.code
            approval.error_message = error.message[:500]
        approval.save(update_fields=["status", "result_ref", "error_code", "error_message", "executed_at"])
        _audit(
            approval,
            action="approval.executed" if error is None else "approval.failed",
            before_status=ApprovalStatus.APPROVED,
            actor=_actor(approval),
            user_id=approval.checker_id,
        )
    logger.info("approval %s %s %s", public_id, approval.status, result_ref or approval.error_code)
    return approval
