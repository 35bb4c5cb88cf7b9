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
from django.utils.dateparse import parse_datetime

from apps.accounts import services as account_services
from apps.accounts.models import AccountStatus, AccountType
from apps.accounts.selectors import account_get, overdraft_limit_check
from apps.audit.services import audit_record
from apps.core.errors import DomainError, IdempotencyConflict, InvalidInput
from apps.core.idempotency import check_key
from apps.iam.models import ApiClient
from apps.ledger import selectors as ledger_selectors
from apps.ledger import services as ledger_services
from apps.ledger.metrics import posting_observed
from apps.ledger.rules import POSTING_ACCOUNT_FIELDS
from apps.payments import selectors as payment_selectors
from apps.payments import services as payment_services
from apps.payments.states import PaymentStatus

from .errors import ApprovalNotFound, ApprovalNotPending, ApprovalPermissionDenied, ReasonRequired, SelfApprovalRefused
from .models import COMPLIANCE_KINDS, ApprovalKind, ApprovalRequest, ApprovalStatus

logger = logging.getLogger("qenex.approvals")

# What the maker must hold to propose each kind of operation.
# An API client (a machine maker) is governed by its key's scopes instead, which the API checked already.
MAKER_PERMISSIONS = {
    ApprovalKind.POSTING: "ledger.post_transaction",
    ApprovalKind.ACCOUNT_OPEN: "accounts.add_account",
    ApprovalKind.HOLD: "ledger.add_hold",
    ApprovalKind.HOLD_CAPTURE: "ledger.change_hold",
    ApprovalKind.MANUAL_ADJUSTMENT: "ledger.post_adjustment",
    ApprovalKind.ACCOUNT_UNFREEZE: "accounts.unfreeze_account",
    ApprovalKind.OVERDRAFT_LIMIT: "accounts.change_overdraft_limit",
    ApprovalKind.PAYMENT_RELEASE: "payments.change_paymentorder",
}
POSTING_TYPES = {*POSTING_ACCOUNT_FIELDS, "REVERSAL"}
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
    "original_transaction",
    "owner_id",
    "account_type",
    "initial_balance",
    "hold",
    "case",
    "break",
)


def _payload_summary(payload: dict[str, Any]) -> dict[str, Any]:
    return {name: payload[name] for name in AUDIT_PAYLOAD_FIELDS if name in payload}


def _audit(
    approval: ApprovalRequest,
    *,
    action: str,
    before_status: str | None,
    actor: str,
    user_id: int | None,
    api_client_id: int | None = None,
) -> None:
    """Write the request's audit record: the last write of the transaction that changed its row."""
    after: dict[str, Any] = {
        "status": approval.status,
        "kind": approval.kind,
        "maker": approval.maker_name,
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
        api_client_id=api_client_id,
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
    if kind == ApprovalKind.POSTING and payload.get("type") == "REVERSAL":
        _require(payload, "original_transaction")
        ledger_selectors.transaction_get(public_id=payload["original_transaction"])
    elif kind == ApprovalKind.POSTING:
        if payload.get("type") not in POSTING_TYPES:
            raise InvalidInput(f"type must be one of {sorted(POSTING_TYPES)}", field="type", code="invalid_choice")
        _require(payload, "amount", "currency")
        _check_amount(payload["amount"])
        needs = POSTING_ACCOUNT_FIELDS[payload["type"]]
        _require(payload, *needs)
        for field in needs:
            account_get(public_id=payload[field], field=field)
    elif kind == ApprovalKind.MANUAL_ADJUSTMENT:
        _require(payload, "account", "amount", "currency", "description")
        _check_amount(payload["amount"])
        if payload.get("direction") not in {"CREDIT", "DEBIT"}:
            raise InvalidInput("direction must be CREDIT or DEBIT", field="direction", code="invalid_choice")
        if account_get(public_id=payload["account"]).is_internal:
            raise InvalidInput("an adjustment is made on a customer account", field="account")
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
    elif kind == ApprovalKind.ACCOUNT_OPEN:
        _require(payload, "owner_id", "account_type", "currency")
        if payload["account_type"] not in account_services.customer_types():
            raise InvalidInput(
                "account_type must be a customer account type", field="account_type", code="invalid_choice"
            )
        for field in ("initial_balance", "overdraft_limit"):
            if field in payload:
                _check_amount(payload[field], field)
    elif kind == ApprovalKind.HOLD:
        _require(payload, "account", "amount", "currency")
        _check_amount(payload["amount"])
        account_get(public_id=payload["account"])
    elif kind == ApprovalKind.HOLD_CAPTURE:
        _require(payload, "hold", "to_account")
        if "amount" in payload:
            _check_amount(payload["amount"])
        ledger_selectors.hold_get(public_id=payload["hold"])
        account_get(public_id=payload["to_account"], field="to_account")
    elif kind == ApprovalKind.PAYMENT_RELEASE:
        _require(payload, "payment")
        payment = payment_selectors.payment_get(public_id=payload["payment"])
        if payment.status != PaymentStatus.HELD:
            raise InvalidInput(f"payment {payment.public_id} is {payment.status}, not HELD", field="payment")
    elif kind in CLEANERS:
        payload = CLEANERS[kind](payload)
    else:
        raise InvalidInput(f"unknown approval kind {kind!r}", field="kind", code="invalid_choice")
    return payload


def _maker_fields(maker: AbstractBaseUser | ApiClient) -> dict[str, Any]:
    return {"maker_client": maker} if isinstance(maker, ApiClient) else {"maker": maker}


@transaction.atomic
def approval_request(
    *,
    kind: str,
    payload: dict[str, Any],
    maker: AbstractBaseUser | ApiClient,
    idempotency_key: str | None = None,
) -> ApprovalRequest:
    """Record a proposed operation for a second person (a staff checker) to approve. Nothing is executed yet.

    The maker is a staff user (who needs the kind's maker permission) or an API client (whose key's scopes the
    API checked). A retry with the same ``idempotency_key`` returns the request created first (409 if it differs).
    """
    idempotency_key = check_key(idempotency_key)
    permission = MAKER_PERMISSIONS.get(kind)
    if permission is None:
        raise InvalidInput(f"unknown approval kind {kind!r}", field="kind", code="invalid_choice")
    if isinstance(maker, ApiClient):
        if not maker.is_active:
            raise ApprovalPermissionDenied("this API client is disabled")
    elif not (maker.is_active and maker.is_staff and maker.has_perm(permission)):
        raise ApprovalPermissionDenied(f"proposing {kind} needs the permission {permission}")
    payload = _clean_payload(kind, payload)
    maker_fields = _maker_fields(maker)
    if idempotency_key:
        existing = ApprovalRequest.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            same_maker = (existing.maker_id, existing.maker_client_id) == (
                getattr(maker_fields.get("maker"), "pk", None),
                getattr(maker_fields.get("maker_client"), "pk", None),
            )
            if existing.kind != kind or existing.payload != payload or not same_maker:
                raise IdempotencyConflict(
                    "this Idempotency-Key was already used for a different request", field="idempotency_key"
                )
            return existing
    approval = ApprovalRequest.objects.create(
        kind=kind, payload=payload, idempotency_key=idempotency_key, **maker_fields
    )
    _audit(
        approval,
        action="approval.requested",
        before_status=None,
        actor=approval.maker_name,
        user_id=approval.maker_id,
        api_client_id=approval.maker_client_id,
    )
    logger.info("approval requested %s %s by %s", approval.public_id, kind, approval.maker_name)
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
    # Never the maker's own name: the velocity rule counts only what a maker did without approval.
    return f"{approval.maker_name} approved-by {approval.checker.get_username()}"[:150]


def _run_posting(approval: ApprovalRequest, p: dict[str, Any], key: str, actor: str) -> str:
    if p["type"] == "REVERSAL":
        return posting_observed(
            "REVERSAL",
            lambda: ledger_services.post_reversal(
                transaction_id=p["original_transaction"],
                description=p.get("description", ""),
                idempotency_key=key,
                actor=actor,
            ),
        ).entry.public_id
    result = posting_observed(
        p["type"],
        lambda: ledger_services.post_by_type(
            entry_type=p["type"],
            from_account=p.get("from_account"),
            to_account=p.get("to_account"),
            amount=p["amount"],
            currency=p["currency"],
            description=p.get("description", ""),
            metadata={**(p.get("metadata") or {}), "approval": approval.public_id},
            idempotency_key=key,
            actor=actor,
        ),
    )
    return result.entry.public_id


def _run_adjustment(approval: ApprovalRequest, p: dict[str, Any], key: str, actor: str) -> str:
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


def _run_unfreeze(approval: ApprovalRequest, p: dict[str, Any], key: str, actor: str) -> str:
    return ledger_services.account_change_status(
        public_id=p["account"], status=AccountStatus.ACTIVE, actor=actor
    ).public_id


def _run_overdraft(approval: ApprovalRequest, p: dict[str, Any], key: str, actor: str) -> str:
    return account_services.account_set_overdraft_limit(
        public_id=p["account"], limit=p["overdraft_limit"], actor=actor
    ).public_id


def _run_account_open(approval: ApprovalRequest, p: dict[str, Any], key: str, actor: str) -> str:
    return ledger_services.account_open(
        owner_id=p["owner_id"],
        account_type=p["account_type"],
        currency=p["currency"],
        name=p.get("name", ""),
        overdraft_limit=p.get("overdraft_limit", "0"),
        initial_balance=p.get("initial_balance"),
        activate=p.get("activate", True),
        idempotency_key=key,
        actor=actor,
    ).public_id


def _run_hold(approval: ApprovalRequest, p: dict[str, Any], key: str, actor: str) -> str:
    expires_at = parse_datetime(p["expires_at"]) if p.get("expires_at") else None
    return ledger_services.hold_place(
        account=p["account"],
        amount=p["amount"],
        currency=p["currency"],
        expires_at=expires_at,
        description=p.get("description", ""),
        idempotency_key=key,
        actor=actor,
    ).hold.public_id


def _run_capture(approval: ApprovalRequest, p: dict[str, Any], key: str, actor: str) -> str:
    return ledger_services.hold_capture(
        hold_id=p["hold"],
        to_account=p["to_account"],
        amount=p.get("amount"),
        description=p.get("description", ""),
        idempotency_key=key,
        actor=actor,
    ).entry.public_id


def _run_payment_release(approval: ApprovalRequest, p: dict[str, Any], key: str, actor: str) -> str:
    return payment_services.payment_release(
        payment_id=p["payment"], actor=actor, approval_id=approval.public_id
    ).public_id


# How each kind of approved request runs: through the owning app's service, returning what it produced.
RUNNERS = {
    ApprovalKind.POSTING: _run_posting,
    ApprovalKind.MANUAL_ADJUSTMENT: _run_adjustment,
    ApprovalKind.ACCOUNT_UNFREEZE: _run_unfreeze,
    ApprovalKind.OVERDRAFT_LIMIT: _run_overdraft,
    ApprovalKind.ACCOUNT_OPEN: _run_account_open,
    ApprovalKind.HOLD: _run_hold,
    ApprovalKind.HOLD_CAPTURE: _run_capture,
    ApprovalKind.PAYMENT_RELEASE: _run_payment_release,
}


# Kinds other apps offer (``register_kind`` in their AppConfig.ready()): how to check the payload when requested.
CLEANERS: dict[str, Any] = {}


def register_kind(*, kind: str, maker_permission: str, clean, run) -> None:
    """Let an app offer a four-eyes operation of ``kind`` (an ``ApprovalKind``): ``clean(payload) -> payload`` checks
    the request, ``run(approval, payload, key, actor) -> public id`` executes it once approved."""
    MAKER_PERMISSIONS[kind] = maker_permission
    CLEANERS[kind] = clean
    RUNNERS[kind] = run


def _run(approval: ApprovalRequest) -> str:
    """Execute the approved operation through its service; return the public id of what it produced."""
    runner = RUNNERS.get(approval.kind)
    if runner is None:  # pragma: no cover - the kind is checked on request and by a constraint
        raise InvalidInput(f"unknown approval kind {approval.kind!r}", field="kind")
    return runner(approval, approval.payload, approval.execution_key, _actor(approval))


def approval_execute(*, public_id: str) -> ApprovalRequest:
    """Run an APPROVED request's operation and record EXECUTED (with the result) or FAILED (with the code).

    Safe to call again for a request left APPROVED by a crash: the idempotency key makes the posting
    service answer with the entry it already wrote.
    """
    # Durable: the operation's services lock accounts, which must never happen in a transaction that already
    # wrote an audit record (a caller's), so running inside a caller's transaction is refused up front.
    with transaction.atomic(durable=True):
        approval = (
            ApprovalRequest.objects.select_related("maker", "maker_client", "checker")
            .filter(public_id=public_id)
            .first()
        )
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
