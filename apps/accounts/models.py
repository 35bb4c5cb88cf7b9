"""Accounts a bank holds: customer products and its own internal general-ledger accounts."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.core.ids import new_public_id
from apps.security.fields import BlindIndexField, EncryptedTextField

BANK_OWNER_ID = "__bank__"


class AccountType(models.TextChoices):
    CHECKING = "CHECKING"
    SAVINGS = "SAVINGS"
    LOAN = "LOAN"
    # The bank's own general-ledger accounts, one per currency.
    NOSTRO = "NOSTRO"
    SUSPENSE = "SUSPENSE"
    FEE_INCOME = "FEE_INCOME"
    CASH = "CASH"
    FX_POSITION = "FX_POSITION"


CUSTOMER_TYPES = frozenset({AccountType.CHECKING, AccountType.SAVINGS, AccountType.LOAN})
INTERNAL_TYPES = frozenset(set(AccountType) - CUSTOMER_TYPES)


class AccountStatus(models.TextChoices):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    FROZEN = "FROZEN"
    CLOSED = "CLOSED"


# Which status changes are allowed. CLOSED is final.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    AccountStatus.PENDING: frozenset({AccountStatus.ACTIVE, AccountStatus.CLOSED}),
    AccountStatus.ACTIVE: frozenset({AccountStatus.FROZEN, AccountStatus.CLOSED}),
    AccountStatus.FROZEN: frozenset({AccountStatus.ACTIVE}),
    AccountStatus.CLOSED: frozenset(),
}


def _account_public_id() -> str:
    return new_public_id("acc")


class Account(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=_account_public_id, editable=False)
    owner_id = models.CharField(max_length=64, db_index=True, help_text="Customer reference in the bank's CRM")
    account_type = models.CharField(max_length=16, choices=AccountType.choices)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=8, choices=AccountStatus.choices, default=AccountStatus.PENDING)
    # The customer's name is PII: encrypted at rest (bound to this row by public_id), searchable by exact match
    # through its blind index (apps.security.selectors.blind_index_filter).
    name = EncryptedTextField(max_length=140, blank=True, bind_to="public_id", subject="owner_id")
    name_bidx = BlindIndexField(source="name")
    overdraft_limit_minor = models.BigIntegerField(
        default=0, help_text="How far below zero the balance may go, in minor units"
    )
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(overdraft_limit_minor__gte=0), name="account_overdraft_limit_gte_0"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="account_currency_iso_code"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in AccountStatus]), name="account_status_valid"
            ),
            # One general-ledger account of each internal type per currency.
            models.UniqueConstraint(
                fields=["account_type", "currency"],
                condition=Q(owner_id=BANK_OWNER_ID),
                name="one_internal_account_per_type_currency",
            ),
        ]
        indexes = [models.Index(fields=["owner_id", "currency"])]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.account_type} {self.currency})"

    @property
    def is_internal(self) -> bool:
        return self.account_type in INTERNAL_TYPES
