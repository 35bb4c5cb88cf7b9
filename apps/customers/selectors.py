"""Reads of customers, their documents and the risk rules. Never write, never lock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from apps.security.selectors import blind_index_filter

from .errors import CustomerNotFound, DocumentNotFound
from .models import Customer, CustomerDocument, KycStatus, RiskRule
from .risk import RuleRow


def customer_get(*, public_id: str) -> Customer:
    customer = Customer.objects.filter(public_id=public_id).first()
    if customer is None:
        raise CustomerNotFound(f"no customer {public_id}", field="customer")
    return customer


def customer_list(
    *,
    kyc_status: str | None = None,
    risk_rating: str | None = None,
    name: str | None = None,
    national_id: str | None = None,
    owner_ids: Iterable[str] | None = None,
) -> QuerySet[Customer]:
    """Customers, newest first; ``name`` and ``national_id`` match exactly (through their blind indexes)."""
    qs = Customer.objects.order_by("-id")
    if kyc_status:
        qs = qs.filter(kyc_status=kyc_status)
    if risk_rating:
        qs = qs.filter(risk_rating=risk_rating)
    if name:
        qs = blind_index_filter(queryset=qs, field_name="name", value=name)
    if national_id:
        qs = blind_index_filter(queryset=qs, field_name="national_id", value=national_id)
    if owner_ids is not None:
        qs = qs.filter(public_id__in=list(owner_ids))
    return qs


def effective_kyc_status(*, status: str, expires_on: dt.date | None, today: dt.date | None = None) -> str:
    """A verification lapses the day after ``expires_on`` even before the expiry job has marked it."""
    today = today or timezone.localdate()
    if status == KycStatus.VERIFIED and expires_on is not None and expires_on < today:
        return KycStatus.EXPIRED
    return status


def kyc_states(*, public_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Customer id -> (effective KYC status, sanctions status) for the customers among ``public_ids`` (one query)."""
    ids = [p for p in public_ids if p]
    if not ids:
        return {}
    today = timezone.localdate()
    return {
        public_id: (effective_kyc_status(status=status, expires_on=expires, today=today), sanctions)
        for public_id, status, expires, sanctions in Customer.objects.filter(public_id__in=ids).values_list(
            "public_id", "kyc_status", "kyc_expires_on", "sanctions_status"
        )
    }


def unverified_owners_of_accounts(*, accounts: list[str], today: dt.date | None = None) -> list[str]:
    """The customers owning ``accounts`` whose KYC is not (or no longer) verified: one query (accounts as a
    subquery); owners that are no customer are not listed."""
    from apps.accounts.selectors import owner_ids_query

    today = today or timezone.localdate()
    rows = Customer.objects.filter(public_id__in=owner_ids_query(public_ids=accounts)).values_list(
        "public_id", "kyc_status", "kyc_expires_on"
    )
    return sorted(
        public_id
        for public_id, status, expires in rows
        if effective_kyc_status(status=status, expires_on=expires, today=today) != KycStatus.VERIFIED
    )


def documents_of(*, customer: Customer) -> QuerySet[CustomerDocument]:
    return CustomerDocument.objects.filter(customer=customer).order_by("id")


def document_get(*, customer: Customer, public_id: str) -> CustomerDocument:
    document = CustomerDocument.objects.filter(customer=customer, public_id=public_id).first()
    if document is None:
        raise DocumentNotFound(f"no document {public_id} of customer {customer.public_id}", field="document")
    return document


def active_risk_rules() -> list[RuleRow]:
    return [
        RuleRow(factor, value, points, reason)
        for factor, value, points, reason in RiskRule.objects.filter(active=True)
        .order_by("factor", "value")
        .values_list("factor", "value", "points", "reason")
    ]


def customers_due_for_expiry(*, today: dt.date) -> QuerySet[Customer]:
    return Customer.objects.filter(kyc_status=KycStatus.VERIFIED, kyc_expires_on__lt=today).order_by("pk")


def customers_for_screening() -> QuerySet[Customer]:
    return Customer.objects.order_by("pk")


# --- data-subject rights (apps.privacy calls these) -------------------------------------------------------------
def _iso(value):
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def subject_customer_record(*, customer: Customer) -> dict:
    """The customer record and its documents as a subject-access export shows them (decrypted: their own data).

    Document file contents are listed by digest, not included (handed over on request)."""
    import json

    addresses = customer.addresses
    try:
        addresses = json.loads(addresses) if addresses else []
    except ValueError:
        addresses = [addresses]  # "[erased]" or a legacy free-text value
    return {
        "id": customer.public_id,
        "kind": customer.kind,
        "name": customer.name,
        "date_of_birth": customer.date_of_birth,
        "nationality": customer.nationality,
        "addresses": addresses,
        "national_id": customer.national_id,
        "residence_country": customer.residence_country,
        "pep": customer.pep,
        "occupation": customer.occupation,
        "industry": customer.industry,
        "channel": customer.channel,
        "expected_monthly_amount_minor": customer.expected_monthly_amount_minor,
        "expected_currency": customer.expected_currency,
        "kyc_status": customer.kyc_status,
        "kyc_verified_at": _iso(customer.kyc_verified_at),
        "kyc_expires_on": _iso(customer.kyc_expires_on),
        "risk_rating": customer.risk_rating,
        "risk_reasons": customer.risk_reasons,
        "edd_notes": customer.edd_notes,
        "created_at": _iso(customer.created_at),
        "documents": [
            {
                "id": d.public_id,
                "type": d.doc_type,
                "number": d.number,
                "issuing_country": d.issuing_country,
                "expires_on": _iso(d.expires_on),
                "file_name": d.file_name,
                "sha256": d.sha256,
                "status": d.status,
                "uploaded_at": _iso(d.uploaded_at),
            }
            for d in documents_of(customer=customer)
        ],
    }


def subject_screening_status(*, customer: Customer) -> dict:
    """The customer's sanctions status as the subject may see it: anything but clear reads "under review"."""
    shown = customer.sanctions_status if customer.sanctions_status in {"clear", "not_screened"} else "under review"
    return {"sanctions_status": shown, "screened_at": _iso(customer.screened_at)}


def customer_list_by_ids(*, public_ids: Iterable[str]) -> QuerySet[Customer]:
    return Customer.objects.filter(public_id__in=list(public_ids)).order_by("id")
