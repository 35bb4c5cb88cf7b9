"""Inbound payments (money other banks send us, or pull from us), the exception items an operator resolves, and
the returns and change notices for our own outbound payments.

A payment is recorded once per rail and network id (UETR, MT :20:+UETR, IMAD, ACH trace number): the unique
constraint ``inbound_payment_once`` is what makes a duplicate message credit nothing, whatever races. Names,
account numbers and message bodies are PII: encrypted, bound to the row's public id.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.core.ids import new_public_id
from apps.payments.models import Rail
from apps.security.fields import EncryptedTextField


def _inbound_id() -> str:
    return new_public_id("inb")


def _exception_id() -> str:
    return new_public_id("exc")


def _notice_id() -> str:
    return new_public_id("ret")


class Direction(models.TextChoices):
    CREDIT = "CREDIT", "credit to our customer"
    DEBIT = "DEBIT", "debit of our customer (ACH PPD/CCD/WEB)"


class InboundStatus(models.TextChoices):
    CREDITED = "CREDITED"  # posted to the beneficiary's account
    DEBITED = "DEBITED"  # an inbound ACH debit posted against the customer's available funds
    IN_SUSPENSE = "IN_SUSPENSE"  # posted to SUSPENSE, an exception item waits for an operator
    RETURNED = "RETURNED"  # sent back to the sender (from suspense, or an ACH debit we refused)


class ReturnStatus(models.TextChoices):
    NONE = "", "nothing to send"
    PENDING = "PENDING"  # built, to be sent to the network (a worker sends it after commit; beat retries)
    SENT = "SENT"  # the network gave a receipt


class InboundPayment(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=_inbound_id, editable=False)
    rail = models.CharField(max_length=16, choices=Rail.choices)
    message_type = models.CharField(max_length=40)
    direction = models.CharField(max_length=6, choices=Direction.choices, default=Direction.CREDIT)
    network_id = models.CharField(
        max_length=120, help_text="what duplicates are recognised by: UETR, :20:, IMAD, trace"
    )
    status = models.CharField(max_length=12, choices=InboundStatus.choices)
    source = models.CharField(max_length=16, help_text="network feed, api or command")

    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    value_date = models.DateField(null=True, blank=True)
    uetr = models.CharField(max_length=36, blank=True)
    end_to_end_id = models.CharField(max_length=35, blank=True)
    message_id = models.CharField(max_length=64, blank=True, help_text="the message's own id (MsgId, :20:, file id)")
    sec_code = models.CharField(max_length=3, blank=True, help_text="ACH standard entry class")

    debtor_name = EncryptedTextField(bind_to="public_id", blank=True)
    debtor_account = EncryptedTextField(bind_to="public_id", blank=True)
    debtor_agent = models.CharField(max_length=11, blank=True, help_text="BIC or ABA routing number")
    debtor_country = models.CharField(max_length=2, blank=True)
    creditor_name = EncryptedTextField(bind_to="public_id", blank=True)
    creditor_account = EncryptedTextField(bind_to="public_id", blank=True, help_text="IBAN or account number as sent")
    creditor_agent = models.CharField(max_length=11, blank=True)
    remittance_info = EncryptedTextField(bind_to="public_id", blank=True)
    original = models.JSONField(default=dict, help_text="what a return must quote (ids, trace, transaction code)")

    account = models.ForeignKey(
        "accounts.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the customer account credited or debited",
    )
    resolved_by = models.CharField(max_length=24, blank=True, help_text="iban, account+routing, bic+account, ...")
    transaction_id = models.CharField(max_length=32, blank=True, help_text="the ledger entry of the credit or debit")
    check_outcome = models.JSONField(default=dict)

    return_reason_code = models.CharField(max_length=8, blank=True)
    return_status = models.CharField(max_length=8, choices=ReturnStatus.choices, blank=True, default="")
    return_message_type = models.CharField(max_length=40, blank=True)
    return_body = EncryptedTextField(bind_to="public_id", blank=True)
    return_network_reference = models.CharField(max_length=64, blank=True)
    return_attempts = models.PositiveIntegerField(default=0)
    return_transaction_id = models.CharField(max_length=32, blank=True)
    body = EncryptedTextField(bind_to="public_id", help_text="the message as received")

    created_by = models.CharField(max_length=150, default="system")
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rail", "network_id"], name="inbound_payment_once"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="inbound_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in InboundStatus]), name="inbound_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "rail"]), models.Index(fields=["return_status"])]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.rail} {self.direction} {self.status})"


class ExceptionReason(models.TextChoices):
    UNKNOWN_BENEFICIARY = "unknown_beneficiary"
    ACCOUNT_NOT_ACTIVE = "account_not_active"
    CURRENCY_MISMATCH = "currency_mismatch"
    NAME_MISMATCH = "name_mismatch"
    HELD_BY_CHECK = "held_by_check"


class ExceptionStatus(models.TextChoices):
    OPEN = "OPEN"
    APPLIED = "APPLIED"  # an operator credited it to an account
    RETURNED = "RETURNED"  # sent back to the sender


class ExceptionItem(models.Model):
    """An inbound payment parked in SUSPENSE: an operator applies it to an account or returns it to the sender."""

    public_id = models.CharField(max_length=32, unique=True, default=_exception_id, editable=False)
    inbound = models.OneToOneField(InboundPayment, on_delete=models.PROTECT, related_name="exception")
    reason_code = models.CharField(max_length=24, choices=ExceptionReason.choices)
    reason = models.TextField()
    status = models.CharField(max_length=8, choices=ExceptionStatus.choices, default=ExceptionStatus.OPEN)
    suggested_account = models.ForeignKey(
        "accounts.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the account the identifiers named, when a name mismatch or its status stopped the credit",
    )
    return_by = models.DateField(help_text="the rail's deadline to send it back; beat returns it then")
    resolved_account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["status", "return_by"])]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.reason_code} {self.status})"


class NoticeKind(models.TextChoices):
    RETURN = "RETURN"  # ACH return, pacs.004, MT /RETN/, Fedwire reversal
    CHANGE = "CHANGE"  # ACH notification of change


class NoticeStatus(models.TextChoices):
    APPLIED = "APPLIED"
    UNMATCHED = "UNMATCHED"  # no payment of ours matches: an operator looks into it
    REFUSED = "REFUSED"  # the payment cannot come back (never sent): see reason


class PaymentNotice(models.Model):
    """A return or change notice the network sent about one of our outbound payments, recorded once."""

    public_id = models.CharField(max_length=32, unique=True, default=_notice_id, editable=False)
    rail = models.CharField(max_length=16, choices=Rail.choices)
    kind = models.CharField(max_length=6, choices=NoticeKind.choices)
    network_id = models.CharField(max_length=120)
    message_type = models.CharField(max_length=40)
    reason_code = models.CharField(max_length=8)
    reason = models.TextField(blank=True)
    payment_id = models.CharField(max_length=32, blank=True, help_text="our payment's public id, when matched")
    status = models.CharField(max_length=10, choices=NoticeStatus.choices)
    body = EncryptedTextField(bind_to="public_id")
    source = models.CharField(max_length=16)
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rail", "network_id"], name="payment_notice_once")]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.kind} {self.reason_code} {self.status})"


class InboundCursor(models.Model):
    """How far we have read a rail's inbound feed (messages the network delivers to us)."""

    rail = models.CharField(max_length=16, choices=Rail.choices, primary_key=True)
    cursor = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.rail} at {self.cursor}"


def _recall_id() -> str:
    return new_public_id("rcl")


class RecallDecision(models.TextChoices):
    CANCELLED = "CNCL", "accepted: the money goes back in a pacs.004"
    REJECTED = "RJCR", "rejected, with a reason"


class RecallRequest(models.Model):
    """A camt.056 from the bank that sent us a payment, asking for it back, and our camt.029 answer."""

    public_id = models.CharField(max_length=32, unique=True, default=_recall_id, editable=False)
    rail = models.CharField(max_length=16, choices=Rail.choices)
    network_id = models.CharField(max_length=120, help_text="the request's assignment id and cancellation id")
    inbound = models.ForeignKey(InboundPayment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason_code = models.CharField(max_length=8, blank=True, help_text="why the sender recalls it (DUPL, FRAD, ...)")
    decision = models.CharField(max_length=4, choices=RecallDecision.choices)
    decision_reason = models.CharField(max_length=8, blank=True, help_text="camt.029 rejection reason")
    answer_body = EncryptedTextField(bind_to="public_id", help_text="our camt.029")
    answer_status = models.CharField(max_length=8, choices=ReturnStatus.choices, default=ReturnStatus.PENDING)
    answer_network_reference = models.CharField(max_length=64, blank=True)
    body = EncryptedTextField(bind_to="public_id", help_text="the camt.056 as received")
    source = models.CharField(max_length=16)
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rail", "network_id"], name="recall_request_once")]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.reason_code} {self.decision})"
