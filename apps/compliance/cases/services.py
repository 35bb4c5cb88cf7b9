"""Writes of AML cases: alerts join their customer's open case; officers assign, note, attach, escalate and decide.

Every change locks the case row (``select_for_update(no_key=True)``), appends a ``CaseEvent`` (the case's full
history) and writes one audit record last. A decision is "file SAR" (a SAR draft is generated from the case) or
"close" with a reason; closing a high-risk case (priority HIGH or CRITICAL) is a four-eyes operation: it becomes an
``AML_CASE_CLOSE`` request in apps.approvals, and a second officer's approval runs ``case_close_approved``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import Conflict, DomainError, InvalidInput, NotFound

from ..aml_models import (
    OPEN_CASE_STATUSES,
    AlertDecision,
    AlertStatus,
    AmlAlert,
    AmlCase,
    CaseAttachment,
    CaseDecision,
    CaseEvent,
    CaseNote,
    CaseStatus,
    Severity,
)
from ..aml_selectors import case_attachment_get

logger = logging.getLogger(__name__)

# Days an officer has to decide a new case, by its priority.
DUE_DAYS = {Severity.LOW: 30, Severity.MEDIUM: 14, Severity.HIGH: 5, Severity.CRITICAL: 2}
MAX_REASON = 1000
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
APPROVAL_KIND = "AML_CASE_CLOSE"


class CaseNotFound(NotFound):
    code = "case_not_found"


class CaseNotOpen(Conflict):
    code = "case_not_open"


class CasePendingApproval(Conflict):
    code = "case_pending_approval"


class AlertNotFound(NotFound):
    code = "alert_not_found"


class AlertNotOpen(Conflict):
    code = "alert_not_open"


class CaseReasonRequired(DomainError):
    code = "reason_required"
    http_status = 400


class AttachmentEmpty(InvalidInput):
    code = "attachment_empty"


class AttachmentTooLarge(InvalidInput):
    code = "too_large"
    http_status = 413


class AttachmentTypeRefused(InvalidInput):
    code = "attachment_type_refused"
    http_status = 415


class AttachmentUnavailable(DomainError):
    """The attachment's record is there but its file is not, or its bytes are no longer the ones uploaded (their
    digest differs from the one recorded): evidence that cannot be vouched for is not handed out."""

    code = "attachment_unavailable"
    http_status = 409


def _text(content: bytes) -> bool:
    if b"\x00" in content:
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# What a case may hold: scans and documents, by file name extension, and only when the bytes are what the name says
# (a PDF starts %PDF-, ...): the name and the browser's content type are the uploader's word, the bytes are not.
ATTACHMENT_TYPES: dict[str, Callable[[bytes], bool]] = {
    "pdf": lambda b: b.startswith(b"%PDF-"),
    "png": lambda b: b.startswith(b"\x89PNG\r\n\x1a\n"),
    "jpg": lambda b: b.startswith(b"\xff\xd8\xff"),
    "jpeg": lambda b: b.startswith(b"\xff\xd8\xff"),
    "tif": lambda b: b[:4] in (b"II*\x00", b"MM\x00*"),
    "tiff": lambda b: b[:4] in (b"II*\x00", b"MM\x00*"),
    "txt": _text,
    "csv": _text,
}
MAX_ATTACHMENT_NAME = 120


def attachment_name(name: str) -> str:
    """A file name safe to store and show: the last path component of ``name``, in ASCII letters, digits, ``._-``
    and spaces (anything else an underscore), no leading dot (hidden) nor trailing dot or space, the extension in
    lower case, at most ``MAX_ATTACHMENT_NAME`` characters (accents dropped, compatibility forms folded);
    "attachment" when nothing is left."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFKD", name or ""))[-1]
    base = "".join(c for c in base if not unicodedata.combining(c))  # é -> e
    base = "".join(c if c.isascii() and (c.isalnum() or c in "._- ") else "_" for c in base)
    stem, dot, ext = base.rpartition(".")
    if not dot or not ext.isalnum():
        stem, ext = base, ""
    ext = ext.lower()[:8]
    stem = re.sub(r"[_ ]{2,}", "_", stem).strip(" ._-")[: MAX_ATTACHMENT_NAME - len(ext) - 1].rstrip(" ._-")
    stem = stem or "attachment"
    return f"{stem}.{ext}" if ext else stem


def attachment_check(*, name: str, content: bytes) -> str:
    """The stored name of an attachment ``name`` with ``content``; refused when it is empty, too large, or not
    one of ``ATTACHMENT_TYPES`` (by its name's extension and its first bytes)."""
    if not content:
        raise AttachmentEmpty("the attachment is empty", field="file")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise AttachmentTooLarge(
            f"an attachment is at most {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB ({MAX_ATTACHMENT_BYTES} bytes)",
            field="file",
        )
    safe_name = attachment_name(name)
    ext = safe_name.rpartition(".")[2] if "." in safe_name else ""
    allowed = ", ".join(sorted(ATTACHMENT_TYPES))
    if ext not in ATTACHMENT_TYPES:
        raise AttachmentTypeRefused(f"a case attachment is one of: {allowed} (not {ext or 'no extension'})",
                                    field="file")
    if not ATTACHMENT_TYPES[ext](content):
        raise AttachmentTypeRefused(f"the file's contents are not {ext.upper()}", field="file")
    return safe_name


def _event(case: AmlCase, action: str, actor: str, **details: Any) -> None:
    CaseEvent.objects.create(case=case, action=action, actor=actor, details=details)


def _audit(case: AmlCase, action: str, actor: str, before: dict | None = None, **after: Any) -> None:
    audit_record(
        action=action,
        object_type="aml_case",
        object_id=case.public_id,
        before=before,
        after={"status": case.status, "priority": case.priority, "owner_id": case.owner_id, **after},
        actor=actor,
    )


def _emit_decided(case: AmlCase, report: str | None) -> None:
    from apps.events.services import emit_event

    emit_event(
        "aml_case.decided",
        case.public_id,
        {
            "case": case.public_id,
            "decision": case.decision,
            "status": case.status,
            "owner_id": case.owner_id,
            "decided_by": case.decided_by,
            "report": report,
        },
    )


def _lock(public_id: str) -> AmlCase:
    case = AmlCase.objects.select_for_update(no_key=True).filter(public_id=public_id).first()
    if case is None:
        raise CaseNotFound(f"no AML case {public_id}", field="case")
    if case.status == CaseStatus.PENDING_APPROVAL and case.approval:
        _return_if_close_rejected(case)
    return case


def _return_if_close_rejected(case: AmlCase) -> None:
    """A high-risk close the checker rejected sends the case back to the officer (IN_PROGRESS)."""
    from apps.approvals.models import ApprovalRequest, ApprovalStatus

    status = ApprovalRequest.objects.filter(public_id=case.approval).values_list("status", flat=True).first()
    if status in (ApprovalStatus.REJECTED, ApprovalStatus.FAILED):
        case.status, case.updated_at = CaseStatus.IN_PROGRESS, timezone.now()
        case.save(update_fields=["status", "updated_at"])
        _event(case, "close_rejected", "system", approval=case.approval, approval_status=status)


def _require_open(case: AmlCase) -> None:
    if case.status == CaseStatus.PENDING_APPROVAL:
        raise CasePendingApproval(f"case {case.public_id} waits for the four-eyes approval {case.approval}")
    if case.status not in OPEN_CASE_STATUSES:
        raise CaseNotOpen(f"case {case.public_id} is {case.status}", field="case")


def _reason(reason: str, *, required: bool = True) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise CaseReasonRequired("a reason is required", field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"reason must be at most {MAX_REASON} characters", field="reason")
    return reason


def case_take_alert(*, alert: AmlAlert) -> tuple[AmlCase, bool]:
    """Put a new alert into its customer's open case (opening one); (case, opened). Runs in ``alert_raise``'s
    transaction, before its audit record."""
    opened = False
    case = (
        AmlCase.objects.select_for_update(no_key=True)
        .filter(owner_id=alert.owner_id, status__in=list(OPEN_CASE_STATUSES))
        .first()
    )
    if case is None:
        try:
            with transaction.atomic():
                case = AmlCase.objects.create(
                    owner_id=alert.owner_id,
                    priority=alert.severity,
                    due_at=timezone.now() + timedelta(days=DUE_DAYS[Severity(alert.severity)]),
                )
            opened = True
            _event(case, "opened", "system", alert=alert.public_id)
        except IntegrityError:  # a concurrent alert opened it: join that one
            case = AmlCase.objects.select_for_update(no_key=True).get(
                owner_id=alert.owner_id, status__in=list(OPEN_CASE_STATUSES)
            )
    alert.case = case
    alert.save(update_fields=["case"])
    changed = []
    if alert.severity > case.priority:
        case.priority = alert.severity
        changed.append("priority")
    case.updated_at = timezone.now()
    case.save(update_fields=[*changed, "updated_at"])
    _event(case, "alert_added", "system", alert=alert.public_id, rule=alert.rule.code, severity=alert.severity)
    return case, opened


@transaction.atomic(durable=True)
def case_assign(*, case_id: str, assignee: AbstractBaseUser | None, actor: str) -> AmlCase:
    case = _lock(case_id)
    _require_open(case)
    before = {"assignee": case.assignee.get_username() if case.assignee_id else None}
    case.assignee = assignee
    if case.status == CaseStatus.OPEN and assignee is not None:
        case.status = CaseStatus.IN_PROGRESS
    case.updated_at = timezone.now()
    case.save(update_fields=["assignee", "status", "updated_at"])
    name = assignee.get_username() if assignee is not None else None
    _event(case, "assigned", actor, assignee=name)
    _audit(case, "aml.case_assigned", actor, before=before, assignee=name)
    return case


@transaction.atomic(durable=True)
def case_update(*, case_id: str, actor: str, priority: int | None = None, due_at: datetime | None = None) -> AmlCase:
    """Change a case's priority or due date."""
    case = _lock(case_id)
    _require_open(case)
    before = {"priority": case.priority, "due_at": case.due_at.isoformat() if case.due_at else None}
    if priority is not None:
        if priority not in Severity.values:
            raise InvalidInput(f"priority must be one of {Severity.values}", field="priority", code="invalid_choice")
        case.priority = priority
    if due_at is not None:
        case.due_at = due_at
    case.updated_at = timezone.now()
    case.save(update_fields=["priority", "due_at", "updated_at"])
    after = {"priority": case.priority, "due_at": case.due_at.isoformat() if case.due_at else None}
    _event(case, "updated", actor, before=before, after=after)
    _audit(case, "aml.case_updated", actor, before=before, due_at=after["due_at"])
    return case


@transaction.atomic(durable=True)
def case_note_add(*, case_id: str, text: str, actor: str) -> CaseNote:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("a note needs text", field="text", code="missing_field")
    case = _lock(case_id)
    note = CaseNote.objects.create(case=case, author=actor, text=text[:10000])
    case.updated_at = timezone.now()
    case.save(update_fields=["updated_at"])
    _event(case, "note_added", actor, note=note.pk)
    # The note's text may name people: the audit trail (never erased) keeps its digest, not the text.
    _audit(case, "aml.case_note_added", actor, note=note.pk, sha256=hashlib.sha256(text.encode()).hexdigest())
    return note


@transaction.atomic(durable=True)
def case_attach(*, case_id: str, name: str, content: bytes, actor: str) -> CaseAttachment:
    """Store a file on a case (``attachment_check``: its type and size; its name sanitised), in the attachments'
    storage; the history and the audit trail keep its digest. A failure after the file is written removes it."""
    safe_name = attachment_check(name=name, content=content)
    case = _lock(case_id)
    digest = hashlib.sha256(content).hexdigest()
    attachment = CaseAttachment(case=case, name=safe_name, sha256=digest, size=len(content), uploaded_by=actor)
    attachment.file.save(f"{case.public_id}-{digest[:16]}-{safe_name}", ContentFile(content), save=False)
    try:
        attachment.save()
        case.updated_at = timezone.now()
        case.save(update_fields=["updated_at"])
        _event(case, "attachment_added", actor, attachment=attachment.pk, name=safe_name, sha256=digest)
        _audit(case, "aml.case_attachment_added", actor, attachment=attachment.pk, sha256=digest, size=len(content))
    except BaseException:
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


def case_attachment_read(*, case_id: str, attachment_id: int, actor: str) -> tuple[CaseAttachment, bytes]:
    """A case file's bytes for ``actor``, checked against the digest recorded at upload, and the download in the
    audit trail (who read which evidence of which case). A file gone from the storage or altered there is refused
    (``attachment_unavailable``, logged as an error for operations) and its refusal audited too."""
    attachment = case_attachment_get(case_id=case_id, attachment_id=attachment_id)
    try:
        with attachment.file.open("rb") as handle:
            content = handle.read(MAX_ATTACHMENT_BYTES + 1)
    except OSError:
        content, problem = None, "the file is missing from the attachments' storage"
    else:
        problem = None if hashlib.sha256(content).hexdigest() == attachment.sha256 else (
            "the file's contents differ from the ones uploaded (digest mismatch)")
    read = {"attachment": attachment.pk, "sha256": attachment.sha256, **({"problem": problem} if problem else {})}
    with transaction.atomic(durable=True):
        audit_record(
            action="aml.case_attachment_downloaded" if problem is None else "aml.case_attachment_unavailable",
            object_type="aml_case", object_id=case_id, actor=actor, after=read,
        )
    if problem is not None:
        logger.error("case %s attachment %s: %s", case_id, attachment.pk, problem)
        raise AttachmentUnavailable(f"attachment {attachment.pk} of case {case_id} cannot be given out: {problem}",
                                    field="attachment")
    return attachment, content


@transaction.atomic(durable=True)
def case_escalate(*, case_id: str, reason: str, actor: str) -> AmlCase:
    """Escalate a case: one level up, status ESCALATED, priority at least HIGH, due in that priority's time."""
    reason = _reason(reason)
    case = _lock(case_id)
    _require_open(case)
    before = {"status": case.status, "priority": case.priority, "escalation_level": case.escalation_level}
    case.escalation_level += 1
    case.status = CaseStatus.ESCALATED
    case.priority = max(case.priority, Severity.HIGH)
    due = timezone.now() + timedelta(days=DUE_DAYS[Severity(case.priority)])
    case.due_at = min(case.due_at, due) if case.due_at else due
    case.updated_at = timezone.now()
    case.save(update_fields=["escalation_level", "status", "priority", "due_at", "updated_at"])
    _event(case, "escalated", actor, level=case.escalation_level, reason=reason)
    _audit(case, "aml.case_escalated", actor, before=before, escalation_level=case.escalation_level)
    return case


def _close_alerts(case: AmlCase, actor: str) -> None:
    """The case's decision decides its open alerts: a SAR confirms them, a close dismisses them."""
    decision = AlertDecision.CONFIRMED if case.status == CaseStatus.SAR_FILED else AlertDecision.DISMISSED
    case.alerts.filter(status=AlertStatus.OPEN).update(
        status=AlertStatus.CLOSED,
        decision=decision,
        decision_reason=f"case {case.public_id}: {case.decision_reason}"[:MAX_REASON],
        decided_by=actor[:150],
        decided_at=timezone.now(),
    )


def _let_held_payments_go(alerts, actor: str) -> dict[str, str]:
    """After a decision committed: each payment a decided alert held is rejected (confirmed) or released
    (dismissed, once nothing else holds it). Payment id -> what happened (``payment_holds``)."""
    from ..payment_holds import held_payment_reject, held_payment_release

    done: dict[str, str] = {}
    for alert in alerts:
        if not alert.held_payment or alert.held_payment in done:
            continue
        if alert.decision == AlertDecision.CONFIRMED:
            done[alert.held_payment] = held_payment_reject(
                payment_id=alert.held_payment, actor=actor, reason=f"AML alert {alert.public_id} confirmed"
            )
        elif alert.decision == AlertDecision.DISMISSED:
            done[alert.held_payment] = held_payment_release(payment_id=alert.held_payment, actor=actor)
    return done


def _after_case_decision(case: AmlCase, actor: str) -> None:
    if case.status in (CaseStatus.SAR_FILED, CaseStatus.CLOSED):
        _let_held_payments_go(case.alerts.exclude(held_payment="").order_by("id"), actor)


def _lock_alert(public_id: str) -> AmlAlert:
    alert = AmlAlert.objects.select_for_update(no_key=True).filter(public_id=public_id).first()
    if alert is None:
        raise AlertNotFound(f"no AML alert {public_id}", field="alert")
    if alert.status != AlertStatus.OPEN:
        raise AlertNotOpen(f"alert {public_id} is {alert.status} ({alert.decision or 'with its case'})", field="alert")
    return alert


def alert_decide(*, alert_id: str, decision: str, reason: str, actor: str) -> tuple[AmlAlert, dict[str, str]]:
    """Decide one alert before its case: ``dismissed`` (not suspicious) or ``confirmed`` (suspicious), with a reason.

    What it does to the money runs after the decision commits: a payment the alert holds is released (once no other
    alert holds it; above the four-eyes threshold it waits for a PAYMENT_RELEASE approval) or rejected, its hold
    voided. The case stays open: the officer still decides it (SAR or close). Returns (alert, payment -> outcome).
    """
    if decision not in AlertDecision.values:
        raise InvalidInput(f"decision must be one of {AlertDecision.values}", field="decision", code="invalid_choice")
    reason = _reason(reason)
    with transaction.atomic(durable=True):
        alert = _lock_alert(alert_id)
        alert.status, alert.decision, alert.decision_reason = AlertStatus.CLOSED, decision, reason
        alert.decided_by, alert.decided_at = actor[:150], timezone.now()
        alert.save(update_fields=["status", "decision", "decision_reason", "decided_by", "decided_at"])
        if alert.case_id:
            case = AmlCase.objects.select_for_update(no_key=True).get(pk=alert.case_id)
            case.updated_at = timezone.now()
            case.save(update_fields=["updated_at"])
            _event(case, f"alert_{decision}", actor, alert=alert.public_id, reason=reason, payment=alert.held_payment)
        audit_record(
            action=f"aml.alert_{decision}",
            object_type="aml_alert",
            object_id=alert.public_id,
            before={"status": AlertStatus.OPEN},
            after={
                "status": alert.status,
                "decision": decision,
                # As for notes: the reason may name people; the trail (never erased) keeps its digest.
                "reason_sha256": hashlib.sha256(reason.encode()).hexdigest(),
                "owner_id": alert.owner_id,
                "held_payment": alert.held_payment or None,
            },
            actor=actor,
        )
    return alert, _let_held_payments_go([alert], actor)


def case_decide(*, case_id: str, decision: str, reason: str, actor: str, maker=None) -> AmlCase:
    """Decide a case: ``file_sar`` (draft a SAR from it) or ``close`` with a reason.

    Closing a high-risk case does not close it: it asks for a second officer's approval (``maker`` is the staff
    user or API client proposing it) and the case waits in PENDING_APPROVAL. Once decided, the payments its alerts
    held are rejected (SAR) or released (close), each through the gateway after this decision committed.
    """
    case = _case_decide(case_id=case_id, decision=decision, reason=reason, actor=actor, maker=maker)
    _after_case_decision(case, actor)
    return case


@transaction.atomic(durable=True)
def _case_decide(*, case_id: str, decision: str, reason: str, actor: str, maker) -> AmlCase:
    from ..reports import services as reports

    if decision not in CaseDecision.values:
        raise InvalidInput(f"decision must be one of {CaseDecision.values}", field="decision", code="invalid_choice")
    reason = _reason(reason)
    case = _lock(case_id)
    _require_open(case)
    before = {"status": case.status}
    now = timezone.now()
    if decision == CaseDecision.CLOSE and case.is_high_risk:
        if maker is None:
            raise InvalidInput("closing a high-risk case needs a maker for the four-eyes request", field="maker")
        from apps.approvals.services import approval_request

        approval = approval_request(kind=APPROVAL_KIND, payload={"case": case.public_id, "reason": reason}, maker=maker)
        case.status, case.approval, case.updated_at = CaseStatus.PENDING_APPROVAL, approval.public_id, now
        case.decision, case.decision_reason, case.decided_by = decision, reason, actor
        case.save(update_fields=["status", "approval", "updated_at", "decision", "decision_reason", "decided_by"])
        _event(case, "close_requested", actor, approval=approval.public_id, reason=reason)
        return case  # approval_request wrote the audit record (approval.requested, naming the case)
    case.decision, case.decision_reason, case.decided_by = decision, reason, actor
    case.updated_at = case.closed_at = now
    report = None
    if decision == CaseDecision.FILE_SAR:
        case.status = CaseStatus.SAR_FILED
        report = reports.sar_draft_from_case(case=case, actor=actor)
    else:
        case.status = CaseStatus.CLOSED
    case.save(update_fields=["decision", "decision_reason", "decided_by", "status", "updated_at", "closed_at"])
    _close_alerts(case, actor)
    _emit_decided(case, report.public_id if report else None)
    _event(case, "decided", actor, decision=decision, reason=reason, report=report.public_id if report else None)
    _audit(
        case,
        "aml.case_decided",
        actor,
        before=before,
        decision=decision,
        report=report.public_id if report else None,
    )
    return case


def case_close_approved(*, case_id: str, approval_id: str, actor: str) -> AmlCase:
    """Run by apps.approvals when a second officer approves a high-risk close: the case is CLOSED (and the payments
    its alerts held released, after that commit)."""
    case = _case_close_approved(case_id=case_id, approval_id=approval_id, actor=actor)
    _after_case_decision(case, actor)
    return case


@transaction.atomic(durable=True)
def _case_close_approved(*, case_id: str, approval_id: str, actor: str) -> AmlCase:
    case = AmlCase.objects.select_for_update(no_key=True).filter(public_id=case_id).first()
    if case is None:
        raise CaseNotFound(f"no AML case {case_id}", field="case")
    if case.status in (CaseStatus.CLOSED, CaseStatus.SAR_FILED):
        if case.approval == approval_id:
            return case  # executed already (a retried execution)
        raise CaseNotOpen(f"case {case.public_id} is {case.status}", field="case")
    before = {"status": case.status}
    if case.approval != approval_id:  # proposed through the approvals API directly: take its reason
        from apps.approvals.models import ApprovalRequest

        payload = ApprovalRequest.objects.get(public_id=approval_id).payload
        case.decision, case.decision_reason = CaseDecision.CLOSE, str(payload.get("reason", ""))[:MAX_REASON]
        case.approval = approval_id
    case.status = CaseStatus.CLOSED
    case.updated_at = case.closed_at = timezone.now()
    case.save(update_fields=["status", "decision", "decision_reason", "approval", "updated_at", "closed_at"])
    _close_alerts(case, actor)
    _emit_decided(case, None)
    _event(case, "closed", actor, approval=approval_id, reason=case.decision_reason)
    _audit(case, "aml.case_closed", actor, before=before, approval=approval_id, decision=CaseDecision.CLOSE)
    return case


def clean_close_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Check an AML_CASE_CLOSE request's payload (apps.approvals calls it when the request is made)."""
    case_id, reason = payload.get("case"), payload.get("reason")
    if not isinstance(case_id, str) or not case_id:
        raise InvalidInput("case is required", field="case", code="missing_field")
    if not isinstance(reason, str) or not reason.strip():
        raise CaseReasonRequired("a reason is required", field="reason")
    case = AmlCase.objects.filter(public_id=case_id).first()
    if case is None:
        raise CaseNotFound(f"no AML case {case_id}", field="case")
    if not case.is_open:
        raise CaseNotOpen(f"case {case_id} is {case.status}", field="case")
    return {"case": case_id, "reason": reason.strip()[:MAX_REASON]}


def run_close_approval(approval, payload: dict[str, Any], key: str, actor: str) -> str:
    """The approvals runner of AML_CASE_CLOSE."""
    return case_close_approved(case_id=payload["case"], approval_id=approval.public_id, actor=actor).public_id


# --- data-subject rights (apps.privacy calls this) --------------------------------------------------------------
def aml_subject_restrict(
    *, subject_id: str, retention_days: int, relationship_ended_at: datetime | None, actor: str
) -> dict[str, Any]:
    """Keep the subject's AML records and restrict their processing, instead of erasing them (in the caller's
    transaction: apps.privacy's erasure).

    AML alerts, cases (with their notes, attachments and history) and reports must be kept for ``retention_days``
    after the later of the relationship's end and the record's own end (decision, closure, filing): AMLD art. 40,
    31 CFR 1010.430; GDPR art. 17(3)(b) exempts them from erasure. Each is marked ``restricted_at`` (GDPR art. 18:
    stored, used for nothing else) with ``retain_until``; nothing is deleted or overwritten. Returns the counts and
    the latest ``retain_until``.
    """
    from ..aml_selectors import aml_record_end, aml_records_of_subject

    now = timezone.now()
    counts: dict[str, Any] = {"alerts": 0, "cases": 0, "reports": 0}
    latest = None
    for kind, queryset in aml_records_of_subject(subject_id=subject_id).items():
        rows = queryset.select_for_update(no_key=True, of=("self",))
        if kind == "alerts":
            rows = rows.select_related("case")
        for record in rows.order_by("pk"):
            ends = [aml_record_end(record=record), relationship_ended_at or now]
            retain_until = (max(ends) + timedelta(days=retention_days)).date()
            latest = max(latest, retain_until) if latest else retain_until
            if record.restricted_at is not None and record.retain_until == retain_until:
                continue
            record.restricted_at = record.restricted_at or now
            record.retain_until = retain_until
            record.save(update_fields=["restricted_at", "retain_until"])
            counts[kind] += 1
    counts["retain_until"] = latest.isoformat() if latest else None
    audit_record(
        action="aml.subject_restricted", object_type="customer", object_id=subject_id, after=counts, actor=actor
    )
    return counts
