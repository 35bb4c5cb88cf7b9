"""An operator resolves an exception item: apply the money in SUSPENSE to an account, or return it to the sender.

Releasing a payment a check held is applying it (to the account its identifiers named, by default). Beat returns
what nobody resolved by the rail's deadline (``exceptions_return_due``). Lock order: the exception item, then
the ledger's accounts, then the audit chain head.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import AccountStatus
from apps.accounts.selectors import account_get
from apps.audit.services import audit_record
from apps.core.db import retry_on_conflict
from apps.core.errors import InvalidInput

from .. import returns_out
from ..errors import AccountCannotTakePayment, ExceptionItemNotFound, ExceptionItemResolved
from ..metrics import INBOUND_EXCEPTIONS_OPEN, INBOUND_EXCEPTIONS_RESOLVED_TOTAL
from ..models import ExceptionItem, ExceptionStatus, InboundStatus
from ..selectors import exceptions_due
from .receive import move, nostro, schedule_return, suspense

DEADLINE_ACTOR = "system:inbound-deadline"


def _lock(public_id: str) -> ExceptionItem:
    try:
        item = (
            ExceptionItem.objects.select_for_update(no_key=True, of=("self",))
            .select_related("inbound", "suggested_account")
            .get(public_id=public_id)
        )
    except ExceptionItem.DoesNotExist:
        raise ExceptionItemNotFound(f"no exception item {public_id}", field="exception") from None
    if item.status != ExceptionStatus.OPEN:
        raise ExceptionItemResolved(f"exception item {public_id} is {item.status}", field="exception")
    return item


def _audit(item: ExceptionItem, action: str, actor: str, **after) -> None:
    audit_record(
        action=action,
        object_type="exception_item",
        object_id=item.public_id,
        before={"status": ExceptionStatus.OPEN},
        after={"status": item.status, "inbound": item.inbound.public_id, "reason_code": item.reason_code, **after},
        actor=actor,
    )


@retry_on_conflict()
def exception_apply(*, exception_id: str, account_id: str | None = None, actor: str, note: str = "") -> ExceptionItem:
    """Credit the suspended amount to ``account_id`` (default: the account the payment's identifiers named)."""
    with transaction.atomic(durable=True):
        item = _lock(exception_id)
        if account_id:
            account = account_get(public_id=account_id, field="account")
        elif item.suggested_account is not None:
            account = item.suggested_account
        else:
            raise InvalidInput("name the account to apply it to", field="account", code="missing_field")
        inbound = item.inbound
        if account.is_internal or account.status != AccountStatus.ACTIVE or account.currency != inbound.currency:
            raise AccountCannotTakePayment(
                f"account {account.public_id} is {account.status} in {account.currency}; "
                f"the payment is {inbound.currency} and needs an ACTIVE customer account",
                field="account",
            )
        entry = move(
            source=suspense(inbound.currency),
            target=account.public_id,
            inbound=inbound,
            step="apply",
            actor=actor,
            description=f"inbound {inbound.public_id} applied from suspense",
        )
        inbound.status, inbound.account = InboundStatus.CREDITED, account
        inbound.transaction_id = entry
        inbound.save()
        item.status, item.resolved_account = ExceptionStatus.APPLIED, account
        item.resolved_by, item.resolved_at, item.resolution_note = actor, timezone.now(), note[:1000]
        item.save()
        _audit(item, "inbound.exception_applied", actor, account=account.public_id, transaction=entry)
        transaction.on_commit(INBOUND_EXCEPTIONS_RESOLVED_TOTAL.labels("applied").inc)
    return item


@retry_on_conflict()
def exception_return(*, exception_id: str, actor: str, reason_code: str | None = None, note: str = "") -> ExceptionItem:
    """Send the suspended amount back to the sender (pacs.004, ACH return, MT103 /RETN/, Fedwire reversal)."""
    with transaction.atomic(durable=True):
        item = _lock(exception_id)
        inbound = item.inbound
        frozen = bool(item.suggested_account and item.suggested_account.status == AccountStatus.FROZEN)
        code = reason_code or returns_out.reason_code_for(inbound.rail, item.reason_code, frozen=frozen)
        if not (code.isascii() and code.isalnum() and 2 <= len(code) <= 4):
            raise InvalidInput("reason_code is 2-4 letters or digits (AC01, R03, ...)", field="reason_code")
        inbound.return_transaction_id = move(
            source=suspense(inbound.currency),
            target=nostro(inbound.currency, inbound.rail),
            inbound=inbound,
            step="return",
            actor=actor,
            description=f"inbound {inbound.public_id} returned to the sender ({code})",
        )
        inbound.status = InboundStatus.RETURNED
        schedule_return(inbound, code)
        item.status = ExceptionStatus.RETURNED
        item.resolved_by, item.resolved_at, item.resolution_note = actor, timezone.now(), note[:1000]
        item.save()
        _audit(item, "inbound.exception_returned", actor, reason_code=code, transaction=inbound.return_transaction_id)
        transaction.on_commit(INBOUND_EXCEPTIONS_RESOLVED_TOTAL.labels("returned").inc)
    return item


def exceptions_return_due(*, today=None) -> int:
    """Return every open exception item whose rail deadline has come (beat's job); return how many."""
    today = today or timezone.now().date()
    due = list(exceptions_due(today=today).values_list("public_id", flat=True)[:200])
    for public_id in due:
        try:
            exception_return(exception_id=public_id, actor=DEADLINE_ACTOR, note="return deadline reached")
        except ExceptionItemResolved:
            continue  # an operator resolved it meanwhile
    INBOUND_EXCEPTIONS_OPEN.set(ExceptionItem.objects.filter(status=ExceptionStatus.OPEN).count())
    return len(due)
