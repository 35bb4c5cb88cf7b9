"""Customers (people and organisations) who own accounts, their identity documents and the risk rules that rate them.

A customer's ``public_id`` is the ``owner_id`` of its accounts. Identity data (name, date of birth, nationality,
addresses, national id, document numbers and files) is PII: encrypted at rest with ``EncryptedTextField`` bound to
the row's public id; the name and national id are searchable by exact match through their blind indexes.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.core.ids import new_public_id
from apps.security.fields import BlindIndexField, EncryptedTextField


class CustomerKind(models.TextChoices):
    PERSON = "person", "Person"
    ORGANISATION = "organisation", "Organisation"


class KycStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    VERIFIED = "verified", "Verified"
    EXPIRED = "expired", "Expired"
    REJECTED = "rejected", "Rejected"


class RiskRating(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Channel(models.TextChoices):
    BRANCH = "branch", "In branch (face to face)"
    ONLINE = "online", "Online (not face to face)"
    API = "api", "Through an integrator's API"
    INTERMEDIARY = "intermediary", "Through an intermediary"


class SanctionsStatus(models.TextChoices):
    NOT_SCREENED = "not_screened", "Not screened yet"
    CLEAR = "clear", "Clear"
    POTENTIAL_MATCH = "potential_match", "Potential match (open alert)"
    CONFIRMED = "confirmed", "Confirmed match"


def _customer_id() -> str:
    return new_public_id("cus")


def _document_id() -> str:
    return new_public_id("doc")


class Customer(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=_customer_id, editable=False)
    kind = models.CharField(max_length=16, choices=CustomerKind.choices)
    name = EncryptedTextField(
        bind_to="public_id", subject="public_id", subject_record=True, help_text="full legal name"
    )
    name_bidx = BlindIndexField(source="name")
    date_of_birth = EncryptedTextField(
        bind_to="public_id", subject="public_id", subject_record=True, blank=True, help_text="YYYY-MM-DD; founding date"
    )
    nationality = EncryptedTextField(
        bind_to="public_id", subject="public_id", subject_record=True, blank=True, help_text="ISO 3166 alpha-2"
    )
    addresses = EncryptedTextField(
        bind_to="public_id", subject="public_id", subject_record=True, blank=True, help_text="JSON list of addresses"
    )
    national_id = EncryptedTextField(
        bind_to="public_id",
        subject="public_id",
        subject_record=True,
        blank=True,
        help_text="national id / registration no.",
    )
    national_id_bidx = BlindIndexField(source="national_id")
    residence_country = models.CharField(max_length=2, help_text="ISO 3166 alpha-2 country of residence/seat")
    pep = models.BooleanField(default=False, help_text="politically exposed person (or owned by one)")
    occupation = models.CharField(max_length=100, blank=True)
    industry = models.CharField(max_length=50, blank=True, help_text="a key of the industry risk rules")
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.BRANCH)
    products = models.JSONField(default=list, blank=True, help_text="account types the customer uses")
    expected_monthly_amount_minor = models.BigIntegerField(default=0)
    expected_currency = models.CharField(max_length=3, default="EUR")

    kyc_status = models.CharField(max_length=16, choices=KycStatus.choices, default=KycStatus.PENDING)
    kyc_verified_at = models.DateTimeField(null=True, blank=True)
    kyc_verified_by = models.CharField(max_length=150, blank=True)
    kyc_expires_on = models.DateField(null=True, blank=True, help_text="verification lapses after this day")
    kyc_note = models.CharField(max_length=500, blank=True, help_text="why rejected or expired")

    risk_rating = models.CharField(max_length=8, choices=RiskRating.choices, default=RiskRating.LOW)
    risk_score = models.IntegerField(default=0)
    risk_reasons = models.JSONField(default=list, blank=True, help_text="the rules that applied, with points")
    risk_rated_at = models.DateTimeField(null=True, blank=True)
    next_review_on = models.DateField(null=True, blank=True)
    edd_required = models.BooleanField(default=False, help_text="enhanced due diligence: high risk")
    edd_notes = EncryptedTextField(
        bind_to="public_id",
        subject="public_id",
        subject_record=True,
        blank=True,
        help_text="the EDD performed (source of funds...)",
    )

    sanctions_status = models.CharField(
        max_length=16, choices=SanctionsStatus.choices, default=SanctionsStatus.NOT_SCREENED
    )
    screened_at = models.DateTimeField(null=True, blank=True)

    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=[k.value for k in CustomerKind]), name="customer_kind_valid"),
            models.CheckConstraint(
                condition=Q(kyc_status__in=[s.value for s in KycStatus]), name="customer_kyc_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(risk_rating__in=[r.value for r in RiskRating]), name="customer_risk_rating_valid"
            ),
            models.CheckConstraint(
                condition=Q(expected_monthly_amount_minor__gte=0), name="customer_expected_amount_gte_0"
            ),
        ]
        indexes = [models.Index(fields=["kyc_status", "risk_rating"]), models.Index(fields=["next_review_on"])]
        permissions = [("verify_customer", "Can verify or reject a customer's KYC and documents")]

    def __str__(self) -> str:
        return self.public_id


class DocumentType(models.TextChoices):
    PASSPORT = "passport", "Passport"
    NATIONAL_ID = "national_id", "National identity card"
    DRIVING_LICENCE = "driving_licence", "Driving licence"
    PROOF_OF_ADDRESS = "proof_of_address", "Proof of address"
    INCORPORATION = "certificate_of_incorporation", "Certificate of incorporation"
    OTHER = "other", "Other"


# Documents that establish identity (KYC verification needs one verified and unexpired).
IDENTITY_DOCUMENTS = {
    CustomerKind.PERSON: frozenset({DocumentType.PASSPORT, DocumentType.NATIONAL_ID, DocumentType.DRIVING_LICENCE}),
    CustomerKind.ORGANISATION: frozenset({DocumentType.INCORPORATION}),
}


class DocumentStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


class CustomerDocument(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=_document_id, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="documents")
    doc_type = models.CharField(max_length=32, choices=DocumentType.choices)
    number = EncryptedTextField(bind_to="public_id", subject="customer.public_id", blank=True)
    issuing_country = models.CharField(max_length=2, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    file_name = EncryptedTextField(bind_to="public_id", subject="customer.public_id", blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    content = EncryptedTextField(
        bind_to="public_id", subject="customer.public_id", blank=True, help_text="the file, base64"
    )
    status = models.CharField(max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.PENDING)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)
    uploaded_by = models.CharField(max_length=150, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.doc_type})"


class RiskFactor(models.TextChoices):
    COUNTRY = "country", "Country (residence or nationality)"
    PRODUCT = "product", "Product"
    PEP = "pep", "Politically exposed person"
    INDUSTRY = "industry", "Industry"
    CHANNEL = "channel", "Onboarding channel"


class RiskRule(models.Model):
    """One rule of the customer risk rating: a factor's value and the points it adds, with the reason shown."""

    factor = models.CharField(max_length=16, choices=RiskFactor.choices)
    value = models.CharField(max_length=50, help_text="country code, product, industry key, channel; 'true' for PEP")
    points = models.IntegerField()
    reason = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["factor", "value"], name="risk_rule_unique_factor_value")]
        ordering = ["factor", "value"]

    def __str__(self) -> str:
        return f"{self.factor}={self.value} (+{self.points})"
