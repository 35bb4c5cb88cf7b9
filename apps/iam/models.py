"""API clients and their keys.

A key is shown once when it is created. The database keeps only a SHA-256 digest of its secret part
(the secret is 256 random bits, so a plain digest cannot be brute-forced), plus a short public prefix
to find the row. Keys carry scopes, can expire and can be revoked.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

SCOPES = {
    "accounts:read": "Read accounts, balances and statements",
    "accounts:write": "Open accounts and change their status",
    "transactions:read": "Read transactions and holds",
    "transactions:write": "Post transactions and manage holds",
    "fx:write": "Set foreign-exchange rates",
    "payments:read": "Read payments, their history and messages",
    "payments:write": "Send and cancel payments",
    "screening:read": "Screen names against the sanctions lists",
    "cards:read": "Read cards and their authorisations",
    "cards:write": "Issue and block cards",
    "cards:network": "Send ISO 8583 card messages to the issuer host (the card switch)",
    "fraud:review": "Read fraud alerts and record analysts' decisions (fraud / not fraud)",
    "compliance:read": "Read AML rules, alerts, cases and regulatory reports",
    "compliance:write": "Work AML cases, change rules, draft, review and file regulatory reports",
    "reconciliation:read": "Read imported statements, reconciliation runs and breaks",
    "reconciliation:write": "Import bank statements, run reconciliations and resolve breaks",
    "customers:read": "Read customers, their documents and KYC state",
    "customers:write": "Create and change customers, upload and verify documents, verify KYC",
    "payments:inbound": "Upload inbound payment messages, read inbound payments, resolve exception items",
    "events:read": "Read the business event stream (GET /api/v1/events)",
    "events:webhooks": "Manage webhook subscriptions: list, create, (de)activate, read deliveries, replay them",
}


class ApiClient(models.Model):
    """A machine integration. Which customers' accounts it may reach is its owner scope (``apps.iam.tenancy``)."""

    name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    is_active = models.BooleanField(default=True)
    owner_ids = models.JSONField(
        default=list, blank=True, help_text="Customer owner ids whose accounts this client may open, read and debit"
    )
    all_customers = models.BooleanField(
        default=False, help_text="May reach every customer's accounts (back-office integrators); never the bank's own"
    )
    credit_any_customer = models.BooleanField(
        default=False, help_text="May credit (pay into) accounts of customers outside its owner ids"
    )

    def __str__(self) -> str:
        return self.name

    @property
    def actor_name(self) -> str:
        """How the ledger and the audit trail name this client as an actor (never a valid Django username)."""
        return f"api:{self.name}"


class ApiKey(models.Model):
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="keys")
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.client.name} key {self.prefix}"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        if self.revoked_at is not None or not self.client.is_active:
            return False
        return self.expires_at is None or self.expires_at > now
