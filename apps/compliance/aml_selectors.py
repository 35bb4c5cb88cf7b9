"""Reads of AML rules, alerts, cases and reports for the API and the admin. Never write, never lock."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.core.errors import NotFound

from .aml_models import AmlAlert, AmlCase, AmlReport, CustomReport, MonitoringRule


def rule_list(*, active: bool | None = None) -> QuerySet[MonitoringRule]:
    rules = MonitoringRule.objects.all()
    return rules if active is None else rules.filter(active=active)


def alert_list(*, owner_id: str | None = None, status: str | None = None, kind: str | None = None) -> QuerySet:
    alerts = AmlAlert.objects.select_related("rule", "rule_version", "case")
    for name, value in (("owner_id", owner_id), ("status", status), ("kind", kind)):
        if value:
            alerts = alerts.filter(**{name: value})
    return alerts


def alert_get(*, public_id: str) -> AmlAlert:
    alert = alert_list().filter(public_id=public_id).first()
    if alert is None:
        raise NotFound(f"no AML alert {public_id}", field="alert", code="alert_not_found")
    return alert


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


def custom_report_get(*, pk: int) -> CustomReport:
    report = CustomReport.objects.filter(pk=pk).first()
    if report is None:
        raise NotFound(f"no custom report {pk}", field="report", code="custom_report_not_found")
    return report


def open_case_exists(*, owner_id: str) -> bool:
    """True while an AML case on the customer is not closed or filed (a legal hold on their data)."""
    from .aml_models import CaseStatus

    return (
        AmlCase.objects.filter(owner_id=owner_id).exclude(status__in=[CaseStatus.CLOSED, CaseStatus.SAR_FILED]).exists()
    )
