"""Reads of AML rules, alerts, cases and reports for the API and the admin. Never write, never lock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

from apps.core.errors import NotFound

from .aml_models import AlertStatus, AmlAlert, AmlCase, AmlReport, CaseAttachment, CustomReport, MonitoringRule
from .reports import fincen


def rule_list(*, active: bool | None = None) -> QuerySet[MonitoringRule]:
    rules = MonitoringRule.objects.all()
    return rules if active is None else rules.filter(active=active)


def alert_list(
    *,
    owner_id: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    rule: str | None = None,
    raised_before: datetime | None = None,
) -> QuerySet:
    """Alerts matching the filters; ``rule`` is a rule's code, ``raised_before`` keeps those at least that old."""
    alerts = AmlAlert.objects.select_related("rule", "rule_version", "case")
    for name, value in (("owner_id", owner_id), ("status", status), ("kind", kind), ("rule__code", rule)):
        if value:
            alerts = alerts.filter(**{name: value})
    if raised_before is not None:
        alerts = alerts.filter(raised_at__lt=raised_before)
    return alerts


def alert_get(*, public_id: str) -> AmlAlert:
    alert = alert_list().filter(public_id=public_id).first()
    if alert is None:
        raise NotFound(f"no AML alert {public_id}", field="alert", code="alert_not_found")
    return alert


@dataclass(frozen=True)
class AlertEvidence:
    """The transactions an alert names, found: journal entries, payments, and the ids that are neither."""

    entries: list = field(default_factory=list)
    payments: list = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def alert_evidence(*, alert: AmlAlert) -> AlertEvidence:
    """What raised ``alert``: its transactions (posted journal entries) and payments, in the alert's order."""
    from apps.ledger.selectors import transaction_list
    from apps.payments.selectors import payment_list

    ids = list(dict.fromkeys(alert.transactions))
    entries = {e.public_id: e for e in transaction_list().filter(public_id__in=ids)}
    payments = {p.public_id: p for p in payment_list().select_related("debtor_account").filter(public_id__in=ids)}
    return AlertEvidence(
        entries=[entries[i] for i in ids if i in entries],
        payments=[payments[i] for i in ids if i in payments],
        missing=[i for i in ids if i not in entries and i not in payments],
    )


def case_workers() -> QuerySet:
    """Active staff users who may work AML cases (``compliance.work_amlcase``, through a role or their own)."""
    permission = Permission.objects.filter(content_type__app_label="compliance", codename="work_amlcase")
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(is_superuser=True) | Q(groups__permissions__in=permission) | Q(user_permissions__in=permission))
        .distinct()
        .order_by("username")
    )


def case_list(*, owner_id: str | None = None, status: str | None = None, assignee: str | None = None) -> QuerySet:
    found = AmlCase.objects.select_related("assignee")
    if owner_id:
        found = found.filter(owner_id=owner_id)
    if status:
        found = found.filter(status=status)
    if assignee:
        found = found.filter(assignee__username=assignee)
    return found


def case_get(*, public_id: str) -> AmlCase:
    case = (
        AmlCase.objects.select_related("assignee")
        .prefetch_related("alerts__rule", "alerts__rule_version", "notes", "events", "attachments", "reports")
        .filter(public_id=public_id)
        .first()
    )
    if case is None:
        raise NotFound(f"no AML case {public_id}", field="case", code="case_not_found")
    return case


def case_attachment_get(*, case_id: str, attachment_id: int) -> CaseAttachment:
    """A file of case ``case_id`` (404 ``attachment_not_found`` for a file of another case or none)."""
    attachment = CaseAttachment.objects.filter(case__public_id=case_id, pk=attachment_id).first()
    if attachment is None:
        raise NotFound(f"case {case_id} has no attachment {attachment_id}", field="attachment",
                       code="attachment_not_found")
    return attachment


def report_list(*, report_type: str | None = None, status: str | None = None, owner_id: str | None = None):
    found = AmlReport.objects.select_related("case")
    for name, value in (("report_type", report_type), ("status", status), ("owner_id", owner_id)):
        if value:
            found = found.filter(**{name: value})
    return found


def report_get(*, public_id: str) -> AmlReport:
    report = report_list().filter(public_id=public_id).first()
    if report is None:
        raise NotFound(f"no report {public_id}", field="report", code="report_not_found")
    return report


@dataclass(frozen=True)
class ReportValidation:
    """A report's batch XML checked against FinCEN's schema now: the form and each problem the schema names."""

    form: str
    problems: list[str]

    @property
    def valid(self) -> bool:
        return not self.problems


def report_validation(*, report: AmlReport) -> ReportValidation:
    form = fincen.FORM_OF_REPORT[report.report_type]
    try:
        fincen.validate(form, report.xml.encode())
    except fincen.FincenSchemaError as exc:
        return ReportValidation(form=form, problems=list(exc.problems))
    return ReportValidation(form=form, problems=[])


def custom_report_get(*, pk: int) -> CustomReport:
    report = CustomReport.objects.filter(pk=pk).first()
    if report is None:
        raise NotFound(f"no custom report {pk}", field="report", code="custom_report_not_found")
    return report


def aml_alerts_holding(*, payment_id: str) -> QuerySet[AmlAlert]:
    """The open AML alerts that hold the payment ``payment_id`` in HELD (a real-time payment rule's hit)."""
    return AmlAlert.objects.filter(held_payment=payment_id, status=AlertStatus.OPEN)


def open_case_exists(*, owner_id: str) -> bool:
    """True while an AML case on the customer is not closed or filed (a legal hold on their data)."""
    from .aml_models import CaseStatus

    return (
        AmlCase.objects.filter(owner_id=owner_id).exclude(status__in=[CaseStatus.CLOSED, CaseStatus.SAR_FILED]).exists()
    )


# --- data-subject rights (apps.privacy calls these) -------------------------------------------------------------
def open_aml_alert_exists(*, owner_id: str) -> bool:
    """True while an AML alert on the customer is undecided (a legal hold on their data, like an open case)."""
    return AmlAlert.objects.filter(owner_id=owner_id, status=AlertStatus.OPEN).exists()


def aml_records_of_subject(*, subject_id: str) -> dict[str, QuerySet]:
    return {
        "alerts": AmlAlert.objects.filter(owner_id=subject_id),
        "cases": AmlCase.objects.filter(owner_id=subject_id),
        "reports": AmlReport.objects.filter(owner_id=subject_id),
    }


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _disclosable_case(case: AmlCase | None) -> bool:
    """A case the subject may be told about: closed with "no suspicious activity" and no SAR drafted from it."""
    from .aml_models import CaseDecision, CaseStatus, ReportType

    if case is None:
        return True
    return (
        case.status == CaseStatus.CLOSED
        and case.decision == CaseDecision.CLOSE
        and not case.reports.filter(report_type=ReportType.SAR).exists()
    )


def subject_aml_records(*, subject_id: str) -> tuple[dict[str, list[dict]], dict[str, int]]:
    """(what a subject-access export may show, how many records were withheld per kind).

    Shown: alerts decided as not suspicious (dismissed, or closed with a case closed without suspicion), such cases,
    and the routine reports (CTR, FBAR). Withheld: anything open, confirmed, escalated to a SAR, and every SAR:
    telling the subject is tipping-off (AMLD art. 39, 31 U.S.C. 5318(g)(2); GDPR art. 23). The withheld counts are
    for the export's internal log, never for the subject.
    """
    from .aml_models import AlertDecision, ReportType

    records = aml_records_of_subject(subject_id=subject_id)
    alerts, cases, reports = [], [], []
    withheld = {"alerts": 0, "cases": 0, "reports": 0}
    for alert in records["alerts"].select_related("case", "rule").order_by("raised_at", "id"):
        if (
            alert.status == AlertStatus.CLOSED
            and alert.decision != AlertDecision.CONFIRMED
            and _disclosable_case(alert.case)
        ):
            alerts.append(
                {
                    "id": alert.public_id,
                    "kind": alert.kind,
                    "rule": alert.rule.name,
                    "account": alert.account,
                    "summary": alert.summary,
                    "raised_at": _iso(alert.raised_at),
                    "outcome": "not suspicious",
                    "decided_at": _iso(alert.decided_at or (alert.case.closed_at if alert.case else None)),
                }
            )
        else:
            withheld["alerts"] += 1
    for case in records["cases"].order_by("created_at", "id"):
        if _disclosable_case(case):
            cases.append(
                {"id": case.public_id, "opened_at": _iso(case.created_at), "closed_at": _iso(case.closed_at),
                 "outcome": "closed: no suspicious activity"}
            )
        else:
            withheld["cases"] += 1
    for report in records["reports"].order_by("created_at", "id"):
        if report.report_type == ReportType.SAR:
            withheld["reports"] += 1
            continue
        reports.append(
            {
                "id": report.public_id,
                "type": report.report_type,
                "business_day": _iso(report.business_day),
                "year": report.year,
                "status": report.status,
                "filed_at": _iso(report.filed_at),
            }
        )
    return {"alerts": alerts, "cases": cases, "reports": reports}, withheld


def aml_record_end(*, record) -> datetime:
    """When an AML record's own retention starts to run: its decision, closure or filing (else its creation)."""
    ends = [getattr(record, name, None) for name in ("decided_at", "closed_at", "filed_at")]
    case = getattr(record, "case", None)
    if case is not None and case.closed_at is not None:
        ends.append(case.closed_at)
    ends = [value for value in ends if value is not None]
    return max(ends) if ends else getattr(record, "raised_at", None) or record.created_at
