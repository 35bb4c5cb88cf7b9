"""Receive a network message: credit our customers, pull ACH debits, park what we cannot apply, record returns.

``message_receive`` reads the message (``apps.inbound.messages``) and handles each item on its own:

- a credit: find the beneficiary (IBAN, account number + routing number, BIC + account, a QENEX id), run the
  ``inbound_payment`` checks (before any transaction opens), then in one transaction record the inbound payment
  and post it: NOSTRO -> the customer's account; or NOSTRO -> SUSPENSE with an exception item when the beneficiary
  is unknown, not active, in another currency, named too differently, or a check holds it; a check's reject sends
  it back to the sender at once (nothing posted: the return takes the money back out of the nostro).
- an ACH debit (PPD/CCD/WEB/TEL): the customer's account -> NOSTRO against available funds; refused -> an ACH
  return entry with the R code (R01 insufficient funds, R02 closed, R03 no account, R16 frozen or a check, R20
  another currency).
- a return or change notice of one of our payments: ``apps.payments.services`` reverses or corrects it.

Duplicates: the row is unique per (rail, network id) and each posting carries the idempotency key
``inbound:<id>:<step>``; a second copy of a message (same UETR / :20:+UETR / IMAD / trace) answers "duplicate" and
posts nothing, even when both copies race. Lock order: the ledger's accounts, then the audit chain head.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import AccountStatus, AccountType
from apps.accounts.services import internal_account_get_or_create
from apps.audit.services import audit_record
from apps.core import checks as core_checks
from apps.core.db import retry_on_conflict
from apps.core.errors import DomainError
from apps.core.money import format_amount
from apps.ledger.services import post_transfer_in_transaction as post_transfer
from apps.payments import routing
from apps.payments import services as payment_services
from apps.payments.selectors import payment_for_return

from .. import checks, messages, returns_out
from ..errors import UnreadableInboundMessage
from ..metrics import INBOUND_ITEMS_TOTAL
from ..models import (
    Direction,
    ExceptionItem,
    ExceptionReason,
    InboundPayment,
    InboundStatus,
    NoticeKind,
    NoticeStatus,
    PaymentNotice,
    ReturnStatus,
)
from ..selectors import Resolution, inbound_by_network_id, notice_by_network_id, resolve_beneficiary

logger = logging.getLogger(__name__)
CREDITED, IN_SUSPENSE, RETURNED, DEBITED, DUPLICATE = "credited", "in_suspense", "returned", "debited", "duplicate"
SOURCES = ("network", "api", "command")


@dataclass(frozen=True)
class ItemResult:
    kind: str  # transfer, return, change
    network_id: str
    outcome: str  # credited, debited, in_suspense, returned, duplicate, applied, unmatched, refused
    inbound: InboundPayment | None = None
    notice: PaymentNotice | None = None
    detail: str = ""


@dataclass(frozen=True)
class ReceiveResult:
    message_type: str
    items: list[ItemResult] = field(default_factory=list)
    skipped: tuple[str, ...] = ()


def nostro(currency: str, rail: str) -> str:
    return internal_account_get_or_create(
        account_type=routing.SETTLEMENT_ACCOUNT_TYPE[rail], currency=currency
    ).public_id


def suspense(currency: str) -> str:
    return internal_account_get_or_create(account_type=AccountType.SUSPENSE, currency=currency).public_id


def move(*, source: str, target: str, inbound: InboundPayment, step: str, actor: str, description: str) -> str:
    """Post ``inbound``'s amount from ``source`` to ``target`` in the caller's transaction; return the entry id."""
    result = post_transfer(
        from_account=source,
        to_account=target,
        amount=format_amount(inbound.amount_minor, inbound.currency),
        currency=inbound.currency,
        description=description[:140],
        metadata={"inbound": inbound.public_id, "rail": inbound.rail},
        idempotency_key=f"inbound:{inbound.public_id}:{step}",
        actor=actor,
    )
    return result.entry.public_id


def message_receive(
    *, raw: bytes, rail: str | None = None, source: str = "api", actor: str = "system"
) -> ReceiveResult:
    """Read ``raw`` and handle every item in it (see the module docstring); an unreadable message is 400."""
    try:
        read = messages.read_message(raw, rail=rail)
    except messages.UnreadableMessage as exc:
        raise UnreadableInboundMessage(str(exc)[:500], field="message") from None
    body = raw.decode("utf-8", "replace")
    results: list[ItemResult] = []
    for item in read.items:
        try:
            results.append(_item_receive(item, body, source, actor))
        except DomainError as exc:
            # One item the ledger refuses (an unknown currency, say) must not lose the others of the message:
            # nothing of it was written; it is reported, logged and counted.
            logger.warning("inbound: %s %s refused: %s", item.message_type, item.network_id, exc)
            results.append(ItemResult("transfer", item.network_id, "failed", detail=f"{exc.code}: {exc}"))
    for item, result in zip(read.items, results, strict=True):
        INBOUND_ITEMS_TOTAL.labels(item.rail, result.kind, result.outcome).inc()  # each item's own commit is done
    return ReceiveResult(read.message_type, results, read.skipped)


def _item_receive(item: messages.Item, body: str, source: str, actor: str) -> ItemResult:
    if isinstance(item, messages.Transfer):
        return transfer_receive(item=item, body=body, source=source, actor=actor)
    if isinstance(item, messages.Recall):
        from .recalls import recall_receive  # recalls build on the exception services, which import this module

        return recall_receive(item=item, body=body, source=source, actor=actor)
    return notice_receive(item=item, body=body, source=source, actor=actor)


# ---------------------------------------------------------------- credits and debits


def _subject(item: messages.Transfer, resolution: Resolution, now: datetime) -> checks.InboundSubject:
    return checks.InboundSubject(
        rail=item.rail,
        amount_minor=item.amount_minor,
        currency=item.currency,
        debtor_name=item.debtor_name,
        debtor_country=item.debtor_country,
        debtor_account=item.debtor_account,
        creditor_name=item.creditor_name,
        creditor_country=item.creditor_country,
        credit_account=resolution.account.public_id if resolution.account and not resolution.problem else None,
        message_id=item.network_id,
        at=now,
        direction=item.direction,
    )


def _new_inbound(item: messages.Transfer, body: str, source: str, actor: str, now: datetime) -> InboundPayment:
    return InboundPayment(
        rail=item.rail,
        message_type=item.message_type[:40],
        direction=item.direction,
        network_id=item.network_id[:120],
        source=source,
        amount_minor=item.amount_minor,
        currency=item.currency,
        value_date=item.value_date,
        uetr=item.uetr[:36],
        end_to_end_id=item.end_to_end_id[:35],
        message_id=item.message_id[:64],
        sec_code=item.sec_code,
        debtor_name=item.debtor_name,
        debtor_account=item.debtor_account,
        debtor_agent=item.debtor_agent[:11],
        debtor_country=item.debtor_country[:2],
        creditor_name=item.creditor_name,
        creditor_account=item.creditor_account,
        creditor_agent=item.creditor_agent[:11],
        remittance_info=item.remittance_info,
        original=item.original,
        body=body,
        created_by=actor,
        received_at=now,
    )


def _duplicate(item: messages.Transfer | messages.Returned | messages.Changed, existing) -> ItemResult:
    kind = "transfer" if isinstance(item, messages.Transfer) else "notice"
    if isinstance(existing, InboundPayment):
        return ItemResult(kind, item.network_id, DUPLICATE, inbound=existing, detail=f"already {existing.status}")
    return ItemResult(kind, item.network_id, DUPLICATE, notice=existing, detail=f"already {existing.status}")


def transfer_receive(*, item: messages.Transfer, body: str, source: str, actor: str) -> ItemResult:
    """Handle one credit or ACH debit (see the module docstring)."""
    existing = inbound_by_network_id(rail=item.rail, network_id=item.network_id)
    if existing is not None:
        return _duplicate(item, existing)
    resolution = resolve_beneficiary(
        identifier=item.creditor_account,
        agent=item.creditor_agent,
        name=item.creditor_name,
        currency=item.currency,
        check_name=item.direction == Direction.CREDIT,
    )
    now = timezone.now()
    outcome = checks.run(_subject(item, resolution, now))  # before the transaction: a check holds no row lock
    try:
        return _record_transfer(item, body, source, actor, now, resolution, outcome)
    except IntegrityError:
        existing = inbound_by_network_id(rail=item.rail, network_id=item.network_id)
        if existing is None:
            raise
        return _duplicate(item, existing)  # the same message, received concurrently: the other copy won


@retry_on_conflict()
def _record_transfer(item, body, source, actor, now, resolution: Resolution, outcome) -> ItemResult:
    with transaction.atomic(durable=True):
        inbound = _new_inbound(item, body, source, actor, now)
        inbound.account = resolution.account
        inbound.resolved_by = resolution.resolved_by
        deciding = outcome.deciding
        if deciding is not None:
            name, result = deciding
            inbound.check_outcome = {"check": name, "verdict": outcome.verdict.name, "code": result.code}
        if item.direction == Direction.DEBIT:
            result = _debit(inbound, resolution, outcome, actor)
        else:
            result = _credit(inbound, resolution, outcome, actor)
        audit_record(
            action=f"inbound.{result.outcome}",
            object_type="inbound_payment",
            object_id=inbound.public_id,
            after={
                "status": inbound.status,
                "rail": inbound.rail,
                "direction": inbound.direction,
                "amount_minor": inbound.amount_minor,
                "currency": inbound.currency,
                "account": inbound.account.public_id if inbound.account else None,
                "transaction": inbound.transaction_id,
                "return_reason": inbound.return_reason_code,
                "detail": result.detail,
            },
            actor=actor,
        )
    return result


def _credit(inbound: InboundPayment, resolution: Resolution, outcome, actor: str) -> ItemResult:
    verdict, deciding = outcome.verdict, outcome.deciding
    if verdict == core_checks.Verdict.REJECT:
        name, check = deciding
        inbound.status = InboundStatus.RETURNED
        inbound.save()
        schedule_return(inbound, returns_out.reason_code_for(inbound.rail, ExceptionReason.HELD_BY_CHECK))
        return ItemResult("transfer", inbound.network_id, RETURNED, inbound, detail=f"{name}: {check.reason}")
    problem, detail = resolution.problem, resolution.detail
    if verdict == core_checks.Verdict.HOLD:
        name, check = deciding
        problem, detail = ExceptionReason.HELD_BY_CHECK, f"{name}: {check.reason}"
    if problem:
        inbound.status = InboundStatus.IN_SUSPENSE
        inbound.save()
        inbound.transaction_id = move(
            source=nostro(inbound.currency, inbound.rail),
            target=suspense(inbound.currency),
            inbound=inbound,
            step="suspense",
            actor=actor,
            description=f"inbound {inbound.public_id} to suspense: {problem}",
        )
        inbound.save(update_fields=["transaction_id"])
        ExceptionItem.objects.create(
            inbound=inbound,
            reason_code=problem,
            reason=detail,
            suggested_account=resolution.account,
            return_by=returns_out.return_by(rail=inbound.rail, currency=inbound.currency, received=inbound.received_at),
        )
        return ItemResult("transfer", inbound.network_id, IN_SUSPENSE, inbound, detail=f"{problem}: {detail}")
    inbound.status = InboundStatus.CREDITED
    inbound.save()
    try:
        with transaction.atomic():  # a savepoint: the account may have been frozen since we looked it up
            inbound.transaction_id = move(
                source=nostro(inbound.currency, inbound.rail),
                target=resolution.account.public_id,
                inbound=inbound,
                step="credit",
                actor=actor,
                # Never the sender's name: the ledger and the audit chain are append-only, so a name written
                # there could not be erased (GDPR art. 17); the inbound id leads to the (erasable) parties.
                description=f"{inbound.rail} credit {inbound.public_id}",
            )
    except DomainError as exc:
        if exc.code not in ("account_not_active", "currency_mismatch"):
            raise
        problem = ExceptionReason.ACCOUNT_NOT_ACTIVE if exc.code == "account_not_active" else exc.code
        late = Resolution(resolution.account, resolution.resolved_by, problem, str(exc))
        return _credit(inbound, late, outcome, actor)
    inbound.save(update_fields=["transaction_id"])
    return ItemResult("transfer", inbound.network_id, CREDITED, inbound, detail=f"by {resolution.resolved_by}")


def _debit_refusal(resolution: Resolution, outcome) -> str | None:
    """The R code an inbound debit is returned with before any posting, or None to try the posting."""
    if outcome.verdict >= core_checks.Verdict.HOLD:
        return "R16"  # a check (sanctions, fraud) stops it: returned as frozen per OFAC instruction
    if resolution.account is None:
        return "R03" if resolution.resolved_by else "R04"
    if resolution.problem == ExceptionReason.ACCOUNT_NOT_ACTIVE:
        return "R16" if resolution.account.status == AccountStatus.FROZEN else "R02"
    if resolution.problem == ExceptionReason.CURRENCY_MISMATCH:
        return "R20"
    return None


def _debit(inbound: InboundPayment, resolution: Resolution, outcome, actor: str) -> ItemResult:
    code = _debit_refusal(resolution, outcome)
    if code is None:
        inbound.status = InboundStatus.DEBITED
        inbound.save()
        try:
            with transaction.atomic():  # a savepoint: a refused posting leaves the inbound row to record the return
                inbound.transaction_id = move(
                    source=resolution.account.public_id,
                    target=nostro(inbound.currency, inbound.rail),
                    inbound=inbound,
                    step="debit",
                    actor=actor,
                    description=f"ACH {inbound.sec_code} debit {inbound.public_id}",  # no name: as the credit
                )
        except DomainError as exc:
            code = "R01" if exc.code == "insufficient_funds" else "R16" if exc.code == "account_not_active" else "R17"
        else:
            inbound.save(update_fields=["transaction_id"])
            return ItemResult("transfer", inbound.network_id, DEBITED, inbound, detail=f"by {resolution.resolved_by}")
    inbound.status = InboundStatus.RETURNED
    inbound.save()
    schedule_return(inbound, code)
    return ItemResult("transfer", inbound.network_id, RETURNED, inbound, detail=code)


def schedule_return(inbound: InboundPayment, reason_code: str) -> None:
    """Build the return message now (its ids fixed), mark it PENDING and send it after commit."""
    message = returns_out.build_return(inbound, reason_code, now=timezone.now())
    inbound.return_reason_code = reason_code
    inbound.return_message_type = message.message_type
    inbound.return_body = message.body.decode("latin-1")
    inbound.return_status = ReturnStatus.PENDING
    inbound.save()
    if settings.QENEX_PAYMENTS_NETWORK_URLS:
        from ..tasks import send_inbound_return

        public_id = inbound.public_id
        transaction.on_commit(lambda: send_inbound_return.delay(inbound_id=public_id))


# ---------------------------------------------------------------- returns and change notices of our payments


def notice_receive(*, item: messages.Returned | messages.Changed, body: str, source: str, actor: str) -> ItemResult:
    """Match a return or change notice to our payment and hand it to the payments app; record it once."""
    existing = notice_by_network_id(rail=item.rail, network_id=item.network_id)
    if existing is not None:
        return _duplicate(item, existing)
    is_return = isinstance(item, messages.Returned)
    payment = payment_for_return(
        rail=item.rail,
        ids=item.original_ids,
        swift_reference=getattr(item, "swift_reference", ""),
        reference=item.reference,
        amount_minor=getattr(item, "amount_minor", None),
    )
    code = item.reason_code if is_return else item.change_code
    status, reason = NoticeStatus.UNMATCHED, "no payment of ours matches what it quotes"
    if payment is not None:
        notice = payment_services.NetworkNotice(
            rail=item.rail, message_type=item.message_type, reply_id=f"inbound:{item.network_id}"[:80], body=body
        )
        try:
            if is_return:
                payment_services.payment_return(
                    payment_id=payment.public_id,
                    reason_code=code,
                    reason=_return_reason(item),
                    notice=notice,
                    actor=actor,
                    **_returned_amount(item),
                )
            else:
                payment_services.payment_apply_change_notice(
                    payment_id=payment.public_id,
                    change_code=code,
                    corrected_data=item.corrected_data,
                    notice=notice,
                    actor=actor,
                )
            status, reason = NoticeStatus.APPLIED, ""
        except DomainError as exc:
            status, reason = NoticeStatus.REFUSED, f"{exc.code}: {exc}"
    try:
        with transaction.atomic(durable=True):
            record = PaymentNotice.objects.create(
                rail=item.rail,
                kind=NoticeKind.RETURN if is_return else NoticeKind.CHANGE,
                network_id=item.network_id[:120],
                message_type=item.message_type[:40],
                reason_code=code[:8],
                reason=reason,
                payment_id=payment.public_id if payment else "",
                status=status,
                body=body,
                source=source,
            )
            audit_record(
                action="inbound.notice_recorded",
                object_type="payment_notice",
                object_id=record.public_id,
                after={"kind": record.kind, "code": code, "payment": record.payment_id, "status": status},
                actor=actor,
            )
    except IntegrityError:
        existing = notice_by_network_id(rail=item.rail, network_id=item.network_id)
        if existing is None:
            raise
        return _duplicate(item, existing)
    if status == NoticeStatus.UNMATCHED:
        logger.warning("inbound: %s %s matches no payment", item.message_type, item.network_id)
    return ItemResult(
        "return" if is_return else "change", item.network_id, status.lower(), notice=record, detail=reason
    )


def _returned_amount(item: messages.Returned) -> dict:
    """What a pacs.004 returned (``RtrdIntrBkSttlmAmt``): less than the payment is a partial return of that much.

    The other rails' returns name the whole entry (an ACH return, a Fedwire reversal, an MT103 ``/RETN/``): they
    return the payment in full, as before.
    """
    if item.message_type.startswith("pacs.004") and item.amount_minor:
        return {"amount_minor": item.amount_minor, "currency": item.currency or ""}
    return {}


def _return_reason(item: messages.Returned) -> str:
    from apps.payments.formats.nacha.codes import RETURN_REASON_CODES

    return RETURN_REASON_CODES.get(item.reason_code, "") if item.rail == "ach" else ""
