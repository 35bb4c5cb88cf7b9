"""Writes for data-subject rights: exports (logged), consents, privacy flags, erasure requests and their execution.

Erasure is four-eyes: an officer records the request (``erasure_request`` -> an ``PRIVACY_ERASURE`` approval in
apps.approvals), a second officer approves it, and it is then scheduled for the day the longest retention rule of
the customer's records ends (``conf.retention_days``, counted from the end of the relationship: all accounts
closed). ``erasures_execute_due`` (Celery beat, daily) executes the due ones, unless a legal hold (an open
screening alert, AML alert or case, or fraud alert) applies: each app that recorded the person as a party to money
erases those values in place (``_erase_in_owning_apps``), then crypto-shredding (apps.security destroys the
customer's data key) and pseudonymising the plain identifiers (apps.customers). AML alerts, cases and reports are
kept for their own legal retention with their processing restricted (``_retain_in_owning_apps``); fraud alerts
and labels are deleted. Postings, balances and the audit trail are untouched: they hold amounts, codes and public
ids, never the person's identity, so the ledger stays balanced and the chain verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.compliance.alerts import screening_subject_erase
from apps.compliance.cases.services import aml_subject_restrict
from apps.core.errors import InvalidInput
from apps.customers.services import customer_pseudonymise
from apps.fraud.services import fraud_subject_erase
from apps.inbound.services import inbound_subject_erase
from apps.payments.services import payments_subject_erase
from apps.reconciliation.services import reconciliation_subject_erase
from apps.security.services import subject_keys_migrate, subject_shred

from . import conf, selectors
from .errors import ErasureAlreadyRequested, ErasureNotPending, InvalidPurpose
from .models import (
    Consent,
    ErasureRequest,
    ErasureStatus,
    ExportKind,
    PrivacyFlags,
    Purpose,
    SubjectExport,
)

APPROVAL_KIND = "PRIVACY_ERASURE"


# --- subject access ---------------------------------------------------------------------------------------------
def _digest(data: Any) -> tuple[str, str]:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2)
    return text, hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic(durable=True)
def subject_export(*, customer_id: str, actor: str) -> tuple[dict[str, Any], SubjectExport]:
    """Gather everything held about the customer, log the export (digest, no content) and audit it."""
    data, withheld = selectors.subject_data(customer_id=customer_id)
    _, digest = _digest(data)
    records = sum(len(v) for v in data.values() if isinstance(v, list))
    records += sum(len(v) for key in ("fraud", "aml") for v in data[key].values())
    export = SubjectExport.objects.create(
        kind=ExportKind.SUBJECT_ACCESS, customer_id=customer_id, exported_by=actor, sha256=digest, records=records
    )
    data["export"] = {"id": export.public_id, "exported_at": export.exported_at.isoformat(), "sha256": digest}
    audit_record(
        action="privacy.subject_exported",
        object_type="customer",
        object_id=customer_id,
        # Internal only (the subject's export shows the action, never this): AML records left out (tipping-off).
        after={"export": export.public_id, "sha256": digest, "records": records, "aml_withheld": withheld},
        actor=actor,
    )
    return data, export


@transaction.atomic(durable=True)
def third_party_share_export(*, actor: str) -> tuple[list[dict[str, Any]], SubjectExport]:
    """The partner-sharing list: consented customers, without CCPA "do not sell/share", restricted or erased ones."""
    rows = selectors.third_party_share_rows()
    _, digest = _digest(rows)
    export = SubjectExport.objects.create(
        kind=ExportKind.THIRD_PARTY, exported_by=actor, sha256=digest, records=len(rows)
    )
    audit_record(
        action="privacy.third_party_exported",
        object_type="privacy_export",
        object_id=export.public_id,
        after={"sha256": digest, "records": len(rows)},
        actor=actor,
    )
    return rows, export


def render_html(data: dict[str, Any]) -> str:
    """A readable page of the export (every value escaped)."""

    def block(value: Any) -> str:
        if isinstance(value, dict):
            rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{block(v)}</td></tr>" for k, v in value.items())
            return f"<table>{rows}</table>"
        if isinstance(value, list):
            if not value:
                return "<em>none</em>"
            return "<ol>" + "".join(f"<li>{block(v)}</li>" for v in value) + "</ol>"
        return html.escape("" if value is None else str(value))

    sections = "".join(
        f"<h2>{html.escape(key.replace('_', ' ').capitalize())}</h2>{block(value)}"
        for key, value in data.items()
        if key != "format"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Subject access export</title>"
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}th,td{border:1px solid #ccc;"
        "padding:2px 6px;text-align:left;vertical-align:top}</style></head><body>"
        f"<h1>Everything QENEX holds about {html.escape(data['customer']['id'])}</h1>{sections}</body></html>"
    )


# --- consents and flags -----------------------------------------------------------------------------------------
@transaction.atomic(durable=True)
def consent_record(*, customer_id: str, purpose: str, granted: bool, source: str = "branch", actor: str) -> Consent:
    if purpose not in Purpose.values:
        raise InvalidPurpose(f"unknown purpose {purpose!r}; one of {', '.join(Purpose.values)}", field="purpose")
    selectors.customer_for_subject(customer_id=customer_id)
    consent = Consent.objects.create(
        customer_id=customer_id, purpose=purpose, granted=bool(granted), source=source[:32], recorded_by=actor
    )
    audit_record(
        action="privacy.consent_recorded",
        object_type="customer",
        object_id=customer_id,
        after={"purpose": purpose, "granted": bool(granted), "source": source[:32]},
        actor=actor,
    )
    return consent


@transaction.atomic(durable=True)
def flags_set(
    *,
    customer_id: str,
    actor: str,
    do_not_sell_or_share: bool | None = None,
    processing_restricted: bool | None = None,
    restriction_reason: str = "",
) -> PrivacyFlags:
    """Set the CCPA opt-out and/or the restriction of processing (GDPR art. 18)."""
    selectors.customer_for_subject(customer_id=customer_id)
    flags, _ = PrivacyFlags.objects.select_for_update().get_or_create(customer_id=customer_id)
    before = {"do_not_sell_or_share": flags.do_not_sell_or_share, "processing_restricted": flags.processing_restricted}
    if do_not_sell_or_share is not None:
        flags.do_not_sell_or_share = bool(do_not_sell_or_share)
    if processing_restricted is not None:
        flags.processing_restricted = bool(processing_restricted)
        flags.restriction_reason = restriction_reason[:200] if processing_restricted else ""
    flags.updated_by, flags.updated_at = actor, timezone.now()
    flags.save()
    after = {"do_not_sell_or_share": flags.do_not_sell_or_share, "processing_restricted": flags.processing_restricted}
    audit_record(
        action="privacy.flags_changed",
        object_type="customer",
        object_id=customer_id,
        before=before,
        after=after,
        actor=actor,
    )
    return flags


# --- erasure ----------------------------------------------------------------------------------------------------
def erasure_request(*, customer_id: str, maker, reason: str = "") -> ErasureRequest:
    """Record the erasure request and ask a second officer to approve it (apps.approvals)."""
    from apps.approvals.services import approval_request

    selectors.customer_for_subject(customer_id=customer_id)
    erasure = _erasure_create(customer_id=customer_id, actor=maker.get_username(), reason=reason)
    approval = approval_request(
        kind=APPROVAL_KIND,
        payload={"erasure": erasure.public_id},
        maker=maker,
        idempotency_key=f"privacy-erasure:{erasure.public_id}",
    )
    _erasure_link_approval(public_id=erasure.public_id, approval_id=approval.public_id, actor=maker.get_username())
    erasure.approval_id = approval.public_id
    return erasure


@transaction.atomic(durable=True)
def _erasure_create(*, customer_id: str, actor: str, reason: str) -> ErasureRequest:
    live = ErasureRequest.objects.filter(customer_id=customer_id).exclude(status=ErasureStatus.REJECTED).first()
    if live is not None:
        raise ErasureAlreadyRequested(f"erasure {live.public_id} is already {live.status}", field="customer")
    erasure = ErasureRequest.objects.create(customer_id=customer_id, requested_by=actor, reason=reason[:200])
    audit_record(
        action="privacy.erasure_requested",
        object_type="customer",
        object_id=customer_id,
        after={"erasure": erasure.public_id, "status": erasure.status},
        actor=actor,
    )
    return erasure


@transaction.atomic(durable=True)
def _erasure_link_approval(*, public_id: str, approval_id: str, actor: str) -> None:
    erasure = ErasureRequest.objects.select_for_update().get(public_id=public_id)
    erasure.approval_id = approval_id
    erasure.save(update_fields=["approval_id"])
    audit_record(
        action="privacy.erasure_approval_requested",
        object_type="customer",
        object_id=erasure.customer_id,
        after={"erasure": public_id, "approval": approval_id},
        actor=actor,
    )


def clean_erasure_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Check a PRIVACY_ERASURE approval payload (apps.approvals calls it when the request is made)."""
    public_id = payload.get("erasure")
    if not isinstance(public_id, str) or not public_id:
        raise InvalidInput("erasure is required", field="erasure", code="missing_field")
    erasure = selectors.erasure_get(public_id=public_id)
    if erasure is None or erasure.status != ErasureStatus.PENDING_APPROVAL:
        raise ErasureNotPending(f"erasure {public_id} is not waiting for approval", field="erasure")
    return {"erasure": public_id}


def _schedule(erasure: ErasureRequest, now: dt.datetime) -> None:
    """Set when the erasure may run: relationship end + the longest retention rule of the kinds held."""
    ended, ended_at = selectors.relationship_end(customer_id=erasure.customer_id)
    rules = conf.retention_days()
    kinds = selectors.record_kinds_held(customer_id=erasure.customer_id)
    erasure.retention_kinds = [k for k in kinds if rules.get(k, 0) > 0]
    erasure.relationship_ended_at = ended_at
    if not ended or ended_at is None:
        erasure.execute_after = None
        erasure.held_reason = "relationship not ended (an account is open)"
        return
    days = max([rules.get(k, 0) for k in kinds] or [0])
    erasure.execute_after = ended_at + dt.timedelta(days=days)
    erasure.held_reason = "" if erasure.execute_after <= now else f"retention until {erasure.execute_after.date()}"


@transaction.atomic(durable=True)
def erasure_approved(*, public_id: str, approval_id: str, actor: str, now: dt.datetime | None = None) -> ErasureRequest:
    """The second officer approved: schedule the erasure for when retention ends."""
    now = now or timezone.now()
    erasure = ErasureRequest.objects.select_for_update().filter(public_id=public_id).first()
    if erasure is None or erasure.status != ErasureStatus.PENDING_APPROVAL:
        raise ErasureNotPending(f"erasure {public_id} is not waiting for approval", field="erasure")
    erasure.status, erasure.approval_id = ErasureStatus.SCHEDULED, approval_id
    _schedule(erasure, now)
    erasure.save()
    audit_record(
        action="privacy.erasure_scheduled",
        object_type="customer",
        object_id=erasure.customer_id,
        before={"status": ErasureStatus.PENDING_APPROVAL},
        after={
            "erasure": public_id,
            "status": erasure.status,
            "approval": approval_id,
            "execute_after": erasure.execute_after,
            "retention_kinds": erasure.retention_kinds,
        },
        actor=actor,
    )
    return erasure


def run_erasure_approval(approval, payload: dict[str, Any], key: str, actor: str) -> str:
    """The approvals runner of PRIVACY_ERASURE: schedule, and execute at once when nothing retains the data."""
    erasure = erasure_approved(public_id=payload["erasure"], approval_id=approval.public_id, actor=actor)
    if erasure.execute_after is not None and erasure.execute_after <= timezone.now():
        erasure_execute(public_id=erasure.public_id, actor=actor)
    return erasure.public_id


@transaction.atomic(durable=True)
def erasure_reject(*, public_id: str, actor: str, reason: str) -> ErasureRequest:
    erasure = ErasureRequest.objects.select_for_update().filter(public_id=public_id).first()
    if erasure is None or erasure.status not in {ErasureStatus.PENDING_APPROVAL, ErasureStatus.SCHEDULED}:
        raise ErasureNotPending(f"erasure {public_id} cannot be rejected", field="erasure")
    before = erasure.status
    erasure.status, erasure.held_reason = ErasureStatus.REJECTED, reason[:200]
    erasure.save(update_fields=["status", "held_reason"])
    audit_record(
        action="privacy.erasure_rejected",
        object_type="customer",
        object_id=erasure.customer_id,
        before={"status": before},
        after={"erasure": public_id, "status": erasure.status},
        actor=actor,
    )
    return erasure


def erasure_execute(*, public_id: str, actor: str = "scheduler", now: dt.datetime | None = None) -> ErasureRequest:
    """Execute a scheduled erasure if it is due and no legal hold applies; otherwise record why not."""
    now = now or timezone.now()
    erasure = selectors.erasure_get(public_id=public_id)
    if erasure is None or erasure.status != ErasureStatus.SCHEDULED:
        raise ErasureNotPending(f"erasure {public_id} is not scheduled", field="erasure")
    # Move the customer's values still in per-value envelopes under their key first (short transactions), so
    # the key's destruction reaches every one of them.
    subject_keys_migrate(subject_id=erasure.customer_id)
    return _erasure_shred(public_id=public_id, actor=actor, now=now)


def _erase_in_owning_apps(*, subject_id: str, actor: str) -> dict[str, dict[str, int]]:
    """Erase, through each owning app's service, the values about the subject that are not under their key.

    The subject key reaches what names its subject when it is written (customer, accounts, the debtor of a
    payment); the other parties of their money (payments, inbound messages, statement lines, screening names) are
    encrypted per value, so each app erases them in place and decides what it must keep (its module docstring).
    """
    return {
        "payments": payments_subject_erase(subject_id=subject_id, actor=actor),
        "inbound": inbound_subject_erase(subject_id=subject_id, actor=actor),
        "reconciliation": reconciliation_subject_erase(subject_id=subject_id, actor=actor),
        "screening": screening_subject_erase(subject_id=subject_id, actor=actor),
        "fraud": fraud_subject_erase(subject_id=subject_id, actor=actor),
    }


def _retain_in_owning_apps(*, erasure: ErasureRequest, actor: str) -> dict[str, dict[str, Any]]:
    """Records the law makes the bank keep beyond the erasure: kept, their processing restricted (GDPR art.
    17(3)(b), 18). AML alerts, cases and reports: ``aml`` days after the later of the relationship's end and their
    own end (``conf.retention_days``)."""
    return {
        "aml": aml_subject_restrict(
            subject_id=erasure.customer_id,
            retention_days=conf.retention_days()["aml"],
            relationship_ended_at=erasure.relationship_ended_at,
            actor=actor,
        )
    }


@transaction.atomic(durable=True)
def _erasure_shred(*, public_id: str, actor: str, now: dt.datetime) -> ErasureRequest:
    erasure = ErasureRequest.objects.select_for_update().get(public_id=public_id)
    if erasure.status != ErasureStatus.SCHEDULED:
        return erasure
    _schedule(erasure, now)  # accounts may have closed (or re-opened) since it was approved
    hold = selectors.legal_hold_reason(customer_id=erasure.customer_id)
    if hold or erasure.execute_after is None or erasure.execute_after > now:
        erasure.held_reason = hold or erasure.held_reason
        erasure.save()
        return erasure
    erased = _erase_in_owning_apps(subject_id=erasure.customer_id, actor=actor)
    retained = _retain_in_owning_apps(erasure=erasure, actor=actor)
    counts = subject_shred(subject_id=erasure.customer_id)
    customer_pseudonymise(public_id=erasure.customer_id, actor=actor)  # its audit record comes after the shred
    erasure.status, erasure.executed_at, erasure.held_reason = ErasureStatus.EXECUTED, now, ""
    erasure.result = {"shredded": counts, "erased": erased, "retained": retained}
    erasure.save()
    audit_record(
        action="privacy.erasure_executed",
        object_type="customer",
        object_id=erasure.customer_id,
        before={"status": ErasureStatus.SCHEDULED},
        after={
            "erasure": public_id, "status": erasure.status, "shredded": counts, "erased": erased, "retained": retained,
        },
        actor=actor,
    )
    return erasure


def erasures_execute_due(*, now: dt.datetime | None = None, actor: str = "scheduler") -> list[str]:
    """Execute every scheduled erasure that is due (Celery beat); return the public ids executed."""
    now = now or timezone.now()
    done = []
    for public_id in list(selectors.erasures_scheduled().values_list("public_id", flat=True)):
        if erasure_execute(public_id=public_id, actor=actor, now=now).status == ErasureStatus.EXECUTED:
            done.append(public_id)
    return done
