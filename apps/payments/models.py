"""Payment orders, their history, the messages exchanged with the networks, and the ack feed cursors.

Counterparty names, account numbers / IBANs and addresses are PII: encrypted at rest
(``apps.security.fields``), bound to the row's ``public_id``, searchable by exact match through a blind index.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.core.ids import new_public_id
from apps.security.fields import BlindIndexField, EncryptedTextField

from .states import PaymentStatus


class Rail(models.TextChoices):
    SEPA = "sepa", "SEPA SCT"
    SEPA_INST = "sepa_inst", "SEPA SCT Inst"
    ACH = "ach", "ACH"
    FEDWIRE = "fedwire", "Fedwire"
    SWIFT = "swift", "SWIFT"


class Speed(models.TextChoices):
    STANDARD = "standard"
    URGENT = "urgent"
    INSTANT = "instant"


class Charges(models.TextChoices):
    OUR = "OUR"
    SHA = "SHA"
    BEN = "BEN"


def _payment_id() -> str:
    return new_public_id("pay")


def _message_id() -> str:
    return new_public_id("pmsg")


def _alias_id() -> str:
    return new_public_id("palias")


def _ach_file_id() -> str:
    return new_public_id("achf")


def _correction_id() -> str:
    return new_public_id("pcor")


class PaymentOrder(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=_payment_id, editable=False)
    uetr = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.RECEIVED)
    rail = models.CharField(max_length=16, choices=Rail.choices)
    message_format = models.CharField(max_length=16, help_text="pacs.008, MT103 or FAIM")
    routing_reasons = models.JSONField(default=list)
    speed = models.CharField(max_length=8, choices=Speed.choices)
    charges = models.CharField(max_length=3, choices=Charges.choices, default=Charges.SHA)

    debtor_account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    debtor_name = EncryptedTextField(bind_to="public_id", subject="debtor_account.owner_id")
    debtor_name_bidx = BlindIndexField(source="debtor_name")
    debtor_identifier = EncryptedTextField(
        bind_to="public_id", subject="debtor_account.owner_id", help_text="IBAN or account number"
    )
    debtor_identifier_bidx = BlindIndexField(source="debtor_identifier")
    debtor_bic = models.CharField(max_length=11, blank=True)
    debtor_country = models.CharField(max_length=2, blank=True)
    debtor_address = EncryptedTextField(bind_to="public_id", subject="debtor_account.owner_id", blank=True)

    creditor_name = EncryptedTextField(bind_to="public_id")
    creditor_name_bidx = BlindIndexField(source="creditor_name")
    creditor_identifier = EncryptedTextField(bind_to="public_id", help_text="IBAN or account number")
    creditor_identifier_bidx = BlindIndexField(source="creditor_identifier")
    creditor_bic = models.CharField(max_length=11, blank=True)
    creditor_aba = models.CharField(max_length=9, blank=True)
    creditor_country = models.CharField(max_length=2, blank=True)
    creditor_address = EncryptedTextField(bind_to="public_id", blank=True)

    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=35)
    remittance_info = EncryptedTextField(bind_to="public_id", blank=True)
    requested_execution_date = models.DateField(null=True, blank=True)
    value_date = models.DateField(null=True, help_text="the business day the payment is executed (cut-offs, calendar)")

    fee_minor = models.BigIntegerField(default=0, help_text="held with the payment, posted as a FEE when it settles")
    fee_transaction_id = models.CharField(max_length=32, blank=True)
    hold_id = models.CharField(max_length=32, blank=True)
    capture_transaction_id = models.CharField(max_length=32, blank=True)
    return_transaction_id = models.CharField(
        max_length=32, blank=True, help_text="the REVERSAL of the capture when the payment came back"
    )
    returned_minor = models.BigIntegerField(
        default=0, help_text="how much of it came back so far (partial returns add up to the amount, then RETURNED)"
    )
    network_key = models.CharField(max_length=120, blank=True, help_text="the id the network de-duplicates on")
    network_reference = models.CharField(max_length=64, blank=True)
    reason_code = models.CharField(max_length=16, blank=True)
    reason = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # ACH only: the file the entry travels in, and its trace number (ODFI id + sequence), unique per ODFI.
    ach_file = models.ForeignKey("AchFile", on_delete=models.PROTECT, null=True, blank=True, related_name="payments")
    trace_number = models.CharField(max_length=15, blank=True)
    # SWIFT through a correspondent: the bank whose nostro settles it; with ``cover`` an MT202 COV goes to it too.
    correspondent_bic = models.CharField(max_length=11, blank=True)
    cover = models.BooleanField(default=False, help_text="cover method: MT103 to the beneficiary's bank + MT202 COV")
    cover_network_key = models.CharField(
        max_length=120, blank=True, help_text="the id the network de-duplicates the cover on"
    )

    device_id = EncryptedTextField(
        bind_to="public_id", subject="debtor_account.owner_id", blank=True,
        help_text="the device the customer paid from (a banking app's identifier), if the channel sent one",
    )
    device_id_bidx = BlindIndexField(source="device_id")
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(fee_minor__gte=0), name="payment_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in PaymentStatus]), name="payment_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "rail"]),
            models.Index(fields=["rail", "network_key"]),
            models.Index(fields=["rail", "cover_network_key"]),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.rail} {self.status})"


class PaymentEvent(models.Model):
    """One transition in a payment's history (append-only)."""

    payment = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    reason_code = models.CharField(max_length=16, blank=True)
    reason = models.TextField(blank=True)
    actor = models.CharField(max_length=150, default="system")
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class Direction(models.TextChoices):
    OUT = "OUT"
    IN = "IN"


class PaymentMessage(models.Model):
    """A message sent to or received from a network, for a payment. Bodies carry PII: encrypted."""

    public_id = models.CharField(max_length=32, unique=True, default=_message_id, editable=False)
    payment = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    rail = models.CharField(max_length=16, choices=Rail.choices)
    message_type = models.CharField(max_length=40)
    # NULL for what we send: the unique constraint below concerns answers only.
    reply_id = models.CharField(max_length=80, null=True, blank=True, help_text="the network's id of an answer")  # noqa: DJ001
    kind = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=16, blank=True)
    reason = models.CharField(max_length=16, blank=True)
    body = EncryptedTextField(bind_to="public_id")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            # An answer the network repeats (duplicate acks) is recorded once.
            models.UniqueConstraint(fields=["rail", "reply_id"], name="payment_message_reply_once"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.message_type} {self.status}".strip()


class AckCursor(models.Model):
    """How far we have read a rail's acknowledgement feed."""

    rail = models.CharField(max_length=16, choices=Rail.choices, primary_key=True)
    cursor = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.rail} at {self.cursor}"


class AccountAlias(models.Model):
    """An external identifier (IBAN or account number) a customer gives for their QENEX account."""

    public_id = models.CharField(max_length=32, unique=True, default=_alias_id, editable=False)
    identifier = EncryptedTextField(bind_to="public_id")
    identifier_bidx = BlindIndexField(source="identifier", db_index=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["identifier_bidx"], name="account_alias_identifier_once")]

    def __str__(self) -> str:
        return f"{self.public_id} -> {self.account_id}"


class CounterpartyCorrection(models.Model):
    """What an ACH notification of change (NOC) said about a counterparty: the next payment to the routing number
    and account it names goes to the corrected details instead (``apps.payments.services.orders``)."""

    public_id = models.CharField(max_length=32, unique=True, default=_correction_id, editable=False)
    creditor_aba = models.CharField(max_length=9, help_text="the routing number the payment was sent to")
    creditor_identifier = EncryptedTextField(bind_to="public_id", help_text="the account number it was sent to")
    creditor_identifier_bidx = BlindIndexField(source="creditor_identifier")
    corrected_aba = models.CharField(max_length=9, blank=True)
    corrected_identifier = EncryptedTextField(bind_to="public_id", blank=True)
    corrected_name = EncryptedTextField(bind_to="public_id", blank=True)
    change_code = models.CharField(max_length=3)
    payment = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="+", help_text="its NOC's")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["creditor_aba", "creditor_identifier_bidx"], name="payments_corr_counterparty")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.change_code}"


class AchFileStatus(models.TextChoices):
    BUILT = "BUILT"  # written and committed; not yet handed to the operator
    SUBMITTING = "SUBMITTING"  # a worker is sending it (committed before the call)
    SUBMITTED = "SUBMITTED"  # the operator has it (receipt)
    ACCEPTED = "ACCEPTED"  # the operator acknowledged it: its entries settled
    REJECTED = "REJECTED"  # the operator refused the file: every entry's hold was voided
    FAILED = "FAILED"  # no receipt after every attempt: its entries are dead letters


class AchFile(models.Model):
    """One NACHA file sent to the ACH operator at a cut-off, holding the ACH payments queued until then.

    ``network_key`` is the file id the operator de-duplicates on (immediate origin, creation date and time, file id
    modifier): a resend after a timeout or a lost worker is the same file, answered once.
    """

    public_id = models.CharField(max_length=32, unique=True, default=_ach_file_id, editable=False)
    network_key = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=16, choices=AchFileStatus.choices, default=AchFileStatus.BUILT)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    entry_count = models.PositiveIntegerField()
    total_credit_minor = models.BigIntegerField()
    same_day = models.BooleanField(help_text="at least one batch asks for same-day settlement")
    body = EncryptedTextField(bind_to="public_id", help_text="the NACHA file (names and account numbers: PII)")
    attempts = models.PositiveIntegerField(default=0)
    network_reference = models.CharField(max_length=64, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in AchFileStatus]), name="ach_file_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network_key} ({self.status}, {self.entry_count} entries)"


class AchFileAnswer(models.Model):
    """An answer of the ACH operator about a whole file (acknowledgement, return file), recorded once."""

    ach_file = models.ForeignKey(AchFile, on_delete=models.PROTECT, related_name="answers")
    reply_id = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=16, blank=True)
    reason = models.CharField(max_length=64, blank=True)
    body = EncryptedTextField(bind_to="reply_id", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.reply_id} {self.status}"


class Correspondent(models.Model):
    """A bank holding our nostro account in a currency: SWIFT payments in that currency settle through it.

    A payment to a bank that is one of our correspondents in the currency goes to it directly (serial); to any other
    bank it goes as an MT103 to that bank plus an MT202 COV to our default correspondent (the cover method), which
    moves the funds. Without a correspondent for the currency, payments go straight to the beneficiary's bank and
    settle to the currency's NOSTRO account.
    """

    currency = models.CharField(max_length=3)
    bic = models.CharField(max_length=11)
    name = models.CharField(max_length=140, blank=True)
    nostro_account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="+", help_text="our account with this bank"
    )
    is_default = models.BooleanField(default=False, help_text="the one that carries covers in this currency")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["currency", "-is_default", "bic"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "bic"], name="correspondent_once_per_currency"),
            models.UniqueConstraint(
                fields=["currency"], condition=Q(is_default=True), name="correspondent_one_default_per_currency"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bic} ({self.currency})"
