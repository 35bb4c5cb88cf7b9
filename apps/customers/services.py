"""Every write to customers: create, update, documents, KYC decisions, risk rating, sanctions status, expiry.

Each write is one durable transaction ending with its audit record (no PII in the trail: it can never be erased,
so it carries codes, ratings and reasons, never names, dates of birth or ids). Screening runs *after* the
customer's transaction commits, through compliance's screening service (its own transaction); the result comes
back as the customer's sanctions status (``customer_sanctions_refresh``), also called by compliance when an officer
decides one of the customer's alerts.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.compliance import alert_selectors
from apps.compliance.alert_models import AlertStatus, PartyRole, SubjectType
from apps.compliance.alerts import screening_subject_screen
from apps.compliance.party_screening import Party
from apps.core.errors import Conflict, InvalidInput
from apps.core.money import currency_exponent

from . import risk, selectors
from .errors import CustomerNotFound, DocumentNotFound, KycRequirementsNotMet
from .models import (
    IDENTITY_DOCUMENTS,
    Channel,
    Customer,
    CustomerDocument,
    CustomerKind,
    DocumentStatus,
    DocumentType,
    KycStatus,
    RiskRule,
    SanctionsStatus,
)

PUBLIC_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
DOCUMENT_CONTENT_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png", "image/tiff"})
# Identity fields: a change rescreens the customer, and a verified customer goes back to pending review.
IDENTITY_FIELDS = frozenset({"kind", "name", "date_of_birth", "nationality", "national_id"})
SCREENED_FIELDS = frozenset({"kind", "name", "date_of_birth", "nationality", "residence_country"})
PLAIN_FIELDS = (
    "residence_country",
    "pep",
    "occupation",
    "industry",
    "channel",
    "products",
    "expected_monthly_amount_minor",
    "expected_currency",
)
UPDATABLE = frozenset(IDENTITY_FIELDS | {"addresses"} | set(PLAIN_FIELDS))


@dataclass(frozen=True)
class CustomerInput:
    """The fields a customer is created or updated with (validated by ``clean_fields``)."""

    fields: dict[str, Any]


def _country(value: Any, field: str, *, required: bool) -> str:
    text = (value or "").strip().upper() if isinstance(value, str) or value is None else None
    if text is None or (text and (len(text) != 2 or not text.isalpha())):
        raise InvalidInput(f"{field} must be an ISO 3166 alpha-2 country code", field=field, code="invalid_country")
    if required and not text:
        raise InvalidInput(f"{field} is required", field=field, code="missing_field")
    return text


def _date(value: Any, field: str) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{field} must be YYYY-MM-DD", field=field, code="invalid_date") from None
    if not dt.date(1850, 1, 1) <= day <= timezone.localdate():
        raise InvalidInput(f"{field} is out of range", field=field, code="invalid_date")
    return day.isoformat()


def _text(value: Any, field: str, *, max_length: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", field=field)
    value = " ".join(value.split())
    if required and not value:
        raise InvalidInput(f"{field} is required", field=field, code="missing_field")
    if len(value) > max_length:
        raise InvalidInput(f"{field} is at most {max_length} characters", field=field)
    return value


def clean_fields(raw: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validate and normalise customer fields; unknown fields are refused."""
    unknown = set(raw) - UPDATABLE
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if name == "kind":
            if value not in CustomerKind.values:
                raise InvalidInput("kind must be person or organisation", field="kind", code="invalid_choice")
            out[name] = value
        elif name == "name":
            out[name] = _text(value, "name", max_length=300, required=True)
        elif name == "date_of_birth":
            out[name] = _date(value, "date_of_birth")
        elif name == "nationality":
            out[name] = _country(value, "nationality", required=False)
        elif name == "residence_country":
            out[name] = _country(value, "residence_country", required=True)
        elif name == "national_id":
            out[name] = _text(value, "national_id", max_length=64)
        elif name == "addresses":
            if not isinstance(value, list) or not all(isinstance(a, (str, dict)) for a in value) or len(value) > 10:
                raise InvalidInput("addresses must be a list of at most 10 addresses", field="addresses")
            out[name] = value
        elif name == "pep":
            if not isinstance(value, bool):
                raise InvalidInput("pep must be true or false", field="pep")
            out[name] = value
        elif name == "occupation":
            out[name] = _text(value, name, max_length=100)
        elif name == "industry":
            out[name] = _text(value, name, max_length=50).lower()
        elif name == "channel":
            if value not in Channel.values:
                raise InvalidInput(
                    f"channel must be one of {', '.join(Channel.values)}", field="channel", code="invalid_choice"
                )
            out[name] = value
        elif name == "products":
            if not isinstance(value, list) or not all(isinstance(p, str) and 0 < len(p) <= 32 for p in value):
                raise InvalidInput("products must be a list of product names", field="products")
            out[name] = sorted({p.upper() for p in value})
        elif name == "expected_monthly_amount_minor":
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidInput(
                    "expected_monthly_amount_minor must be a non-negative integer",
                    field="expected_monthly_amount_minor",
                    code="invalid_amount",
                )
            out[name] = value
        elif name == "expected_currency":
            currency_exponent(value, field="expected_currency")
            out[name] = value
    if not partial:
        for required in ("kind", "name", "residence_country"):
            if required not in out:
                raise InvalidInput(f"{required} is required", field=required, code="missing_field")
    return out


def _state(customer: Customer) -> dict:
    """What the audit trail keeps of a customer: no PII."""
    return {
        "kind": customer.kind,
        "residence_country": customer.residence_country,
        "pep": customer.pep,
        "industry": customer.industry,
        "channel": customer.channel,
        "products": customer.products,
        "kyc_status": customer.kyc_status,
        "risk_rating": customer.risk_rating,
        "risk_score": customer.risk_score,
        "edd_required": customer.edd_required,
        "next_review_on": customer.next_review_on.isoformat() if customer.next_review_on else None,
        "sanctions_status": customer.sanctions_status,
    }


def _rate(customer: Customer, today: dt.date) -> None:
    """Apply the active risk rules to the customer (in memory): rating, score, reasons, review date, EDD."""
    rating = risk.rate(
        selectors.active_risk_rules(),
        risk.factor_values(
            residence_country=customer.residence_country,
            nationality=customer.nationality or "",
            products=customer.products,
            pep=customer.pep,
            industry=customer.industry,
            channel=customer.channel,
        ),
    )
    customer.risk_rating, customer.risk_score, customer.risk_reasons = rating.rating, rating.score, rating.reasons
    customer.edd_required = rating.edd_required
    customer.risk_rated_at = timezone.now()
    customer.next_review_on = risk.next_review(rating.rating, from_day=today)


def _assign(customer: Customer, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(customer, name, json.dumps(value, ensure_ascii=False) if name == "addresses" else value)


def screening_parties(customer: Customer) -> list[Party]:
    return [
        Party(
            role=PartyRole.CUSTOMER,
            name=customer.name,
            country=customer.nationality or customer.residence_country,
            entity_type="individual" if customer.kind == CustomerKind.PERSON else "entity",
            date_of_birth=customer.date_of_birth or None,
        )
    ]


def customer_create(*, fields: dict[str, Any], public_id: str | None = None, actor: str = "system") -> Customer:
    """Create a customer (KYC pending), rate its risk, then screen it against the lists (onboarding).

    ``public_id`` keeps a reference the bank already uses (a customer imported from its CRM, the seed's
    ``user123``); by default a new ``cus_`` id is drawn.
    """
    cleaned = clean_fields(fields, partial=False)
    customer = Customer(created_by=actor[:150])
    if public_id is not None:
        if not PUBLIC_ID.fullmatch(public_id or "") or public_id == "__bank__":
            raise InvalidInput("a customer id is 1-32 letters, digits, '-' or '_'", field="id", code="invalid_id")
        if Customer.objects.filter(public_id=public_id).exists():
            raise Conflict(f"customer {public_id} exists already", field="id", code="customer_exists")
        customer.public_id = public_id
    _assign(customer, cleaned)
    _rate(customer, timezone.localdate())
    with transaction.atomic(durable=True):
        customer.save()
        audit_record(
            action="customer.created",
            object_type="customer",
            object_id=customer.public_id,
            after=_state(customer) | {"risk_reasons": customer.risk_reasons},
            actor=actor,
        )
    return customer_screen(public_id=customer.public_id, source="onboarding", actor=actor)


def customer_update(*, public_id: str, fields: dict[str, Any], actor: str = "system") -> Customer:
    """Change a customer's data; re-rate; rescreen when a screened field changed; identity changes need re-review."""
    cleaned = clean_fields(fields, partial=True)
    with transaction.atomic(durable=True):
        customer = _lock(public_id)
        before = _state(customer)
        changed = {
            name
            for name, value in cleaned.items()
            if (json.dumps(value, ensure_ascii=False) if name == "addresses" else value) != getattr(customer, name)
        }
        if not changed:
            return customer
        _assign(customer, {name: cleaned[name] for name in changed})
        _rate(customer, timezone.localdate())
        if changed & IDENTITY_FIELDS and customer.kyc_status == KycStatus.VERIFIED:
            customer.kyc_status = KycStatus.PENDING
            customer.kyc_note = "identity data changed: to be verified again"
        customer.save()
        audit_record(
            action="customer.updated",
            object_type="customer",
            object_id=customer.public_id,
            before=before,
            after=_state(customer) | {"changed_fields": sorted(changed), "risk_reasons": customer.risk_reasons},
            actor=actor,
        )
    if changed & SCREENED_FIELDS:
        return customer_screen(public_id=customer.public_id, source="change", actor=actor)
    return customer


def customer_screen(*, public_id: str, source: str = "manual", actor: str = "system") -> Customer:
    """Screen the customer through compliance (alerts for new hits), then record its sanctions status."""
    customer = selectors.customer_get(public_id=public_id)
    screening_subject_screen(
        subject_type=SubjectType.CUSTOMER,
        subject_id=customer.public_id,
        parties=screening_parties(customer),
        source=source,
        owner_id=customer.public_id,
        actor=actor,
    )
    return customer_sanctions_refresh(public_id=public_id, screened=True, actor=actor)


def _sanctions_status_of(public_id: str) -> str:
    statuses = alert_selectors.subject_alert_statuses(subject_type=SubjectType.CUSTOMER, subject_id=public_id)
    if AlertStatus.CONFIRMED in statuses:
        return SanctionsStatus.CONFIRMED
    if AlertStatus.OPEN in statuses:
        return SanctionsStatus.POTENTIAL_MATCH
    return SanctionsStatus.CLEAR


def customer_sanctions_refresh(*, public_id: str, screened: bool = False, actor: str = "system") -> Customer:
    """Record the customer's sanctions status from its alerts (open -> potential match, confirmed -> confirmed).

    A confirmed match also rejects the customer's KYC: the bank does not keep a sanctioned customer verified.
    """
    status = _sanctions_status_of(public_id)
    with transaction.atomic(durable=True):
        customer = _lock(public_id)
        if screened:
            customer.screened_at = timezone.now()
        if status == customer.sanctions_status:
            if screened:  # screened again, nothing new: only the time of the screening moves
                customer.save(update_fields=["screened_at", "updated_at"])
            return customer
        before = _state(customer)
        customer.sanctions_status = status
        if status == SanctionsStatus.CONFIRMED and customer.kyc_status != KycStatus.REJECTED:
            customer.kyc_status, customer.kyc_note = KycStatus.REJECTED, "sanctions match confirmed"
        customer.save()
        audit_record(
            action="customer.sanctions_status_changed",
            object_type="customer",
            object_id=customer.public_id,
            before=before,
            after=_state(customer),
            actor=actor,
        )
    return customer


@transaction.atomic
def customer_pseudonymise(*, public_id: str, actor: str = "system") -> Customer:
    """Erasure (apps.privacy): clear the customer's plain-text identifiers once their data key is destroyed.

    The encrypted identity fields are unreadable by then (crypto-shredded); this clears the free text and
    document digests that are stored in clear and could single the person out. Codes, ratings and dates stay
    (AML statistics, the audit trail). Runs inside the caller's erasure transaction.
    """
    customer = _lock(public_id)
    customer.occupation = ""
    customer.kyc_note = ""
    customer.save(update_fields=["occupation", "kyc_note", "updated_at"])
    documents = CustomerDocument.objects.filter(customer=customer)
    cleared = documents.count()
    documents.update(sha256="", decision_reason="", size=0)
    audit_record(
        action="customer.pseudonymised",
        object_type="customer",
        object_id=public_id,
        after={"documents": cleared},
        actor=actor,
    )
    return customer


def _lock(public_id: str) -> Customer:
    customer = Customer.objects.select_for_update(no_key=True).filter(public_id=public_id).first()
    if customer is None:
        raise CustomerNotFound(f"no customer {public_id}", field="customer")
    return customer


def document_upload(
    *,
    customer_id: str,
    doc_type: str,
    content: bytes,
    file_name: str = "",
    content_type: str = "",
    number: str = "",
    issuing_country: str = "",
    expires_on: dt.date | None = None,
    actor: str = "system",
) -> CustomerDocument:
    """Store a document of the customer (encrypted at rest), pending an officer's review."""
    if doc_type not in DocumentType.values:
        raise InvalidInput(
            f"doc_type must be one of {', '.join(DocumentType.values)}", field="doc_type", code="invalid_choice"
        )
    if not content:
        raise InvalidInput("the document file is empty", field="file", code="missing_field")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(f"a document is at most {MAX_DOCUMENT_BYTES} bytes", field="file", code="file_too_large")
    if content_type not in DOCUMENT_CONTENT_TYPES:
        raise InvalidInput(
            f"content_type must be one of {', '.join(sorted(DOCUMENT_CONTENT_TYPES))}",
            field="content_type",
            code="invalid_content_type",
        )
    if expires_on is not None and expires_on < timezone.localdate():
        raise InvalidInput("the document has expired", field="expires_on", code="document_expired")
    number = _text(number, "number", max_length=64)
    issuing_country = _country(issuing_country, "issuing_country", required=False)
    with transaction.atomic(durable=True):
        customer = _lock(customer_id)
        document = CustomerDocument.objects.create(
            customer=customer,
            doc_type=doc_type,
            number=number,
            issuing_country=issuing_country,
            expires_on=expires_on,
            file_name=_text(file_name, "file_name", max_length=200),
            content_type=content_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=base64.b64encode(content).decode("ascii"),
            uploaded_by=actor[:150],
        )
        audit_record(
            action="customer.document_uploaded",
            object_type="customer",
            object_id=customer.public_id,
            after={
                "document": document.public_id,
                "doc_type": doc_type,
                "sha256": document.sha256,
                "size": document.size,
                "expires_on": expires_on.isoformat() if expires_on else None,
            },
            actor=actor,
        )
    return document


def document_decide(
    *, customer_id: str, document_id: str, verified: bool, reason: str = "", actor: str = "system"
) -> CustomerDocument:
    """An officer verifies (or rejects, with a reason) a document after checking it."""
    reason = _text(reason, "reason", max_length=500, required=not verified)
    with transaction.atomic(durable=True):
        customer = _lock(customer_id)
        document = (
            CustomerDocument.objects.select_for_update(no_key=True)
            .filter(customer=customer, public_id=document_id)
            .first()
        )
        if document is None:
            raise DocumentNotFound(f"no document {document_id} of customer {customer_id}", field="document")
        if verified and document.expires_on is not None and document.expires_on < timezone.localdate():
            raise KycRequirementsNotMet("the document has expired", field="document", code="document_expired")
        before = document.status
        document.status = DocumentStatus.VERIFIED if verified else DocumentStatus.REJECTED
        document.decided_by, document.decided_at, document.decision_reason = actor[:150], timezone.now(), reason
        document.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit_record(
            action="customer.document_decided",
            object_type="customer",
            object_id=customer.public_id,
            before={"document": document.public_id, "status": before},
            after={"document": document.public_id, "status": document.status, "reason": reason},
            actor=actor,
        )
    return document


def customer_verify(*, public_id: str, edd_notes: str = "", actor: str = "system") -> Customer:
    """Verify the customer's KYC. Needs a verified, unexpired identity document, a clear screening, and for a
    high-risk customer the enhanced due diligence written down. Valid until the next review (or the document's
    expiry, if sooner)."""
    edd_notes = (edd_notes or "").strip()
    if len(edd_notes) > 4000:
        raise InvalidInput("edd_notes is at most 4000 characters", field="edd_notes")
    today = timezone.localdate()
    with transaction.atomic(durable=True):
        customer = _lock(public_id)
        if (
            customer.kyc_status == KycStatus.VERIFIED
            and selectors.effective_kyc_status(
                status=customer.kyc_status, expires_on=customer.kyc_expires_on, today=today
            )
            == KycStatus.VERIFIED
        ):
            return customer
        identity_docs = [
            d
            for d in CustomerDocument.objects.filter(
                customer=customer, status=DocumentStatus.VERIFIED, doc_type__in=IDENTITY_DOCUMENTS[customer.kind]
            )
            if d.expires_on is None or d.expires_on >= today
        ]
        if not identity_docs:
            raise KycRequirementsNotMet(
                "no verified, unexpired identity document", field="documents", code="identity_document_missing"
            )
        if customer.sanctions_status != SanctionsStatus.CLEAR:
            raise KycRequirementsNotMet(
                f"sanctions screening is {customer.sanctions_status}: an officer must clear it first",
                field="sanctions_status",
                code="sanctions_unresolved",
            )
        if customer.edd_required and not (edd_notes or customer.edd_notes):
            raise KycRequirementsNotMet(
                "a high-risk customer needs enhanced due diligence (edd_notes)", field="edd_notes", code="edd_required"
            )
        before = _state(customer)
        _rate(customer, today)  # the review clock starts at verification
        expiries = [d.expires_on for d in identity_docs if d.expires_on is not None]
        customer.kyc_expires_on = min([customer.next_review_on, *([max(expiries)] if expiries else [])])
        customer.kyc_status, customer.kyc_note = KycStatus.VERIFIED, ""
        customer.kyc_verified_at, customer.kyc_verified_by = timezone.now(), actor[:150]
        if edd_notes:
            customer.edd_notes = edd_notes
        customer.save()
        audit_record(
            action="customer.kyc_verified",
            object_type="customer",
            object_id=customer.public_id,
            before=before,
            after=_state(customer)
            | {
                "documents": [d.public_id for d in identity_docs],
                "kyc_expires_on": customer.kyc_expires_on.isoformat(),
                "edd_recorded": bool(customer.edd_notes),
            },
            actor=actor,
        )
    return customer


def customer_reject(*, public_id: str, reason: str, actor: str = "system") -> Customer:
    reason = _text(reason, "reason", max_length=500, required=True)
    with transaction.atomic(durable=True):
        customer = _lock(public_id)
        before = _state(customer)
        customer.kyc_status, customer.kyc_note = KycStatus.REJECTED, reason
        customer.save()
        audit_record(
            action="customer.kyc_rejected",
            object_type="customer",
            object_id=customer.public_id,
            before=before,
            after=_state(customer) | {"reason": reason},
            actor=actor,
        )
    return customer


def customers_expire_due(*, today: dt.date | None = None, actor: str = "system") -> int:
    """Mark verified customers whose verification lapsed as expired (the posting check already treats them so)."""
    today = today or timezone.localdate()
    expired = 0
    for public_id in list(selectors.customers_due_for_expiry(today=today).values_list("public_id", flat=True)):
        with transaction.atomic(durable=True):
            customer = _lock(public_id)
            if (
                customer.kyc_status != KycStatus.VERIFIED
                or not customer.kyc_expires_on
                or (customer.kyc_expires_on >= today)
            ):
                continue
            before = _state(customer)
            customer.kyc_status, customer.kyc_note = (
                KycStatus.EXPIRED,
                f"verification lapsed on {customer.kyc_expires_on}",
            )
            customer.save()
            audit_record(
                action="customer.kyc_expired",
                object_type="customer",
                object_id=public_id,
                before=before,
                after=_state(customer),
                actor=actor,
            )
            expired += 1
    return expired


@transaction.atomic(durable=True)
def risk_rule_save(
    *, factor: str, value: str, points: int, reason: str, active: bool = True, actor: str = "system"
) -> RiskRule:
    """Create or change a risk rule (officers edit the rating rules as data)."""
    from .models import RiskFactor

    if factor not in RiskFactor.values:
        raise InvalidInput(
            f"factor must be one of {', '.join(RiskFactor.values)}", field="factor", code="invalid_choice"
        )
    value = _text(value, "value", max_length=50, required=True)
    value = value.upper() if factor in (RiskFactor.COUNTRY, RiskFactor.PRODUCT) else value.lower()
    if not isinstance(points, int) or not -100 <= points <= 100:
        raise InvalidInput("points must be an integer from -100 to 100", field="points")
    reason = _text(reason, "reason", max_length=200, required=True)
    rule = RiskRule.objects.select_for_update(no_key=True).filter(factor=factor, value=value).first()
    before = None if rule is None else {"points": rule.points, "reason": rule.reason, "active": rule.active}
    if rule is None:
        rule = RiskRule(factor=factor, value=value)
    rule.points, rule.reason, rule.active = points, reason, active
    rule.save()
    audit_record(
        action="customer.risk_rule_saved",
        object_type="risk_rule",
        object_id=f"{factor}={value}",
        before=before,
        after={"points": points, "reason": reason, "active": active},
        actor=actor,
    )
    return rule
