"""Payment orders: send (validate, route, check, reserve funds, queue), release or reject a held one, cancel.

A payment a check holds (HELD) has its funds reserved already: released, the hold goes on with it; rejected or
cancelled, the hold is voided.

``payment_send`` checks everything that needs no network before it writes anything, then runs in one
transaction: a refusal (bad IBAN, unknown currency, insufficient funds, ...) leaves no payment, no hold and
no audit record. Lock order: the payment row, then the ledger's account locks (inside ``hold_*``), then the
audit chain head.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.errors import AccountNotActive
from apps.accounts.models import Account, AccountStatus
from apps.accounts.selectors import account_get
from apps.approvals.errors import ApprovalRequired
from apps.approvals.policy import posting_needs_approval
from apps.core.db import retry_on_conflict
from apps.core.errors import InvalidInput
from apps.core.idempotency import check_key, ensure_same_request, fingerprint
from apps.core.limits import posting_minor
from apps.core.money import format_amount
from apps.ledger.errors import CurrencyMismatch
from apps.ledger.models import HoldStatus
from apps.ledger.selectors import hold_get
from apps.ledger.services import hold_place_in_transaction as hold_place
from apps.ledger.services import hold_void_in_transaction as hold_void

from .. import ach, business_days, checks, fees, outbound, routing, validation
from ..errors import (
    AliasTaken,
    ExecutionDateInPast,
    MissingCounterparty,
    NotABusinessDay,
    PaymentNotCancellable,
    PaymentNotHeld,
    PossibleDuplicate,
)
from ..locks import lock_payment
from ..models import AccountAlias, PaymentOrder, Rail
from ..request import Party, PaymentRequest
from ..selectors import (
    account_alias_resolve,
    counterparty_correction_find,
    payment_by_idempotency_key,
    payment_possible_duplicate,
)
from ..states import CANCELLABLE, HOLDING, PaymentStatus
from .history import Changes

S = PaymentStatus
_COUNTRY = re.compile(r"^[A-Z]{2}$")
MAX_NAME = 140
MAX_REMITTANCE = 140
MAX_DEVICE_ID = 128
ACCOUNT_ID_PREFIX = "acc_"


@dataclass(frozen=True)
class SendResult:
    payment: PaymentOrder
    replayed: bool


def _check_party(party: Party, side: str) -> Party:
    if not party.name.strip():
        raise MissingCounterparty(f"{side}.name is required", field=f"{side}.name")
    if len(party.name) > MAX_NAME:
        raise InvalidInput(f"{side}.name has at most {MAX_NAME} characters", field=f"{side}.name", code="too_long")
    if party.country and not _COUNTRY.match(party.country):
        raise InvalidInput(f"{side}.country must be an ISO 3166 alpha-2 code", field=f"{side}.country")
    if len(party.address) > 4 or any(len(line) > 70 for line in party.address):
        raise InvalidInput(f"{side}.address is at most 4 lines of 70", field=f"{side}.address")
    return replace(
        party,
        bic=validation.bic(party.bic, field=f"{side}.bic") if party.bic else "",
        iban=validation.iban(party.iban, field=f"{side}.iban").compact if party.iban else "",
        aba=validation.aba(party.aba, field=f"{side}.aba") if party.aba else "",
    )


def _debtor_identifier(sender: Party, rail: str) -> str:
    """The debtor's account as the message shows it: the IBAN, else the account number the customer gave."""
    if sender.iban:
        return sender.iban
    if rail in (Rail.SEPA, Rail.SEPA_INST):
        if sender.account and not sender.account.startswith(ACCOUNT_ID_PREFIX):
            return validation.iban(sender.account, field="sender.account").compact  # the IBAN named the account
        raise MissingCounterparty("SEPA needs the sender's IBAN (sender.iban)", field="sender.iban")
    if sender.account.startswith(ACCOUNT_ID_PREFIX):
        return sender.account.replace("_", "-")  # a QENEX id, in the SWIFT character set (no underscore)
    return validation.account_number(sender.account, field="sender.account")


def _creditor_identifier(receiver: Party, rail: str) -> str:
    if receiver.iban:
        return receiver.iban
    if not receiver.account:
        raise MissingCounterparty("receiver.iban or receiver.account is required", field="receiver.account")
    us = rail in (Rail.ACH, Rail.FEDWIRE)
    return validation.account_number(receiver.account, field="receiver.account", us=us)


def _check_debtor(account: Account, currency: str) -> None:
    if account.status != AccountStatus.ACTIVE:
        raise AccountNotActive(f"account {account.public_id} is {account.status}", field="sender.account")
    if account.currency != currency:
        raise CurrencyMismatch(
            f"account {account.public_id} is in {account.currency}, the payment in {currency}", field="currency"
        )


def _order_from(request: PaymentRequest, debtor: Account, *, actor: str) -> PaymentOrder:
    """Validate and route ``request``; return the unsaved order. Raises a DomainError before anything is written."""
    minor = posting_minor(request.amount, request.currency, field="amount")
    sender, receiver = _check_party(request.sender, "sender"), _check_party(request.receiver, "receiver")
    if len(request.reference) > 35 or not request.reference.strip():
        raise InvalidInput("reference must be 1-35 characters", field="reference")
    if len(request.device_id) > MAX_DEVICE_ID:
        raise InvalidInput(f"device_id has at most {MAX_DEVICE_ID} characters", field="device_id")
    if request.at is not None and (timezone.is_naive(request.at) or request.at > timezone.now()):
        raise InvalidInput("at must be an aware time, not in the future", field="at")
    if len(request.remittance_info) > MAX_REMITTANCE:
        raise InvalidInput(f"remittance_info has at most {MAX_REMITTANCE} characters", field="remittance_info")
    request = replace(request, sender=sender, receiver=receiver)
    route = routing.choose(request, minor)
    validation.currency_on_rail(request.currency, route.rail)
    validation.scheme_limit(minor, request.currency, route.rail)
    if route.rail == Rail.SWIFT and not receiver.bic:
        raise MissingCounterparty("SWIFT needs the receiver's bank (receiver.bic)", field="receiver.bic")
    _check_debtor(debtor, request.currency)
    value_date = _value_date(route.rail, request.currency, request.requested_execution_date)
    reasons, fee_speed = list(route.reasons), request.speed
    if route.rail == Rail.ACH:
        plan = routing.ach_schedule(minor, value_date, timezone.now())
        value_date = plan.value_date
        reasons.append(plan.reason)
        fee_speed = "same_day" if plan.same_day else request.speed
    order = PaymentOrder(
        rail=route.rail,
        message_format=route.message_format,
        correspondent_bic=route.correspondent_bic,
        cover=route.cover,
        routing_reasons=reasons,
        speed=request.speed,
        charges=request.charges,
        debtor_account=debtor,
        debtor_name=sender.name,
        debtor_identifier=_debtor_identifier(sender, route.rail),
        debtor_bic=sender.bic,
        debtor_country=sender.country,
        debtor_address="\n".join(sender.address),
        creditor_name=receiver.name,
        creditor_identifier=_creditor_identifier(receiver, route.rail),
        creditor_bic=receiver.bic,
        creditor_aba=receiver.aba,
        creditor_country=receiver.country,
        creditor_address="\n".join(receiver.address),
        amount_minor=minor,
        currency=request.currency,
        reference=request.reference,
        remittance_info=request.remittance_info,
        requested_execution_date=request.requested_execution_date,
        value_date=value_date,
        fee_minor=fees.fee_minor(rail=route.rail, speed=fee_speed, currency=request.currency),
        device_id=request.device_id,
        created_by=actor,
    )
    if request.at is not None:
        order.created_at = request.at  # the moment the channel says the customer made it (what fraud scores)
    # The rail's format checks lengths and character sets now, not at submission.
    if route.rail == Rail.ACH:
        _apply_change_notices(order)
        ach.check_entry(order, now=timezone.now())
    else:
        outbound.build(order)
        outbound.build_cover(order)
    return order


MAX_CORRECTIONS = 5  # a counterparty corrected again after a correction: follow it, a few times at most


def _apply_change_notices(order: PaymentOrder) -> None:
    """An ACH entry to a counterparty a NOC corrected goes to the corrected routing number, account and name."""
    seen: set[str] = set()
    for _ in range(MAX_CORRECTIONS):
        correction = counterparty_correction_find(
            creditor_aba=order.creditor_aba, creditor_identifier=order.creditor_identifier
        )
        if correction is None or correction.public_id in seen:
            return
        seen.add(correction.public_id)
        order.creditor_aba = correction.corrected_aba or order.creditor_aba
        order.creditor_identifier = correction.corrected_identifier or order.creditor_identifier
        order.creditor_name = correction.corrected_name or order.creditor_name
        order.routing_reasons = [
            *order.routing_reasons,
            f"counterparty corrected by NOC {correction.change_code} ({correction.public_id}, "
            f"{correction.created_at:%Y-%m-%d})",
        ]


def _refuse_duplicate(order: PaymentOrder) -> None:
    window = settings.QENEX_PAYMENTS_DUPLICATE_WINDOW_SECONDS
    if window <= 0:
        return
    earlier = payment_possible_duplicate(
        debtor_account_id=order.debtor_account_id,
        amount_minor=order.amount_minor,
        currency=order.currency,
        creditor_identifier=order.creditor_identifier,
        reference=order.reference,
        since=timezone.now() - timedelta(seconds=window),
    )
    if earlier is not None:
        raise PossibleDuplicate(
            f"payment {earlier.public_id} has the same debtor, amount, creditor and reference; "
            "send again with confirm_duplicate: true if this one is meant too",
            field="confirm_duplicate",
        )


def _value_date(rail: str, currency: str, requested: date | None) -> date:
    """The execution day: the requested one if it is a business day on the rail, else the first one possible."""
    earliest = business_days.value_date(rail=rail, currency=currency, now=timezone.now())
    if requested is None:
        return earliest
    rail_calendar = business_days.calendar_for(rail, currency)
    if not business_days.is_business_day(requested, rail_calendar):
        following = business_days.next_business_day(requested, rail_calendar)
        raise NotABusinessDay(
            f"{requested} is not a {rail_calendar} business day; the next one is {following}",
            field="requested_execution_date",
        )
    if requested < earliest:
        raise ExecutionDateInPast(
            f"{requested} is before the earliest possible execution date {earliest} (calendar and cut-off)",
            field="requested_execution_date",
        )
    return requested


def _hold_expiry(payment: PaymentOrder) -> datetime:
    """The hold outlives the payment's settlement: its lifetime counts from the value date when that is later."""
    now = timezone.now()
    start = now
    if payment.value_date is not None:
        start = max(now, datetime.combine(payment.value_date, time.min, tzinfo=UTC))
    return start + timedelta(seconds=settings.QENEX_PAYMENTS_HOLD_SECONDS)


def _reserve(payment: PaymentOrder, actor: str, *, key_suffix: str = "") -> str:
    """Hold the amount and the fee on the debtor's account; return the hold's public id."""
    hold = hold_place(
        account=payment.debtor_account.public_id,
        amount=format_amount(payment.amount_minor + payment.fee_minor, payment.currency),
        currency=payment.currency,
        expires_at=_hold_expiry(payment),
        description=f"payment {payment.public_id}",
        idempotency_key=f"payment:{payment.public_id}:hold{key_suffix}",
        actor=actor,
    ).hold
    payment.hold_id = hold.public_id
    return hold.public_id


def _held_funds_open(payment: PaymentOrder) -> bool:
    """True when the hold placed while the payment was HELD still reserves its funds (it may have expired)."""
    return bool(payment.hold_id) and hold_get(public_id=payment.hold_id).status == HoldStatus.AUTHORIZED


def _reserve_and_queue(changes: Changes) -> None:
    payment = changes.payment
    if _held_funds_open(payment):
        # Reserved when a check held it: the same hold goes on with the payment.
        changes.move(S.FUNDS_RESERVED, reason=f"hold {payment.hold_id} (placed while HELD)")
    else:
        suffix = ":released" if payment.hold_id else ""  # the first hold lapsed while HELD: a new one
        changes.move(S.FUNDS_RESERVED, reason=f"hold {_reserve(payment, changes.actor, key_suffix=suffix)}")
    now = timezone.now()
    warehoused = business_days.is_future_dated(
        rail=payment.rail, currency=payment.currency, value_date=payment.value_date, now=now
    )
    changes.move(S.QUEUED, reason=f"warehoused until its value date {payment.value_date}" if warehoused else "")


def _apply_checks(changes: Changes) -> None:
    outcome = checks.run(changes.payment)
    deciding = outcome.deciding
    if deciding is None:
        names = ", ".join(checks.registered()) or "none registered"
        changes.move(S.CHECKED, reason=f"checks passed ({names})")
        _reserve_and_queue(changes)
        return
    name, result = deciding
    payment = changes.payment
    payment.reason_code, payment.reason = result.code[:16], f"{name}: {result.reason}"
    if outcome.verdict == checks.Verdict.HOLD:
        # A held payment keeps its funds reserved while an officer decides (for a sanctions hit, the funds are
        # blocked): released, the same hold goes on; rejected or cancelled, it is voided. Not enough funds: refused.
        hold_id = _reserve(payment, changes.actor)
        changes.move(S.HELD, reason_code=result.code, reason=f"{payment.reason} (funds reserved: hold {hold_id})")
        return
    changes.move(S.REJECTED, reason_code=result.code, reason=payment.reason)


def enqueue_submission(payment: PaymentOrder) -> None:
    """After COMMIT, hand a queued payment to a worker (never inside the transaction holding its lock)."""
    if payment.status != S.QUEUED or not outbound.has_transport(payment.rail):
        return
    if business_days.is_future_dated(
        rail=payment.rail, currency=payment.currency, value_date=payment.value_date, now=timezone.now()
    ):
        return  # warehoused: beat hands it to a worker on its value date
    from ..tasks import submit_payment

    public_id = payment.public_id
    transaction.on_commit(lambda: submit_payment.delay(payment_id=public_id))


@retry_on_conflict()
def payment_send(
    *, request: PaymentRequest, debtor_account: str, idempotency_key: str | None = None, actor: str = "system"
) -> SendResult:
    """Create a payment order: validated, routed, checked, funds held on the debtor, queued for submission."""
    idempotency_key = check_key(idempotency_key)
    fp = fingerprint({"type": "PAYMENT", "debtor_account": debtor_account, **request.fingerprint_payload()})
    if idempotency_key:
        existing = payment_by_idempotency_key(key=idempotency_key)
        if existing is not None:
            ensure_same_request(existing.request_fingerprint, fp)
            return SendResult(existing, True)
    debtor = account_get(public_id=debtor_account, field="sender.account")
    order = _order_from(request, debtor, actor=actor)
    if not request.confirm_duplicate:
        _refuse_duplicate(order)
    order.idempotency_key, order.request_fingerprint = idempotency_key, fp if idempotency_key else ""
    with transaction.atomic(durable=True):
        order.save()
        changes = Changes(order, actor)
        changes.start()
        changes.move(S.VALIDATED, reason="; ".join(order.routing_reasons))
        _apply_checks(changes)
        order.save()
        changes.audit(
            "payments.payment_sent",
            rail=order.rail,
            amount_minor=order.amount_minor,
            currency=order.currency,
            hold=order.hold_id,
        )
        enqueue_submission(order)
    return SendResult(order, False)


@retry_on_conflict()
def payment_release(*, payment_id: str, actor: str, approval_id: str | None = None) -> PaymentOrder:
    """An officer releases a payment a check held: its reserved funds go on with it, and it is queued.

    Above the approval threshold (``QENEX_APPROVAL_THRESHOLD``, as for postings) one officer cannot release alone:
    the release is proposed as a PAYMENT_RELEASE approval and runs when a second officer approves it (the
    approvals service passes ``approval_id``).
    """
    with transaction.atomic(durable=True):
        payment = lock_payment(public_id=payment_id)
        if payment.status != S.HELD:
            raise PaymentNotHeld(f"payment {payment_id} is {payment.status}, not HELD", field="payment")
        if approval_id is None and posting_needs_approval(
            amount=format_amount(payment.amount_minor, payment.currency), currency=payment.currency
        ):
            raise ApprovalRequired(
                f"payment {payment_id} is above the approval threshold: propose its release as a PAYMENT_RELEASE "
                "approval for a second officer",
                field="payment",
            )
        changes = Changes(payment, actor)
        changes.move(S.CHECKED, reason=f"released by {actor}" + (f" (approval {approval_id})" if approval_id else ""))
        _reserve_and_queue(changes)
        payment.save()
        changes.audit("payments.payment_released", approval=approval_id)
        enqueue_submission(payment)
    return payment


@retry_on_conflict()
def payment_reject_held(*, payment_id: str, actor: str, reason: str = "") -> PaymentOrder:
    with transaction.atomic(durable=True):
        payment = lock_payment(public_id=payment_id)
        if payment.status != S.HELD:
            raise PaymentNotHeld(f"payment {payment_id} is {payment.status}, not HELD", field="payment")
        if _held_funds_open(payment):
            hold_void(hold_id=payment.hold_id, actor=actor)  # the reserved funds are released
        changes = Changes(payment, actor)
        payment.reason_code, payment.reason = "officer", reason or f"rejected by {actor}"
        changes.move(S.REJECTED, reason_code="officer", reason=payment.reason)
        payment.save()
        changes.audit("payments.payment_rejected", hold=payment.hold_id)
    return payment


@retry_on_conflict()
def payment_cancel(*, payment_id: str, actor: str) -> PaymentOrder:
    """Cancel a payment no network has seen: its hold is voided. After the first submission attempt: 409."""
    with transaction.atomic(durable=True):
        payment = lock_payment(public_id=payment_id)
        if payment.status not in CANCELLABLE or payment.attempts > 0:
            raise PaymentNotCancellable(
                f"payment {payment_id} is {payment.status}"
                + (" and was sent to the network" if payment.attempts else "")
                + ": only a payment not yet submitted can be cancelled",
                field="payment",
            )
        if payment.hold_id and payment.status in HOLDING and _held_funds_open(payment):
            hold_void(hold_id=payment.hold_id, actor=actor)
        changes = Changes(payment, actor)
        changes.move(S.CANCELLED, reason=f"cancelled by {actor}")
        payment.save()
        changes.audit("payments.payment_cancelled", hold=payment.hold_id)
    return payment


@transaction.atomic
def account_alias_register(*, identifier: str, account_id: str, actor: str = "system") -> AccountAlias:
    """Let customers name their QENEX account by an IBAN or account number in a payment's ``sender.account``."""
    from apps.audit.services import audit_record

    account = account_get(public_id=account_id)
    if not identifier.strip() or len(identifier) > 34:
        raise InvalidInput("identifier must be 1-34 characters", field="identifier")
    if account_alias_resolve(identifier=identifier.strip()) is not None:
        raise AliasTaken(f"{identifier} already names an account", field="identifier")
    alias = AccountAlias.objects.create(identifier=identifier.strip(), account=account)
    audit_record(
        action="payments.account_alias_registered",
        object_type="account_alias",
        object_id=alias.public_id,
        after={"account": account.public_id},
        actor=actor,
    )
    return alias
