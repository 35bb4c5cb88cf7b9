"""Imported bank statements, their lines, reconciliation runs and the breaks (exception items) they leave.

A statement line is matched to what QENEX itself recorded: a payment (``apps.payments``) and the ledger
entry that settled it on the nostro (``apps.ledger``), kept here by public id only: this app never writes
another app's tables. Matching rules are rows, so an operator changes the order, the tolerances or
switches a rule off without a deployment.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from apps.core.ids import new_public_id
from apps.security.fields import EncryptedTextField


def _statement_id() -> str:
    return new_public_id("stm")


def _run_id() -> str:
    return new_public_id("rec")


def _line_id() -> str:
    return new_public_id("stl")


def _break_id() -> str:
    return new_public_id("brk")


class MatchOn(models.TextChoices):
    UETR = "uetr", "UETR"
    END_TO_END_ID = "end_to_end_id", "End-to-end id (the payment's reference)"
    REFERENCE = "reference", "Any reference the line carries"
    AMOUNT_DATE = "amount_date", "Amount and value date"


class MatchingRule(models.Model):
    """One way of pairing a statement line with a payment or posting; tried in ``priority`` order."""

    name = models.CharField(max_length=64, unique=True)
    priority = models.PositiveSmallIntegerField(default=100, help_text="lower runs first")
    match_on = models.CharField(max_length=16, choices=MatchOn.choices)
    date_tolerance_days = models.PositiveSmallIntegerField(
        default=0, help_text="amount_date: value dates may differ by this many days"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ("priority", "name")

    def __str__(self) -> str:
        return f"{self.priority} {self.name} ({self.match_on})"


class BankStatement(models.Model):
    """One account statement or report as imported (a file may hold several)."""

    public_id = models.CharField(max_length=32, unique=True, default=_statement_id, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    source_format = models.CharField(max_length=24, help_text="camt.053.001.02, MT940, ...")
    kind = models.CharField(max_length=16, help_text="statement, report or notification")
    statement_id = models.CharField(max_length=64)
    message_id = models.CharField(max_length=64, blank=True)
    sequence_number = models.CharField(max_length=32, blank=True)
    statement_account = models.CharField(max_length=64, help_text="the account as the bank names it")
    currency = models.CharField(max_length=3)
    statement_date = models.DateField(help_text="the business day the statement closes")
    period_start = models.DateTimeField(null=True, help_text="from when the statement's entries count")
    cut_off = models.DateTimeField(help_text="the instant the closing balance is struck")
    opening_minor = models.BigIntegerField(null=True)
    closing_minor = models.BigIntegerField(null=True)
    fingerprint = models.CharField(max_length=64, unique=True, help_text="one import per statement content")
    imported_by = models.CharField(max_length=150)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-statement_date", "-id")
        indexes = [models.Index(fields=("statement_date",))]

    def __str__(self) -> str:
        return f"{self.public_id} {self.source_format} {self.statement_date}"


class LineStatus(models.TextChoices):
    UNMATCHED = "UNMATCHED"
    MATCHED = "MATCHED"
    BREAK = "BREAK"


class StatementLine(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=_line_id, editable=False)
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField()
    amount_minor = models.BigIntegerField(help_text="signed: credits positive, debits negative (the bank's view)")
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=8, default="BOOK")
    booking_date = models.DateField(null=True)
    value_date = models.DateField(null=True)
    end_to_end_id = models.CharField(max_length=64, blank=True)
    uetr = models.CharField(max_length=36, blank=True)
    account_servicer_reference = models.CharField(max_length=64, blank=True)
    references = models.JSONField(default=list, help_text="every reference the line carries")
    # What the payer wrote and who the counterparty is: personal data, encrypted at rest.
    remittance = EncryptedTextField(blank=True, bind_to="public_id")
    counterparty = EncryptedTextField(blank=True, bind_to="public_id", help_text="name and account")
    bank_transaction_code = models.CharField(max_length=32, blank=True)
    match_status = models.CharField(max_length=9, choices=LineStatus.choices, default=LineStatus.UNMATCHED)
    matched_payment = models.CharField(max_length=32, blank=True, help_text="payment public id")
    matched_entry = models.CharField(max_length=32, blank=True, help_text="ledger journal entry public id")
    matched_rule = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ("statement", "position")
        constraints = [models.UniqueConstraint(fields=("statement", "position"), name="recon_line_position_unique")]

    def __str__(self) -> str:
        return f"{self.statement_id}#{self.position} {self.amount_minor} {self.currency} {self.match_status}"


class ReconciliationRun(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=_run_id, editable=False)
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="runs")
    started_at = models.DateTimeField(default=timezone.now)
    actor = models.CharField(max_length=150)
    line_count = models.PositiveIntegerField(default=0)
    matched_count = models.PositiveIntegerField(default=0)
    break_count = models.PositiveIntegerField(default=0)
    statement_closing_minor = models.BigIntegerField(null=True)
    ledger_balance_minor = models.BigIntegerField(null=True, help_text="the nostro's ledger balance at the cut-off")
    expected_ledger_minor = models.BigIntegerField(null=True, help_text="the closing balance in the ledger's sign")
    explained_minor = models.BigIntegerField(
        default=0, help_text="how much of the difference the open breaks of this run account for"
    )
    balance_agrees = models.BooleanField(
        null=True, help_text="closing balance = ledger balance at the cut-off, once the breaks are accounted for"
    )

    class Meta:
        ordering = ("-started_at", "-id")

    def __str__(self) -> str:
        return f"{self.public_id} matched {self.matched_count}/{self.line_count}, {self.break_count} break(s)"


class BreakKind(models.TextChoices):
    UNMATCHED_STATEMENT_LINE = "unmatched_statement_line"
    UNMATCHED_LEDGER_POSTING = "unmatched_ledger_posting"
    AMOUNT_DIFFERENCE = "amount_difference"
    BALANCE_DIFFERENCE = "balance_difference"


class BreakStatus(models.TextChoices):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"  # explained: what was done about it (and, optionally, the posting or payment it was)
    WRITTEN_OFF = "WRITTEN_OFF"  # accepted as it is; four-eyes above the approval threshold


class ReconciliationBreak(models.Model):
    """An exception item: something on one side the other side does not show (or shows differently)."""

    public_id = models.CharField(max_length=32, unique=True, default=_break_id, editable=False)
    run = models.ForeignKey(ReconciliationRun, on_delete=models.PROTECT, related_name="breaks")
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="breaks")
    kind = models.CharField(max_length=32, choices=BreakKind.choices)
    line = models.ForeignKey(StatementLine, on_delete=models.PROTECT, null=True, blank=True, related_name="breaks")
    payment = models.CharField(max_length=32, blank=True)
    entry = models.CharField(max_length=32, blank=True, help_text="ledger journal entry public id")
    amount_minor = models.BigIntegerField(help_text="the amount of the side that is there (statement sign)")
    difference_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    value_date = models.DateField(help_text="ageing counts from this day")
    description = models.TextField()
    status = models.CharField(max_length=16, choices=BreakStatus.choices, default=BreakStatus.OPEN)
    resolution = models.TextField(blank=True)
    linked_payment = models.CharField(max_length=32, blank=True, help_text="the payment the officer tied it to")
    linked_entry = models.CharField(max_length=32, blank=True, help_text="the journal entry the officer tied it to")
    approval = models.CharField(
        max_length=32, blank=True, help_text="the four-eyes request of its write-off (apps.approvals), if one was made"
    )
    resolved_by = models.CharField(max_length=150, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("value_date", "id")
        indexes = [models.Index(fields=("status", "value_date"))]
        permissions = [
            ("write_off_reconciliationbreak", "Can write off a reconciliation break (four-eyes above the threshold)"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.kind} {self.amount_minor} {self.currency}"

    def age_days(self, today=None) -> int:
        today = today or timezone.localdate()
        return max((today - self.value_date).days, 0)
