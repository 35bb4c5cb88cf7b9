"""AML transaction monitoring, cases and regulatory reports (imported by ``apps.compliance.models``).

- ``MonitoringRule``: one rule as data (its kind picks the evaluator in ``apps.compliance.monitoring.rules``, its
  ``parameters`` tune it). Editing a rule through the service writes a new ``MonitoringRuleVersion``; an alert keeps
  the version that raised it, so an officer can always see the parameters in force at the time.
- ``AmlAlert``: what a rule found, with its evidence (the transactions and the figures). ``dedupe_key`` makes the
  same finding (one customer, one business day, one rule) raise one alert, however often it is evaluated.
- ``AmlCase``: the alerts of one customer, worked by an officer to a decision: file a SAR, or close with a reason.
  ``CaseEvent`` is its full history; notes and attachments hang off it.
- ``AmlReport``: a CTR, SAR or FBAR in FinCEN BSA E-Filing batch XML, reviewed, approved and marked filed.
- ``CustomReport``: a saved report definition (source, filters, columns) exported as CSV.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.core.ids import new_public_id

__all__ = [
    "AlertDecision",
    "AlertStatus",
    "AmlAlert",
    "AmlCase",
    "AmlReport",
    "CaseAttachment",
    "CaseDecision",
    "CaseEvent",
    "CaseNote",
    "CaseStatus",
    "CustomReport",
    "CustomReportSource",
    "MonitoringRule",
    "MonitoringRuleVersion",
    "MonitoringSweep",
    "OPEN_CASE_STATUSES",
    "ReportStatus",
    "ReportType",
    "RuleKind",
    "RuleSchedule",
    "Severity",
]


class RuleKind(models.TextChoices):
    CASH_OVER_THRESHOLD = "cash_over_threshold", "Cash over the CTR threshold (per customer per business day)"
    STRUCTURING = "structuring", "Structuring: several cash deposits just under the threshold"
    RAPID_MOVEMENT = "rapid_movement", "Rapid movement of funds (in and out within N hours)"
    VELOCITY = "velocity", "Velocity: many transactions in a short window"
    HIGH_RISK_COUNTRY = "high_risk_country", "Payment to a high-risk country (counterparty or BIC country)"
    DORMANT_ACTIVITY = "dormant_activity", "Sudden activity on a dormant account"
    ROUND_AMOUNTS = "round_amounts", "Repeated round amounts"
    EXPECTED_ACTIVITY = "expected_activity", "Activity large against the customer's expected activity"
    NEW_COUNTERPARTY_LARGE = "new_counterparty_large", "Large amount to a new counterparty"
    # Not evaluated over postings: raised when an officer confirms a sanctions screening alert (apps.compliance.alerts).
    SANCTIONS_MATCH = "sanctions_match", "Confirmed sanctions match (a screening alert an officer confirmed)"


class RuleSchedule(models.TextChoices):
    REAL_TIME = "real_time", "Real time (after each posting / payment commits)"
    WINDOWED = "windowed", "Windowed (the periodic monitoring sweep)"


class Severity(models.IntegerChoices):
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"
    CRITICAL = 4, "Critical"


def attachment_storage():
    """Case attachments live under ``VAR_DIR/compliance-attachments`` (never the working directory)."""
    from django.core.files.storage import FileSystemStorage

    return FileSystemStorage(location=settings.VAR_DIR / "compliance-attachments")


def _alert_id() -> str:
    return new_public_id("aml")


def _case_id() -> str:
    return new_public_id("case")


def _report_id() -> str:
    return new_public_id("rpt")


class MonitoringRule(models.Model):
    code = models.SlugField(max_length=64, unique=True, help_text="stable name of the rule (alerts refer to it)")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=RuleKind.choices)
    schedule = models.CharField(max_length=16, choices=RuleSchedule.choices, default=RuleSchedule.REAL_TIME)
    parameters = models.JSONField(default=dict, blank=True, help_text="the kind's parameters (see the README)")
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.MEDIUM)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by = models.CharField(max_length=150, blank=True, editable=False)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=[k.value for k in RuleKind]), name="aml_rule_kind_valid")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class MonitoringRuleVersion(models.Model):
    """What a rule said at one version (append-only): the alerts it raised point here."""

    rule = models.ForeignKey(MonitoringRule, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=32, choices=RuleKind.choices)
    schedule = models.CharField(max_length=16, choices=RuleSchedule.choices)
    parameters = models.JSONField(default=dict)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    active = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["rule", "-version"]
        constraints = [models.UniqueConstraint(fields=["rule", "version"], name="aml_rule_version_unique")]

    def __str__(self) -> str:
        return f"{self.rule.code} v{self.version}"


class AlertStatus(models.TextChoices):
    OPEN = "OPEN"  # in an open case, not yet decided
    CLOSED = "CLOSED"  # decided: on its own (``decision``) or with its case


class AlertDecision(models.TextChoices):
    DISMISSED = "dismissed", "Dismissed (not suspicious): a payment it holds is released"
    CONFIRMED = "confirmed", "Confirmed (suspicious): a payment it holds is rejected"


class AmlAlert(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=_alert_id, editable=False)
    rule = models.ForeignKey(MonitoringRule, on_delete=models.PROTECT, related_name="alerts")
    rule_version = models.ForeignKey(MonitoringRuleVersion, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=32, choices=RuleKind.choices)
    owner_id = models.CharField(max_length=64, db_index=True, help_text="the customer (Account.owner_id)")
    account = models.CharField(max_length=32, blank=True, help_text="account public id, when one account is at issue")
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    summary = models.CharField(max_length=500)
    transactions = models.JSONField(default=list, help_text="public ids of the transactions (or payments) at issue")
    figures = models.JSONField(default=dict, help_text="what the rule computed: totals, counts, thresholds")
    dedupe_key = models.CharField(max_length=200)
    status = models.CharField(max_length=8, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    case = models.ForeignKey("AmlCase", on_delete=models.PROTECT, related_name="alerts", null=True, blank=True)
    raised_at = models.DateTimeField(default=timezone.now, db_index=True)
    held_payment = models.CharField(
        max_length=32, blank=True, db_index=True, help_text="the outbound payment this alert holds (HELD) until decided"
    )
    decision = models.CharField(max_length=16, choices=AlertDecision.choices, blank=True)
    decision_reason = models.CharField(max_length=1000, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Erasure of the customer (apps.privacy) keeps AML records for their legal retention (AMLD art. 40, 31 CFR
    # 1010.430) and restricts their processing instead (GDPR art. 17(3)(b), 18): kept, used for nothing else.
    restricted_at = models.DateTimeField(null=True, blank=True, help_text="processing restricted (subject erased)")
    retain_until = models.DateField(null=True, blank=True, help_text="end of the legal retention of this record")

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["rule", "dedupe_key"], name="aml_alert_once_per_finding")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.kind}"


class CaseStatus(models.TextChoices):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    ESCALATED = "ESCALATED"
    PENDING_APPROVAL = "PENDING_APPROVAL"  # a high-risk close waits for a second officer (apps.approvals)
    SAR_FILED = "SAR_FILED"  # decided: a SAR was drafted from the case
    CLOSED = "CLOSED"  # decided: closed with a reason


OPEN_CASE_STATUSES = (CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.ESCALATED, CaseStatus.PENDING_APPROVAL)


class CaseDecision(models.TextChoices):
    FILE_SAR = "file_sar", "File a SAR"
    CLOSE = "close", "Close (no suspicious activity)"


class AmlCase(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=_case_id, editable=False)
    owner_id = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    priority = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.MEDIUM)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    decision = models.CharField(max_length=16, choices=CaseDecision.choices, blank=True)
    decision_reason = models.CharField(max_length=1000, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    approval = models.CharField(max_length=32, blank=True, help_text="the four-eyes request of a high-risk close")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Erasure of the customer (apps.privacy) keeps AML records for their legal retention (AMLD art. 40, 31 CFR
    # 1010.430) and restricts their processing instead (GDPR art. 17(3)(b), 18): kept, used for nothing else.
    restricted_at = models.DateTimeField(null=True, blank=True, help_text="processing restricted (subject erased)")
    retain_until = models.DateField(null=True, blank=True, help_text="end of the legal retention of this record")

    class Meta:
        ordering = ["-priority", "due_at", "-id"]
        permissions = [
            ("work_amlcase", "Can work AML cases: assign, note, attach, escalate, decide"),
        ]
        constraints = [
            # One open case per customer: new alerts join it.
            models.UniqueConstraint(
                fields=["owner_id"],
                condition=Q(status__in=[s.value for s in OPEN_CASE_STATUSES]),
                name="aml_one_open_case_per_customer",
            ),
            models.CheckConstraint(condition=Q(status__in=[s.value for s in CaseStatus]), name="aml_case_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.owner_id} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CASE_STATUSES

    @property
    def is_high_risk(self) -> bool:
        return self.priority >= Severity.HIGH


class CaseNote(models.Model):
    case = models.ForeignKey(AmlCase, on_delete=models.PROTECT, related_name="notes")
    author = models.CharField(max_length=150)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} by {self.author}"


class CaseAttachment(models.Model):
    case = models.ForeignKey(AmlCase, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to="cases/%Y/%m/", storage=attachment_storage)
    name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    uploaded_by = models.CharField(max_length=150)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class CaseEvent(models.Model):
    """One step in a case's history (append-only): opened, alert added, assigned, noted, escalated, decided."""

    case = models.ForeignKey(AmlCase, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=40)
    actor = models.CharField(max_length=150)
    details = models.JSONField(default=dict)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor}"


class ReportType(models.TextChoices):
    CTR = "CTR", "Currency Transaction Report (FinCEN 112)"
    SAR = "SAR", "Suspicious Activity Report (FinCEN 111)"
    FBAR = "FBAR", "Report of Foreign Bank and Financial Accounts (FinCEN 114)"


class ReportStatus(models.TextChoices):
    DRAFT = "DRAFT"  # generated, waiting for review
    REVIEWED = "REVIEWED"  # an officer reviewed it
    APPROVED = "APPROVED"  # a second officer approved it for filing
    FILED = "FILED"  # submitted; FinCEN's BSA id recorded
    REJECTED = "REJECTED"  # not to be filed (with a reason)


class AmlReport(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=_report_id, editable=False)
    report_type = models.CharField(max_length=4, choices=ReportType.choices)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    owner_id = models.CharField(max_length=64, db_index=True)
    business_day = models.DateField(null=True, blank=True, help_text="CTR: the business day it reports")
    year = models.PositiveIntegerField(null=True, blank=True, help_text="FBAR: the calendar year it reports")
    case = models.ForeignKey(AmlCase, on_delete=models.PROTECT, null=True, blank=True, related_name="reports")
    figures = models.JSONField(default=dict, help_text="the totals and transactions the report states")
    xml = models.TextField(help_text="FinCEN BSA E-Filing batch XML, validated against the official XSD")
    xml_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.CharField(max_length=150)
    reviewed_by = models.CharField(max_length=150, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.CharField(max_length=150, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    filed_by = models.CharField(max_length=150, blank=True)
    filed_at = models.DateTimeField(null=True, blank=True)
    bsa_id = models.CharField(max_length=32, blank=True, help_text="FinCEN's BSA identifier from the acknowledgement")
    rejection_reason = models.CharField(max_length=500, blank=True)
    # Erasure of the customer (apps.privacy) keeps AML records for their legal retention (AMLD art. 40, 31 CFR
    # 1010.430) and restricts their processing instead (GDPR art. 17(3)(b), 18): kept, used for nothing else.
    restricted_at = models.DateTimeField(null=True, blank=True, help_text="processing restricted (subject erased)")
    retain_until = models.DateField(null=True, blank=True, help_text="end of the legal retention of this record")

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("review_amlreport", "Can review and approve regulatory reports"),
            ("file_amlreport", "Can mark regulatory reports filed"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["report_type", "owner_id", "business_day"],
                condition=Q(report_type="CTR"),
                name="aml_one_ctr_per_customer_day",
            ),
            # One FBAR per customer and year (a rejected one does not count: it may be drafted again).
            models.UniqueConstraint(
                fields=["owner_id", "year"],
                condition=Q(report_type="FBAR") & ~Q(status="REJECTED"),
                name="aml_one_fbar_per_customer_year",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ReportStatus]), name="aml_report_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.report_type} {self.status}"


class CustomReportSource(models.TextChoices):
    ALERTS = "alerts", "AML alerts"
    CASES = "cases", "AML cases"
    REPORTS = "reports", "Regulatory reports"


class CustomReport(models.Model):
    """A saved report: which rows (source + filters) and which columns, exported as CSV."""

    name = models.CharField(max_length=120, unique=True)
    source = models.CharField(max_length=16, choices=CustomReportSource.choices)
    filters = models.JSONField(
        default=dict, blank=True, help_text='e.g. {"status": "OPEN", "raised_from": "2026-01-01"}'
    )
    columns = models.JSONField(default=list, help_text='e.g. ["public_id", "kind", "owner_id", "raised_at"]')
    created_by = models.CharField(max_length=150, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return self.name


class MonitoringSweep(models.Model):
    """One run of the periodic sweep: the window of postings it evaluated. The next run starts at ``until``."""

    started_at = models.DateTimeField(default=timezone.now)
    since = models.DateTimeField()
    until = models.DateTimeField(db_index=True)
    movements = models.PositiveIntegerField(default=0)
    alerts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-until"]

    def __str__(self) -> str:
        return f"sweep {self.since:%Y-%m-%d %H:%M} .. {self.until:%Y-%m-%d %H:%M}"
