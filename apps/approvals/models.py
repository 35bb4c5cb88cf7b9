"""Four-eyes approval requests: one maker proposes an operation, another staff member decides.

The maker is a staff user or an API client (a machine maker); the checker is always a staff user.

The request carries the operation as JSON. On approval the approvals service runs it through the owning
app's service with an idempotency key derived from the request's id, so it can never run twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from apps.core.ids import new_public_id


class ApprovalKind(models.TextChoices):
    POSTING = "POSTING", "Posting above the approval threshold"
    ACCOUNT_OPEN = "ACCOUNT_OPEN", "Account opening with a large deposit or an overdraft limit"
    HOLD = "HOLD", "Hold above the approval threshold"
    HOLD_CAPTURE = "HOLD_CAPTURE", "Hold capture above the approval threshold"
    MANUAL_ADJUSTMENT = "MANUAL_ADJUSTMENT", "Manual adjustment"
    ACCOUNT_UNFREEZE = "ACCOUNT_UNFREEZE", "Account unfreeze"
    OVERDRAFT_LIMIT = "OVERDRAFT_LIMIT", "Overdraft limit change"
    PAYMENT_RELEASE = "PAYMENT_RELEASE", "Release of a held payment above the approval threshold"
    AML_CASE_CLOSE = "AML_CASE_CLOSE", "Close of a high-risk AML case (apps.compliance)"
    PRIVACY_ERASURE = "PRIVACY_ERASURE", "Erasure of a data subject (apps.privacy)"
    RECON_WRITE_OFF = "RECON_WRITE_OFF", "Write-off of a reconciliation break (apps.reconciliation)"


# Kinds a compliance officer (approvals.approve_compliance_request) may decide: unfreezes, the release of
# payments a check held (sanctions and fraud holds are compliance decisions) the close of high-risk AML cases
# and data-subject erasures.
COMPLIANCE_KINDS = frozenset(
    {
        ApprovalKind.ACCOUNT_UNFREEZE,
        ApprovalKind.PAYMENT_RELEASE,
        ApprovalKind.AML_CASE_CLOSE,
        ApprovalKind.PRIVACY_ERASURE,
    }
)


class ApprovalStatus(models.TextChoices):
    PENDING = "PENDING"
    APPROVED = "APPROVED"  # decided; the operation is being executed
    REJECTED = "REJECTED"
    EXECUTED = "EXECUTED"
    FAILED = "FAILED"  # approved, but the operation was refused when it ran (see error_code)


def _approval_public_id() -> str:
    return new_public_id("apr")


class ApprovalRequest(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=_approval_public_id, editable=False)
    kind = models.CharField(max_length=24, choices=ApprovalKind.choices)
    payload = models.JSONField(help_text="The operation's arguments, as the maker submitted them")
    status = models.CharField(max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING)
    # Exactly one of maker (a staff user) and maker_client (an API client) is set.
    maker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    maker_client = models.ForeignKey("iam.ApiClient", on_delete=models.PROTECT, related_name="+", null=True)
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reason = models.CharField(max_length=500, blank=True, help_text="The checker's reason")
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)
    result_ref = models.CharField(max_length=64, blank=True, help_text="Public id of what the operation produced")
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [
            ("approve_request", "Can approve or reject any approval request (never one's own)"),
            ("approve_compliance_request", "Can approve or reject compliance approval requests"),
        ]
        constraints = [
            # The database refuses a maker deciding their own request, whatever the code path.
            models.CheckConstraint(condition=~Q(checker=F("maker")), name="approval_checker_is_not_maker"),
            models.CheckConstraint(
                condition=Q(maker__isnull=False, maker_client__isnull=True)
                | Q(maker__isnull=True, maker_client__isnull=False),
                name="approval_one_maker",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ApprovalStatus]), name="approval_status_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=[k.value for k in ApprovalKind]), name="approval_kind_valid"),
            models.CheckConstraint(
                condition=Q(status=ApprovalStatus.PENDING) | Q(checker__isnull=False),
                name="approval_decided_has_checker",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.public_id} {self.kind} {self.status}"

    @property
    def maker_name(self) -> str:
        """The maker as the audit trail and the ledger's ``actor`` name it: a username or ``api:<client>``."""
        return self.maker.get_username() if self.maker_id else self.maker_client.actor_name

    @property
    def execution_key(self) -> str:
        """The idempotency key the approved operation is posted with: one execution per request."""
        return f"approval:{self.public_id}"
