"""Writes of screening alerts and the allow/block lists: raise, clear, confirm, block, rescreen.

Each write is one durable transaction whose last write is its one audit record (one shard head locked per
transaction, so two of these never wait on each other's chain heads in opposite orders). What a decision does to
the money runs after that commit, through the owning app's services, each in its own transaction:

- clear (false positive): the party goes on the allow list for that entry (who, when, why; valid while the
  entry's content digest is unchanged); a held payment that no other screening alert and no AML alert holds is
  released (``payment_holds``, shared with the AML alerts); the customer's
  sanctions status is recomputed by the customers app.
- confirm (true match): a held payment is rejected (its reserved funds released by the gateway) and the account
  it debits frozen; a customer's accounts are all frozen and the customer marked. Unfreezing is the existing
  four-eyes ``ACCOUNT_UNFREEZE`` approval. The match becomes an AML alert (rule ``sanctions-match``) in the
  customer's case, opened if none is open, where an officer decides on a SAR.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import Conflict, InvalidInput
from apps.events.services import emit_event
from apps.security.fields import erase_values

from . import alert_selectors, subjects
from .alert_models import (
    BLOCK_LIST_CODE,
    AlertStatus,
    AllowListEntry,
    BlockListEntry,
    RescreenRun,
    RescreenStatus,
    ScreeningAlert,
    SubjectType,
)
from .party_screening import Party, PartyHit, current_entry_hashes, party_keys, screen_party

logger = logging.getLogger(__name__)
MAX_REASON = 1000


class AlertNotOpen(Conflict):
    code = "alert_not_open"


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a decision needs a reason", field="reason", code="reason_required")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"a reason is at most {MAX_REASON} characters", field="reason", code="reason_too_long")
    return reason


def _alert_summary(alert: ScreeningAlert) -> dict:
    # Never the party's name (PII, and the trail cannot be erased): the role, the entry, the score.
    return {
        "alert": alert.public_id,
        "party_role": alert.party_role,
        "list": alert.list_code,
        "entry_id": alert.entry_id,
        "score": alert.score,
        "status": alert.status,
    }


def _alert_event(alert: ScreeningAlert) -> dict:
    # As the audit summary: never the party's name.
    return {
        "alert": alert.public_id,
        "subject_type": alert.subject_type,
        "subject_id": alert.subject_id,
        "party_role": alert.party_role,
        "list": alert.list_code,
        "entry_id": alert.entry_id,
        "score": alert.score,
        "status": alert.status,
        "source": alert.source,
    }


def _write_alerts(
    *,
    subject_type: str,
    subject_id: str,
    found: list[tuple[Party, PartyHit]],
    source: str,
    owner_id: str,
    account: str,
    actor: str,
) -> list[ScreeningAlert]:
    """Insert an open alert per (party, hit) not already open; one audit record for them. In a transaction."""
    open_now = set(
        ScreeningAlert.objects.filter(
            subject_type=subject_type, subject_id=subject_id, status=AlertStatus.OPEN
        ).values_list("party_role", "list_code", "entry_id")
    )
    created = []
    for party, hit in found:
        if (party.role, hit.list, hit.entry_id) in open_now:
            continue
        open_now.add((party.role, hit.list, hit.entry_id))
        alert = ScreeningAlert(
            subject_type=subject_type,
            subject_id=subject_id,
            party_role=party.role,
            party_name=party.name,
            party_country=(party.country or "")[:100],
            owner_id=owner_id,
            account=account,
            list_code=hit.list,
            entry_id=hit.entry_id,
            entry_hash=hit.entry_hash,
            matched_name=hit.matched_name[:500],
            score=hit.score,
            explanation=hit.explanation,
            source=source,
        )
        try:
            with transaction.atomic():  # a concurrent screening of the same subject raised it first
                alert.save()
                emit_event("screening.alert_raised", alert.public_id, _alert_event(alert))
        except IntegrityError:
            continue
        created.append(alert)
    if created:
        audit_record(
            action="screening.alerts_raised",
            object_type=subject_type,
            object_id=subject_id,
            after={"source": source, "alerts": [_alert_summary(a) for a in created]},
            actor=actor,
        )
    return created


def screening_subject_screen(
    *,
    subject_type: str,
    subject_id: str,
    parties: Iterable[Party],
    source: str,
    owner_id: str = "",
    account: str = "",
    actor: str = "system",
) -> list[ScreeningAlert]:
    """Screen a subject's parties (allow/block lists applied) and raise an alert per new hit; return the new ones.

    The screening reads happen before the transaction opens; nothing is written when nothing matched.
    """
    found = [(party, hit) for party in parties if party.name for hit in screen_party(party)]
    if not found:
        return []
    with transaction.atomic(durable=True):
        created = _write_alerts(
            subject_type=subject_type,
            subject_id=subject_id,
            found=found,
            source=source,
            owner_id=owner_id,
            account=account,
            actor=actor,
        )
    _notify(subject_type, subject_id)
    return created


def subject_alerts_record(
    *, subject_type: str, subject_id: str, found: list[tuple[Party, PartyHit]], owner_id: str, account: str
) -> list[ScreeningAlert]:
    """Record the alerts of a payment a sanctions check held (called after the payment's commit)."""
    with transaction.atomic(durable=True):
        return _write_alerts(
            subject_type=subject_type,
            subject_id=subject_id,
            found=found,
            source=subject_type,
            owner_id=owner_id,
            account=account,
            actor="system",
        )


def _lock_alert(public_id: str) -> ScreeningAlert:
    from .alert_selectors import AlertNotFound

    alert = ScreeningAlert.objects.select_for_update(no_key=True).filter(public_id=public_id).first()
    if alert is None:
        raise AlertNotFound(f"no screening alert {public_id}", field="alert")
    if alert.status != AlertStatus.OPEN:
        raise AlertNotOpen(f"alert {public_id} is {alert.status}, not open", field="alert")
    return alert


def _decide(alert: ScreeningAlert, status: str, reason: str, actor: str) -> None:
    alert.status, alert.decision_reason = status, reason
    alert.decided_by, alert.decided_at = actor[:150], timezone.now()
    alert.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
    emit_event("screening.alert_decided", alert.public_id, _alert_event(alert) | {"decided_by": alert.decided_by})


def alert_clear(*, alert_id: str, reason: str, actor: str) -> ScreeningAlert:
    """An officer clears an alert as a false positive: allow-list the party for the entry; let the money go."""
    reason = _reason(reason)
    with transaction.atomic(durable=True):
        alert = _lock_alert(alert_id)
        _decide(alert, AlertStatus.CLEARED, reason, actor)
        allow = None
        if alert.list_code != BLOCK_LIST_CODE:  # the bank's own block list is not overridden by an allow entry
            digest = current_entry_hashes({(alert.list_code, alert.entry_id)}).get(
                (alert.list_code, alert.entry_id), alert.entry_hash
            )
            allow = AllowListEntry.objects.create(
                party_name=alert.party_name,
                list_code=alert.list_code,
                entry_id=alert.entry_id,
                entry_hash=digest,
                reason=reason,
                alert=alert,
                created_by=actor[:150],
            )
        audit_record(
            action="screening.alert_cleared",
            object_type=alert.subject_type,
            object_id=alert.subject_id,
            before={"status": AlertStatus.OPEN},
            after=_alert_summary(alert) | {"reason": reason, "allow_list_entry": allow.public_id if allow else None},
            actor=actor,
        )
    _after_decision(alert, actor)
    return alert


def alert_confirm(*, alert_id: str, reason: str, actor: str) -> ScreeningAlert:
    """An officer confirms a true match: the payment is rejected, the accounts frozen, the customer marked."""
    reason = _reason(reason)
    with transaction.atomic(durable=True):
        alert = _lock_alert(alert_id)
        _decide(alert, AlertStatus.CONFIRMED, reason, actor)
        audit_record(
            action="screening.alert_confirmed",
            object_type=alert.subject_type,
            object_id=alert.subject_id,
            before={"status": AlertStatus.OPEN},
            after=_alert_summary(alert) | {"reason": reason},
            actor=actor,
        )
    _after_decision(alert, actor)
    return alert


def _after_decision(alert: ScreeningAlert, actor: str) -> None:
    """What the decision does to the money: each step its owning app's service, in its own transaction."""
    from apps.accounts.models import AccountStatus
    from apps.accounts.selectors import account_list
    from apps.ledger.services import account_change_status

    from .payment_holds import held_payment_reject, held_payment_release

    if alert.subject_type == SubjectType.PAYMENT:
        if alert.status == AlertStatus.CONFIRMED:
            held_payment_reject(
                payment_id=alert.subject_id, actor=actor, reason=f"sanctions match confirmed ({alert.public_id})"
            )
        else:  # released once no other screening alert, nor an AML alert, holds it
            held_payment_release(payment_id=alert.subject_id, actor=actor)
    if alert.status == AlertStatus.CONFIRMED:
        handler = subjects.handler_of(alert.subject_type)
        accounts = set(handler.accounts(alert.subject_id)) if handler else set()
        if alert.account:
            accounts.add(alert.account)
        if alert.owner_id and alert.subject_type == SubjectType.CUSTOMER:
            accounts |= set(account_list(owner_id=alert.owner_id).values_list("public_id", flat=True))
        for account in account_list().filter(public_id__in=accounts, status=AccountStatus.ACTIVE).order_by("pk"):
            account_change_status(public_id=account.public_id, status=AccountStatus.FROZEN, actor=actor)
        _open_case(alert)
    _notify(alert.subject_type, alert.subject_id)


def _open_case(alert: ScreeningAlert) -> None:
    """A confirmed match goes into the customer's AML case (opened if none is open), where the SAR is decided."""
    from .monitoring.services import sanctions_match_alert_raise

    if not alert.owner_id:
        return  # an inbound payment for nobody of ours: no customer, no case
    sanctions_match_alert_raise(
        screening_alert_id=alert.public_id,
        owner_id=alert.owner_id,
        account=alert.account,
        subject=alert.subject_id,
        summary=(
            f"confirmed sanctions match of the {alert.party_role} of {alert.subject_type} {alert.subject_id}: "
            f"{alert.list_code} entry {alert.entry_id} (score {alert.score:.2f}), screening alert {alert.public_id}"
        ),
        figures={
            "screening_alert": alert.public_id,
            "list": alert.list_code,
            "entry_id": alert.entry_id,
            "score": alert.score,
            "party_role": alert.party_role,
            "decided_by": alert.decided_by,
        },
    )


def _notify(subject_type: str, subject_id: str) -> None:
    handler = subjects.handler_of(subject_type)
    if handler is not None:
        handler.alerts_changed(subject_id)


# --- block list ----------------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def block_list_add(*, name: str, reason: str, actor: str) -> BlockListEntry:
    """Put a party on the bank's block list: every screening of the name raises an alert (listed or not)."""
    if not isinstance(name, str) or not name.strip() or len(name) > 300:
        raise InvalidInput("a name of 1-300 characters is required", field="name")
    reason = _reason(reason)
    if BlockListEntry.objects.filter(party_key__in=party_keys(name), revoked_at__isnull=True).exists():
        raise Conflict("this party is on the block list already", field="name", code="already_blocked")
    entry = BlockListEntry.objects.create(party_name=name.strip(), reason=reason, created_by=actor[:150])
    audit_record(
        action="screening.block_list_added",
        object_type="block_list_entry",
        object_id=entry.public_id,
        after={"reason": reason},
        actor=actor,
    )
    return entry


@transaction.atomic(durable=True)
def block_list_revoke(*, public_id: str, actor: str) -> BlockListEntry:
    entry = BlockListEntry.objects.select_for_update(no_key=True).filter(public_id=public_id).first()
    if entry is None:
        raise InvalidInput(f"no block-list entry {public_id}", field="entry", code="not_found")
    if entry.revoked_at is not None:
        return entry
    entry.revoked_at, entry.revoked_by = timezone.now(), actor[:150]
    entry.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        action="screening.block_list_revoked", object_type="block_list_entry", object_id=entry.public_id, actor=actor
    )
    return entry


@transaction.atomic(durable=True)
def allow_list_revoke(*, public_id: str, reason: str, actor: str) -> AllowListEntry:
    """Withdraw an allow-list entry: the party alerts again on that entry."""
    reason = _reason(reason)
    entry = AllowListEntry.objects.select_for_update(no_key=True).filter(public_id=public_id).first()
    if entry is None:
        raise InvalidInput(f"no allow-list entry {public_id}", field="entry", code="not_found")
    if entry.revoked_at is None:
        entry.revoked_at, entry.revoked_reason = timezone.now(), reason[:500]
        entry.save(update_fields=["revoked_at", "revoked_reason"])
        audit_record(
            action="screening.allow_list_revoked",
            object_type="allow_list_entry",
            object_id=entry.public_id,
            after={"reason": reason},
            actor=actor,
        )
    return entry


# --- rescreen after a list load --------------------------------------------------------------------------------


def rescreen_start(*, load_id: int, actor: str = "system") -> RescreenRun | None:
    """Queue a rescreen of every subject against the entries ``load_id`` added or changed; None if there are none.

    The run is recorded, then handed to a Celery worker once committed (``screening_tasks.rescreen``).
    """
    from .models import SanctionsEntry, SanctionsListLoad

    load = SanctionsListLoad.objects.filter(pk=load_id).first()
    if load is None:
        raise InvalidInput(f"no list load {load_id}", field="load", code="not_found")
    entry_ids = sorted(
        SanctionsEntry.objects.filter(last_changed_load=load, listed=True).values_list("entry_id", flat=True)
    )
    if not entry_ids:
        return None
    total = sum(h.count() for h in subjects.registered().values())
    with transaction.atomic(durable=True):
        run = RescreenRun.objects.create(load=load, entry_ids=entry_ids, total=total)
        audit_record(
            action="screening.rescreen_queued",
            object_type="rescreen_run",
            object_id=run.public_id,
            after={"load": load.pk, "entries": len(entry_ids), "subjects": total},
            actor=actor,
        )
    from .screening_tasks import rescreen

    # The durable block has committed: a worker finds the run (with eager Celery it runs here and now).
    rescreen.delay(run_id=run.public_id)
    return run


PROGRESS_EVERY = 50


def rescreen_run(*, run_id: str) -> RescreenRun:
    """Screen every registered subject against the run's entries only (a small index of them); record alerts."""
    from .screening import index_of_entries

    run = RescreenRun.objects.select_related("load__sanctions_list").get(public_id=run_id)
    if run.status == RescreenStatus.DONE:
        return run
    RescreenRun.objects.filter(pk=run.pk).update(status=RescreenStatus.RUNNING, done=0)
    index = None  # built on the first subject: a bank without customers or held payments pays nothing
    done = raised = 0
    try:
        for subject_type, handler in subjects.registered().items():
            for subject in handler.parties():
                if index is None:
                    index = index_of_entries(list_code=run.load.sanctions_list.code, entry_ids=run.entry_ids)
                found = [
                    (p, h) for p in subject.parties if p.name for h in screen_party(p, index=index, block_list=False)
                ]
                if found:
                    with transaction.atomic(durable=True):
                        raised += len(
                            _write_alerts(
                                subject_type=subject_type,
                                subject_id=subject.subject_id,
                                found=found,
                                source="rescreen",
                                owner_id=subject.owner_id,
                                account=subject.account,
                                actor="system",
                            )
                        )
                    handler.alerts_changed(subject.subject_id)
                done += 1
                if done % PROGRESS_EVERY == 0:
                    RescreenRun.objects.filter(pk=run.pk).update(done=done, alerts_raised=raised)
    except Exception as exc:
        RescreenRun.objects.filter(pk=run.pk).update(
            status=RescreenStatus.FAILED, done=done, alerts_raised=raised, error=str(exc)[:500]
        )
        raise
    with transaction.atomic(durable=True):
        RescreenRun.objects.filter(pk=run.pk).update(
            status=RescreenStatus.DONE,
            done=done,
            total=max(done, run.total),
            alerts_raised=raised,
            finished_at=timezone.now(),
        )
        audit_record(
            action="screening.rescreen_done",
            object_type="rescreen_run",
            object_id=run.public_id,
            after={"subjects": done, "alerts_raised": raised},
        )
    run.refresh_from_db()
    return run


# --- data-subject erasure -----------------------------------------------------------------------------------------


@transaction.atomic
def screening_subject_erase(*, subject_id: str, actor: str) -> dict[str, int]:
    """Erase the screened names of the subject's alerts, and the allow- and revoked block-list entries for them.

    apps.privacy calls it once retention has ended and no open alert or case holds the data. Kept, as the record
    that the bank screened and what it decided (no identity in them): list, entry id, score, status, who decided
    when and why, and ``matched_name``, the published list entry's own name. An active block-list entry is kept
    whole: it is the bank's standing refusal to deal with that party (AML risk management, GDPR art. 17(3)(b)),
    and erasing it would let the party back in; a revoked one no longer serves that and is erased.
    """
    counts = {"alerts": 0, "allow_list": 0, "block_list": 0}
    alerts = list(
        alert_selectors.alerts_of_subject(subject_id=subject_id).select_for_update(no_key=True).order_by("pk")
    )
    keys = {a.party_key for a in alerts if a.party_key}
    for alert in alerts:
        if fields := erase_values(alert, "party_name"):
            alert.save(update_fields=fields)
            counts["alerts"] += 1
    now = timezone.now()
    for entry in AllowListEntry.objects.filter(alert__in=alerts).select_for_update(no_key=True).order_by("pk"):
        fields = erase_values(entry, "party_name")
        if entry.revoked_at is None:  # a name that reads "[erased]" clears nobody: revoke it as well
            entry.revoked_at, entry.revoked_reason = now, "data subject erased"
            fields += ["revoked_at", "revoked_reason"]
        if fields:
            entry.save(update_fields=fields)
            counts["allow_list"] += 1
    revoked = BlockListEntry.objects.filter(party_key__in=keys, revoked_at__isnull=False)
    for entry in revoked.select_for_update(no_key=True).order_by("pk"):
        if fields := erase_values(entry, "party_name"):
            entry.save(update_fields=fields)
            counts["block_list"] += 1
    audit_record(
        action="screening.subject_erased", object_type="customer", object_id=subject_id, after=counts, actor=actor
    )
    return counts
