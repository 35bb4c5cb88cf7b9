"""Custom reports: a saved definition (source, filters, columns) read as rows and exported as CSV. Reads only.

Each source lists the columns it offers and the filters it understands, so a definition is checked before it is
saved and an unknown column or filter is refused by name (never silently ignored).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date

from apps.core.errors import InvalidInput

from ..aml_models import AmlAlert, AmlCase, AmlReport, CustomReport


def _iso(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


Source = tuple[Callable[[], QuerySet], dict[str, Callable[[Any], Any]], dict[str, str]]

SOURCES: dict[str, Source] = {
    "alerts": (
        lambda: AmlAlert.objects.select_related("rule", "rule_version", "case"),
        {
            "public_id": lambda a: a.public_id,
            "rule": lambda a: a.rule.code,
            "rule_version": lambda a: a.rule_version.version,
            "kind": lambda a: a.kind,
            "owner_id": lambda a: a.owner_id,
            "account": lambda a: a.account,
            "severity": lambda a: a.get_severity_display(),
            "status": lambda a: a.status,
            "summary": lambda a: a.summary,
            "transactions": lambda a: a.transactions,
            "case": lambda a: a.case.public_id if a.case_id else "",
            "raised_at": lambda a: a.raised_at,
        },
        {
            "status": "status",
            "kind": "kind",
            "owner_id": "owner_id",
            "rule": "rule__code",
            "severity_min": "severity__gte",
            "raised_from": "raised_at__date__gte",
            "raised_to": "raised_at__date__lte",
        },
    ),
    "cases": (
        lambda: AmlCase.objects.select_related("assignee").annotate(alert_count=Count("alerts")),
        {
            "public_id": lambda c: c.public_id,
            "owner_id": lambda c: c.owner_id,
            "status": lambda c: c.status,
            "priority": lambda c: c.get_priority_display(),
            "assignee": lambda c: c.assignee.get_username() if c.assignee_id else "",
            "due_at": lambda c: c.due_at,
            "escalation_level": lambda c: c.escalation_level,
            "decision": lambda c: c.decision,
            "decision_reason": lambda c: c.decision_reason,
            "alerts": lambda c: c.alert_count,
            "created_at": lambda c: c.created_at,
            "closed_at": lambda c: c.closed_at,
        },
        {
            "status": "status",
            "owner_id": "owner_id",
            "decision": "decision",
            "priority_min": "priority__gte",
            "assignee": "assignee__username",
            "created_from": "created_at__date__gte",
            "created_to": "created_at__date__lte",
        },
    ),
    "reports": (
        lambda: AmlReport.objects.all(),
        {
            "public_id": lambda r: r.public_id,
            "report_type": lambda r: r.report_type,
            "status": lambda r: r.status,
            "owner_id": lambda r: r.owner_id,
            "business_day": lambda r: r.business_day,
            "year": lambda r: r.year,
            "bsa_id": lambda r: r.bsa_id,
            "created_at": lambda r: r.created_at,
            "reviewed_by": lambda r: r.reviewed_by,
            "approved_by": lambda r: r.approved_by,
            "filed_at": lambda r: r.filed_at,
        },
        {
            "report_type": "report_type",
            "status": "status",
            "owner_id": "owner_id",
            "created_from": "created_at__date__gte",
            "created_to": "created_at__date__lte",
        },
    ),
}
DATE_FILTERS = ("_from", "_to")


def check_definition(*, source: str, filters: dict[str, Any], columns: list[str]) -> None:
    """Refuse (400) a definition with an unknown source, filter or column."""
    if source not in SOURCES:
        raise InvalidInput(f"source must be one of {sorted(SOURCES)}", field="source", code="invalid_choice")
    _, known_columns, known_filters = SOURCES[source]
    if not isinstance(columns, list) or not columns:
        raise InvalidInput("columns must be a non-empty list", field="columns")
    unknown = [c for c in columns if c not in known_columns]
    if unknown:
        raise InvalidInput(
            f"unknown column(s) {unknown}; {source} has {sorted(known_columns)}", field="columns", code="unknown_column"
        )
    if not isinstance(filters, dict):
        raise InvalidInput("filters must be a JSON object", field="filters")
    for name, value in filters.items():
        if name not in known_filters:
            raise InvalidInput(
                f"unknown filter {name!r}; {source} has {sorted(known_filters)}", field="filters", code="unknown_filter"
            )
        if name.endswith(DATE_FILTERS) and parse_date(str(value)) is None:
            raise InvalidInput(f"filter {name} must be a date (YYYY-MM-DD)", field="filters")


def report_rows(*, source: str, filters: dict[str, Any], columns: list[str]) -> Iterator[list[str]]:
    """The header, then one row per matching record, as strings."""
    check_definition(source=source, filters=filters, columns=columns)
    queryset, known_columns, known_filters = SOURCES[source]
    rows = queryset().filter(**{known_filters[name]: value for name, value in filters.items()}).order_by("id")
    yield list(columns)
    for row in rows.iterator(chunk_size=1000):
        yield [_iso(known_columns[c](row)) for c in columns]


def custom_report_csv(*, report: CustomReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in report_rows(source=report.source, filters=report.filters, columns=report.columns):
        # A cell starting with = + - @ would be a formula in a spreadsheet: quote it as text.
        writer.writerow(["'" + c if c[:1] in ("=", "+", "-", "@") else c for c in row])
    return out.getvalue()


def export_filename(report: CustomReport) -> str:
    return f"{report.name.replace(' ', '_')}-{timezone.localdate():%Y%m%d}.csv"
