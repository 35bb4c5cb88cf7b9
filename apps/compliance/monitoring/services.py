"""Writes of AML monitoring: rule edits (each one a new version), alerts, and the evaluation that raises them.

Evaluation reads outside any transaction (the posting has committed; the rules only read history), then each
finding is raised in its own short durable transaction: the alert row (unique per rule and finding, so evaluating
the same transaction twice raises one alert), the customer's open case (created when there is none), the case's
history and one audit record, written last. Nothing here runs inside a posting's transaction.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import InvalidInput

from ..aml_models import (
    AmlAlert,
    MonitoringRule,
    MonitoringRuleVersion,
    MonitoringSweep,
    RuleKind,
    RuleSchedule,
    Severity,
)
from . import movements as mv
from .rules import EVALUATORS, PAYMENT_KINDS, Finding, holds_payment, merged, validate_parameters

logger = logging.getLogger("qenex.compliance.monitoring")

RULE_FIELDS = ("name", "kind", "schedule", "parameters", "severity", "active")
SWEEP_SETTLE = timedelta(seconds=60)  # postings younger than this are left to the next sweep (still committing)
SWEEP_FIRST_WINDOW = timedelta(days=1)


def monitoring_enabled() -> bool:
    return bool(settings.QENEX["compliance"].get("transaction_monitoring", True))


# --- which rules are active: read at most every few seconds per process (the hooks ask on every posting) ---------
_ACTIVE_TTL = 5.0
_active: dict[str, Any] = {"expires": 0.0, "posting": frozenset(), "payment": frozenset()}


def invalidate_active_rules() -> None:
    _active["expires"] = 0.0


def active_real_time_kinds() -> tuple[frozenset[str], frozenset[str]]:
    """(kinds of active real-time rules that look at postings, ... that look at payments), cached briefly."""
    now = time.monotonic()
    if now >= _active["expires"]:
        kinds = set(
            MonitoringRule.objects.filter(active=True, schedule=RuleSchedule.REAL_TIME).values_list("kind", flat=True)
        )
        _active["posting"] = frozenset(
            k for k in kinds if k not in PAYMENT_KINDS or k == RuleKind.NEW_COUNTERPARTY_LARGE
        )
        _active["payment"] = frozenset(k for k in kinds if k in PAYMENT_KINDS)
        _active["expires"] = now + _ACTIVE_TTL
    return _active["posting"], _active["payment"]


# --- rules ---------------------------------------------------------------------------------------------------------
def _check_rule(fields: dict[str, Any]) -> None:
    if fields["kind"] not in RuleKind.values:
        raise InvalidInput(f"unknown rule kind {fields['kind']!r}", field="kind", code="invalid_choice")
    if fields["schedule"] not in RuleSchedule.values:
        raise InvalidInput(f"unknown schedule {fields['schedule']!r}", field="schedule", code="invalid_choice")
    problems = validate_parameters(fields["kind"], fields["parameters"])
    if problems:
        raise InvalidInput("; ".join(problems), field="parameters", code="invalid_rule_parameters")


def _snapshot(rule: MonitoringRule, actor: str) -> MonitoringRuleVersion:
    return MonitoringRuleVersion.objects.create(
        rule=rule,
        version=rule.version,
        kind=rule.kind,
        schedule=rule.schedule,
        parameters=rule.parameters,
        severity=rule.severity,
        active=rule.active,
        created_by=actor,
    )


def _state(rule: MonitoringRule) -> dict[str, Any]:
    return {"version": rule.version, **{f: getattr(rule, f) for f in RULE_FIELDS}}


@transaction.atomic(durable=True)
def rule_save(
    *,
    code: str,
    name: str,
    kind: str,
    parameters: dict[str, Any] | None = None,
    schedule: str = RuleSchedule.REAL_TIME,
    severity: int = 2,
    active: bool = True,
    actor: str = "system",
) -> MonitoringRule:
    """Create the rule ``code`` or change it; a change writes version N+1 (alerts keep the version that raised them).

    Saving what is already stored changes nothing and writes nothing.
    """
    fields = {
        "name": name,
        "kind": kind,
        "schedule": schedule,
        "parameters": parameters or {},
        "severity": int(severity),
        "active": bool(active),
    }
    _check_rule(fields)
    rule = MonitoringRule.objects.select_for_update(no_key=True).filter(code=code).first()
    if rule is None:
        rule = MonitoringRule.objects.create(code=code, version=1, updated_by=actor, **fields)
        _snapshot(rule, actor)
        audit_record(action="aml.rule_created", object_type="aml_rule", object_id=code, after=_state(rule), actor=actor)
    else:
        if all(getattr(rule, f) == v for f, v in fields.items()):
            return rule
        before = _state(rule)
        if rule.kind != kind:
            raise InvalidInput("a rule's kind cannot change; create another rule", field="kind", code="rule_kind_fixed")
        for f, v in fields.items():
            setattr(rule, f, v)
        rule.version = F("version") + 1
        rule.updated_at, rule.updated_by = timezone.now(), actor
        rule.save()
        rule.refresh_from_db()
        _snapshot(rule, actor)
        audit_record(
            action="aml.rule_changed",
            object_type="aml_rule",
            object_id=code,
            before=before,
            after=_state(rule),
            actor=actor,
        )
    invalidate_active_rules()  # this process at once (a test's transaction never commits), others within seconds
    transaction.on_commit(invalidate_active_rules)
    return rule


def _current_versions(*, schedules: tuple[str, ...], kinds: frozenset[str] | None = None):
    versions = MonitoringRuleVersion.objects.filter(
        rule__active=True, rule__schedule__in=schedules, version=F("rule__version")
    ).select_related("rule")
    if kinds is not None:
        versions = versions.filter(kind__in=list(kinds))
    return list(versions.order_by("rule__code"))


# --- alerts --------------------------------------------------------------------------------------------------------
@transaction.atomic(durable=True)
def alert_raise(*, version: MonitoringRuleVersion, finding: Finding, held_payment: str = "") -> AmlAlert | None:
    """Record what a rule version found, in the customer's open case; None when this finding has its alert already.

    ``held_payment``: the outbound payment this hit holds in HELD (released or rejected when the alert is decided).
    """
    from ..cases import services as cases

    rule = version.rule
    if AmlAlert.objects.filter(rule=rule, dedupe_key=finding.dedupe_key[:200]).exists():
        return None
    try:
        with transaction.atomic():
            alert = AmlAlert.objects.create(
                rule=rule,
                rule_version=version,
                kind=version.kind,
                owner_id=finding.owner_id,
                account=finding.account,
                severity=version.severity,
                summary=finding.summary[:500],
                transactions=finding.transactions,
                figures=finding.figures,
                dedupe_key=finding.dedupe_key[:200],
                held_payment=held_payment,
            )
    except IntegrityError:
        return None  # a concurrent evaluation raised it first
    case, opened = cases.case_take_alert(alert=alert)
    audit_record(
        action="aml.alert_raised",
        object_type="aml_alert",
        object_id=alert.public_id,
        after={
            "rule": rule.code,
            "rule_version": version.version,
            "kind": alert.kind,
            "owner_id": alert.owner_id,
            "severity": alert.severity,
            "transactions": alert.transactions[:50],
            "figures": alert.figures,
            "case": case.public_id,
            "case_opened": opened,
            "held_payment": held_payment or None,
        },
    )
    logger.info("AML alert %s (%s v%s) for %s", alert.public_id, rule.code, version.version, alert.owner_id)
    return alert


def _evaluate(versions: list[MonitoringRuleVersion], triggers: list) -> list[AmlAlert]:
    raised = []
    for trigger in triggers:
        findings_of = []
        with mv.history_cache():  # the rules read the customer's history once per trigger
            for version in versions:
                try:
                    findings_of.append(
                        (version, EVALUATORS[version.kind](merged(version.kind, version.parameters), trigger))
                    )
                except Exception:  # noqa: BLE001 - one broken rule must not stop the others
                    logger.exception("AML rule %s v%s failed", version.rule.code, version.version)
        for version, findings in findings_of:
            for finding in findings:
                alert = alert_raise(version=version, finding=finding)
                if alert is not None:
                    raised.append(alert)
    return raised


def transactions_evaluate(*, transaction_ids: list[str], schedules: tuple[str, ...] = (RuleSchedule.REAL_TIME,)):
    """Evaluate the active rules of ``schedules`` on posted transactions; return the alerts raised."""
    if not monitoring_enabled():
        return []
    versions = [
        v
        for v in _current_versions(schedules=schedules)
        if v.kind not in PAYMENT_KINDS or v.kind == RuleKind.NEW_COUNTERPARTY_LARGE
    ]
    if not versions:
        return []
    return _evaluate(versions, mv.movements_of_transactions(public_ids=transaction_ids))


def payment_evaluate(*, payment_id: str) -> list[AmlAlert]:
    """Evaluate the active real-time payment rules on an outbound payment."""
    if not monitoring_enabled():
        return []
    versions = _current_versions(schedules=(RuleSchedule.REAL_TIME,), kinds=PAYMENT_KINDS)
    payment = mv.payment_seen(public_id=payment_id) if versions else None
    if payment is None:
        return []
    return _evaluate(versions, [payment])


@dataclass(frozen=True)
class PaymentHit:
    version: MonitoringRuleVersion
    finding: Finding
    holds: bool  # the rule stops the payment (``rules.holds_payment``)


def payment_hits(payment) -> list[PaymentHit]:
    """The active real-time payment rules' findings on an outbound payment being checked (reads only: this runs
    inside the payment's transaction, from the gateway's check registry)."""
    if not monitoring_enabled():
        return []
    _, kinds = active_real_time_kinds()
    if not kinds:
        return []  # no query for a bank with no active payment rule
    trigger = mv.payment_seen_of(payment)
    hits = []
    for version in _current_versions(schedules=(RuleSchedule.REAL_TIME,), kinds=PAYMENT_KINDS):
        params = merged(version.kind, version.parameters)
        try:
            findings = EVALUATORS[version.kind](params, trigger)
        except Exception:  # noqa: BLE001 - one broken rule must not stop the payment or the other rules
            logger.exception("AML rule %s v%s failed on payment %s", version.rule.code, version.version, payment)
            continue
        hits += [PaymentHit(version, f, holds_payment(version.kind, params)) for f in findings]
    return hits


def payment_alerts_record(*, payment_id: str, hits: list[PaymentHit], held: bool) -> list[AmlAlert]:
    """After the payment committed: an alert per hit (each its own transaction); those of holding rules name the
    payment they hold when ``held``."""
    raised = []
    for hit in hits:
        alert = alert_raise(
            version=hit.version, finding=hit.finding, held_payment=payment_id if held and hit.holds else ""
        )
        if alert is not None:
            raised.append(alert)
    return raised


@dataclass(frozen=True)
class SweepResult:
    since: datetime
    until: datetime
    movements: int
    alerts: list[AmlAlert]
    orphaned_holds: list[AmlAlert]  # alerts raised now for payments held without one (see held_payments_alert)


def held_payments_alert(*, held_before: datetime) -> list[AmlAlert]:
    """Alerts for payments an AML rule held whose alerts were never written (the after-commit write failed: the
    database went away between the order's commit and the alert's). Without its alert a held payment waits for an
    officer who is never asked; the rules run again on it and each holding hit becomes its alert, naming it."""
    from apps.payments.selectors import payments_held_for

    from .hooks import HOLD_CODE

    held = list(payments_held_for(reason_code=HOLD_CODE, held_before=held_before))
    alerted = set(
        AmlAlert.objects.filter(held_payment__in=[p.public_id for p in held]).values_list("held_payment", flat=True)
    )
    raised: list[AmlAlert] = []
    for payment in (p for p in held if p.public_id not in alerted):
        holding = [hit for hit in payment_hits(payment) if hit.holds]
        if not holding:
            logger.error(
                "payment %s is held by AML monitoring without an alert and no rule finds it now: decide it in the "
                "held-payments queue",
                payment.public_id,
            )
            continue
        raised += payment_alerts_record(payment_id=payment.public_id, hits=holding, held=True)
    return raised


def monitoring_sweep(*, until: datetime | None = None) -> SweepResult | None:
    """Evaluate every active rule (windowed and real-time alike) on what was posted since the last sweep.

    The real-time rules run again so that anything the after-commit hook missed (a worker down) is caught up; the
    alerts' dedupe keys make a finding already raised a no-op. None when monitoring is off.
    """
    if not monitoring_enabled():
        return None
    until = until or timezone.now() - SWEEP_SETTLE
    last = MonitoringSweep.objects.order_by("-until").values_list("until", flat=True).first()
    since = last or until - SWEEP_FIRST_WINDOW
    if since >= until:
        return SweepResult(since, until, 0, [], [])
    versions = [
        v
        for v in _current_versions(schedules=(RuleSchedule.REAL_TIME, RuleSchedule.WINDOWED))
        if v.kind not in PAYMENT_KINDS or v.kind == RuleKind.NEW_COUNTERPARTY_LARGE
    ]
    found = mv.movements_posted(since=since, until=until)
    alerts = _evaluate(versions, found) if versions else []
    orphaned = held_payments_alert(held_before=until)
    with transaction.atomic(durable=True):
        MonitoringSweep.objects.create(
            since=since, until=until, movements=len(found), alerts=len(alerts) + len(orphaned)
        )
    return SweepResult(since, until, len(found), alerts, orphaned)


SANCTIONS_MATCH_RULE = "sanctions-match"


def sanctions_match_alert_raise(
    *, screening_alert_id: str, owner_id: str, account: str, subject: str, summary: str, figures: dict[str, Any]
) -> AmlAlert | None:
    """A confirmed sanctions match becomes an AML alert in the customer's case (opening one): the case is where the
    officer documents it and decides on a SAR. Once per screening alert; None when it was raised already.

    The ``sanctions-match`` rule (kind ``sanctions_match``, critical) is written the first time: a rule row is what
    an alert and its version refer to, though nothing evaluates it over postings.
    """
    rule = MonitoringRule.objects.filter(code=SANCTIONS_MATCH_RULE).first()
    if rule is None:
        try:
            rule = rule_save(  # its own durable transaction and audit record
                code=SANCTIONS_MATCH_RULE,
                name="Confirmed sanctions match",
                kind=RuleKind.SANCTIONS_MATCH,
                schedule=RuleSchedule.WINDOWED,
                severity=Severity.CRITICAL,
                actor="system",
            )
        except IntegrityError:  # written by a concurrent confirmation
            rule = MonitoringRule.objects.get(code=SANCTIONS_MATCH_RULE)
    version = MonitoringRuleVersion.objects.get(rule=rule, version=rule.version)
    return alert_raise(  # its own durable transaction: the alert, the case, the audit record
        version=version,
        finding=Finding(
            owner_id=owner_id,
            summary=summary,
            dedupe_key=f"screening:{screening_alert_id}",
            transactions=[subject],
            figures=figures,
            account=account,
        ),
    )
