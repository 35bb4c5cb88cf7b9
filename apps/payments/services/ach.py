"""ACH goes out in files: at each cut-off the queued ACH payments are written into one NACHA file and sent.

``ach_file_create`` (one transaction): take the QUEUED ACH payments no file holds yet (``SKIP LOCKED``: a
concurrent cut-off never takes the same payment), build the file (``apps.payments.ach``), record it, move every
payment to SUBMITTING. ``ach_file_submit`` then follows the short-transaction pattern: mark the file SUBMITTING
and commit, send it with no transaction open, lock it again and record the receipt — or, without one, put it back
to BUILT for a resend (the same bytes, the same file id: the operator answers it once) and, after
``QENEX_PAYMENTS_SUBMIT_ATTEMPTS``, fail it and its payments (dead letters an operator retries: they go in the
next file with the same trace numbers).

``ach_file_answer_record``: the operator answers about the whole file. ACCEPTED settles every entry in one
transaction, as one ledger batch (every hold captured to the settlement account and every fee posted by one batch
posting, one audit record listing the entries); REJECTED voids every hold. Return
files are recorded on the file; their entries are matched by trace number where returns are handled.
"""

from __future__ import annotations

import logging
import string
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.db import retry_on_conflict
from apps.ledger.services import BatchCapture, hold_captures_batch_in_transaction
from apps.ledger.services import hold_void_in_transaction as hold_void

from .. import ach, transport
from ..metrics import PAYMENT_SUBMISSION_SECONDS
from ..models import AchFile, AchFileAnswer, AchFileStatus, Direction, PaymentMessage, PaymentOrder, Rail
from ..states import FINAL, HOLDING, PaymentStatus
from .history import Changes
from .submission import (
    EFFECT_OF_STATUS,
    REJECTED,
    SETTLED,
    WORKER,
    backoff_seconds,
    record_settled,
    settlement_account_for,
)

logger = logging.getLogger(__name__)
S = PaymentStatus
F = AchFileStatus
MAX_ENTRIES = 10_000  # per file; the rest waits for the next cut-off
MODIFIERS = string.ascii_uppercase + string.digits


def _audit_file(ach_file: AchFile, action: str, before: str, actor: str, **extra: Any) -> None:
    audit_record(
        action=action,
        object_type="ach_file",
        object_id=ach_file.public_id,
        before={"status": before},
        after={"status": ach_file.status, "file_id": ach_file.network_key, **extra},
        actor=actor,
    )


def _modifier(created: datetime) -> str:
    """The file id modifier: A for the first file of the minute, then B, C... (file ids must differ)."""
    prefix = ach.file_id_for(created, "")
    taken = set(AchFile.objects.filter(network_key__startswith=prefix).values_list("network_key", flat=True))
    for modifier in MODIFIERS:
        if prefix + modifier not in taken:
            return modifier
    raise RuntimeError("36 ACH files in one minute: wait for the next minute")


def _entry_lines(body: str, trace: str) -> str:
    """The entry detail record of ``trace`` and its addenda: what this payment's entry looks like in the file."""
    lines = body.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("6") and line[79:94] == trace:
            end = index + 1
            while end < len(lines) and lines[end].startswith("7"):
                end += 1
            return "\n".join(lines[index:end]) + "\n"
    return ""


@retry_on_conflict()
def ach_file_create(*, now: datetime | None = None, actor: str = WORKER) -> AchFile | None:
    """Write the QUEUED ACH payments into one file (at most MAX_ENTRIES); None when there are none."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        payments = list(
            PaymentOrder.objects.select_for_update(no_key=True, skip_locked=True, of=("self",))
            .filter(rail=Rail.ACH, status=S.QUEUED, ach_file__isnull=True)
            .order_by("pk")[:MAX_ENTRIES]
        )
        if not payments:
            return None
        built = ach.build_file(payments, created=now, modifier=_modifier(now))
        body = built.body.decode("ascii")
        ach_file = AchFile.objects.create(
            network_key=built.file_id,
            entry_count=built.entry_count,
            total_credit_minor=built.total_credit_minor,
            same_day=built.same_day,
            body=body,
            created_at=now,
        )
        for payment in payments:
            payment.ach_file, payment.trace_number = ach_file, built.trace_numbers[payment.pk]
            payment.network_key, payment.attempts = payment.trace_number, max(payment.attempts, 1)
            changes = Changes(payment, actor)
            changes.move(S.SUBMITTING, reason=f"entry {payment.trace_number} of ACH file {ach_file.network_key}")
            PaymentMessage.objects.create(
                payment=payment,
                direction=Direction.OUT,
                rail=Rail.ACH,
                message_type="NACHA entry",
                body=_entry_lines(body, payment.trace_number),
            )
            payment.save()
            changes.audit("payments.payment_in_ach_file", ach_file=ach_file.public_id, trace=payment.trace_number)
        _audit_file(
            ach_file,
            "payments.ach_file_created",
            "",
            actor,
            entries=built.entry_count,
            total_credit_minor=built.total_credit_minor,
            same_day=built.same_day,
        )
    return ach_file


def _lock_file(public_id: str) -> AchFile:
    return AchFile.objects.select_for_update(no_key=True).get(public_id=public_id)


def _file_payments(ach_file: AchFile) -> list[PaymentOrder]:
    """The file's payments, locked in primary-key order (lock order: file, payments, accounts)."""
    return list(
        PaymentOrder.objects.select_for_update(no_key=True, of=("self",))
        .select_related("debtor_account")
        .filter(ach_file=ach_file)
        .order_by("pk")
    )


@retry_on_conflict()
def _mark_file_submitting(public_id: str) -> AchFile | None:
    with transaction.atomic(durable=True):
        ach_file = _lock_file(public_id)
        if ach_file.status != F.BUILT or transport.url_for(Rail.ACH) is None:
            return None
        before = ach_file.status
        ach_file.status, ach_file.attempts = F.SUBMITTING, ach_file.attempts + 1
        ach_file.save()
        _audit_file(ach_file, "payments.ach_file_submitting", before, WORKER, attempt=ach_file.attempts)
        return ach_file


@retry_on_conflict()
def _record_file_submission(public_id: str, receipt: transport.Receipt | None, error: str) -> str:
    with transaction.atomic(durable=True):
        ach_file = _lock_file(public_id)
        before = ach_file.status
        if receipt is not None:
            ach_file.network_reference = receipt.network_reference
            if ach_file.status == F.SUBMITTING:
                ach_file.status = F.SUBMITTED
                for payment in _file_payments(ach_file):
                    if payment.status == S.SUBMITTING:
                        changes = Changes(payment, WORKER)
                        changes.move(
                            S.SUBMITTED, reason=f"ACH file {ach_file.network_key}: {receipt.network_reference}"
                        )
                        payment.network_reference = receipt.network_reference
                        payment.save()
                        changes.audit("payments.payment_submitted", network_reference=receipt.network_reference)
            ach_file.save()
            _audit_file(ach_file, "payments.ach_file_submitted", before, WORKER, reference=receipt.network_reference)
            return ach_file.status
        if ach_file.status != F.SUBMITTING:
            return ach_file.status  # an answer arrived meanwhile: the operator has it after all
        ach_file.reason = error[:500]
        if ach_file.attempts >= settings.QENEX_PAYMENTS_SUBMIT_ATTEMPTS:
            ach_file.status = F.FAILED
            for payment in _file_payments(ach_file):
                if payment.status == S.SUBMITTING:
                    changes = Changes(payment, WORKER)
                    payment.reason_code, payment.reason = "no_receipt", error[:500]
                    changes.move(S.FAILED, reason_code="no_receipt", reason=f"ACH file {ach_file.network_key}: {error}")
                    payment.save()
                    changes.audit("payments.payment_submission_failed", error=error[:500])
        else:
            ach_file.status = F.BUILT  # resent by the next tick after its back-off
        ach_file.save()
        _audit_file(ach_file, "payments.ach_file_submission_failed", before, WORKER, error=error[:500])
        return ach_file.status


def ach_file_submit(*, file_id: str) -> str:
    """Send a BUILT file to the ACH operator (module docstring); return the file's status afterwards."""
    ach_file = _mark_file_submitting(file_id)
    if ach_file is None:
        return AchFile.objects.only("status").get(public_id=file_id).status
    started = timezone.now()
    try:
        receipt, error = transport.submit(Rail.ACH, ach_file.body.encode("ascii")), ""
    except transport.TransportError as exc:
        receipt, error = None, str(exc)
        logger.warning("ACH file %s: no receipt: %s", ach_file.network_key, error)
    outcome = "receipt" if receipt is not None else "no_receipt"
    PAYMENT_SUBMISSION_SECONDS.labels(Rail.ACH, outcome).observe((timezone.now() - started).total_seconds())
    return _record_file_submission(file_id, receipt, error)


def _settle_entries(ach_file: AchFile, payments: list[PaymentOrder], reply_id: str) -> int:
    """Settle the file's open entries as one ledger batch: every hold captured to the settlement account and every
    fee posted by one batch posting (``hold_captures_batch_in_transaction``), then each payment SETTLED."""
    open_payments = [p for p in payments if p.status not in FINAL]
    if not open_payments:
        return 0
    settlement = settlement_account_for(open_payments[0])  # the account settle_payment captures each entry to
    captured = hold_captures_batch_in_transaction(
        captures=[
            BatchCapture(
                hold_id=payment.hold_id,
                to_account=settlement.public_id,
                amount_minor=payment.amount_minor,  # the rest of the hold (the fee) is released
                description=f"payment {payment.public_id} settled on {payment.rail}",
                idempotency_key=f"payment:{payment.public_id}:capture",
                fee_minor=payment.fee_minor,
                fee_description=f"{payment.rail} payment {payment.public_id}",
                fee_metadata={"payment": payment.public_id},
                fee_idempotency_key=f"payment:{payment.public_id}:fee",
            )
            for payment in open_payments
        ],
        reference=f"ach_file:{ach_file.public_id}",
        actor=WORKER,
    )
    for payment, result in zip(open_payments, captured, strict=True):
        changes = Changes(payment, WORKER)
        if payment.status != S.ACCEPTED:
            changes.move(S.ACCEPTED, reason=f"{reply_id}: ACH file {ach_file.network_key} accepted")
        payment.fee_transaction_id = result.fee_transaction or ""
        record_settled(changes, reply_id, settlement, result.transaction)
        payment.save()
        changes.audit("payments.answer_recorded", reply_id=reply_id, answer="ACCEPTED")
    return len(open_payments)


def _reject_entries(payments: list[PaymentOrder], reply_id: str, code: str) -> int:
    moved = 0
    for payment in payments:
        if payment.status in FINAL:
            continue
        changes = Changes(payment, WORKER)
        if payment.hold_id and payment.status in HOLDING:
            hold_void(hold_id=payment.hold_id, actor=WORKER)
        payment.reason_code, payment.reason = code[:16], f"ACH file rejected: {code}"
        changes.move(S.REJECTED, reason_code=code, reason=f"{reply_id}: {payment.reason}")
        payment.save()
        changes.audit("payments.answer_recorded", reply_id=reply_id, answer="REJECTED")
        moved += 1
    return moved


@retry_on_conflict()
def ach_file_answer_record(*, file_id: str, ack: dict[str, Any]) -> str:
    """Record one answer of the ACH operator about file ``file_id`` and move its entries; say what happened."""
    with transaction.atomic(durable=True):
        ach_file = _lock_file(file_id)
        if AchFileAnswer.objects.filter(reply_id=ack["reply_id"]).exists():
            return "duplicate"
        AchFileAnswer.objects.create(
            ach_file=ach_file,
            reply_id=ack["reply_id"],
            kind=(ack.get("kind") or "")[:16],
            status=(ack.get("status") or "")[:16],
            reason=(ack.get("reason") or "")[:64],
            body=ack.get("body") or "",
        )
        effect = EFFECT_OF_STATUS.get(ack.get("status") or "") if ack.get("kind") != "return" else None
        before = ach_file.status
        if not ach_file.network_reference:
            ach_file.network_reference = ack.get("network_reference", "")
        moved = 0
        if effect == SETTLED:
            ach_file.status = F.ACCEPTED
            moved = _settle_entries(ach_file, _file_payments(ach_file), ack["reply_id"])
        elif effect == REJECTED:
            ach_file.status = F.REJECTED
            ach_file.reason = ack.get("reason") or ack.get("status") or ""
            moved = _reject_entries(_file_payments(ach_file), ack["reply_id"], ach_file.reason or "RJCT")
        ach_file.save()
        _audit_file(ach_file, "payments.ach_file_answer", before, WORKER, reply_id=ack["reply_id"], entries=moved)
        return effect or "recorded"


def _cutoff_due(now: datetime) -> bool:
    """Whether a cut-off passed since the last file ("*": every tick)."""
    configured = settings.QENEX_PAYMENTS_ACH_CUTOFFS.strip()
    if configured == "*":
        return True
    local = now.astimezone(ach.EASTERN)
    passed = [
        datetime.combine(local.date(), time.fromisoformat(item.strip()), tzinfo=ach.EASTERN)
        for item in configured.split(",")
        if item.strip()
    ]
    passed = [moment for moment in passed if moment <= local]
    if not passed:
        return False
    last = AchFile.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    return last is None or last < max(passed)


def ach_cutoff_tick(*, now: datetime | None = None) -> dict[str, int]:
    """Beat's job: at a cut-off, write the queued ACH payments into a file; send every file waiting to go."""
    now = now or timezone.now()
    created = 0
    if transport.url_for(Rail.ACH) is not None and _cutoff_due(now):
        created = int(ach_file_create(now=now) is not None)
    stale = now - timedelta(seconds=settings.QENEX_PAYMENTS_STALE_SECONDS)
    for public_id in AchFile.objects.filter(status=F.SUBMITTING, updated_at__lt=stale).values_list(
        "public_id", flat=True
    ):
        _requeue_file(public_id)
    sent = 0
    for ach_file in AchFile.objects.filter(status=F.BUILT).only("public_id", "attempts", "updated_at"):
        if ach_file.attempts and ach_file.updated_at + timedelta(seconds=backoff_seconds(ach_file.attempts)) > now:
            continue
        ach_file_submit(file_id=ach_file.public_id)
        sent += 1
    return {"created": created, "sent": sent}


@retry_on_conflict()
def _requeue_file(public_id: str) -> None:
    with transaction.atomic(durable=True):
        ach_file = _lock_file(public_id)
        if ach_file.status == F.SUBMITTING:
            ach_file.status = F.BUILT
            ach_file.save()
            _audit_file(ach_file, "payments.ach_file_requeued", F.SUBMITTING, WORKER, reason="the worker was lost")
