"""Reads for data-subject rights: everything QENEX holds about one customer, through the owning apps' selectors.

Left out of a subject-access export on purpose: open screening alerts and AML cases (telling the subject about
an investigation is tipping-off, AMLD art. 39; GDPR art. 23 allows the restriction), and document file contents
(listed with their digest; handed over on request). Card numbers appear only as token and last four.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db.models import QuerySet

from apps.accounts.selectors import account_list
from apps.audit.selectors import audit_records_for_object
from apps.cards.models import Card
from apps.compliance.alert_models import AlertStatus
from apps.compliance.alert_selectors import alert_list, open_alert_count
from apps.customers.models import Customer
from apps.customers.selectors import documents_of
from apps.ledger.selectors import balance_get, statement_lines
from apps.payments.models import PaymentOrder

from .errors import SubjectNotFound
from .models import Consent, ErasureRequest, ErasureStatus, PrivacyFlags, Purpose, SubjectExport


def customer_for_subject(*, customer_id: str) -> Customer:
    customer = Customer.objects.filter(public_id=customer_id).first()
    if customer is None:
        raise SubjectNotFound(f"no customer {customer_id}", field="customer")
    return customer


def consents_current(*, customer_id: str) -> dict[str, bool]:
    """The decision in force per purpose (purposes never decided are absent: no consent)."""
    current: dict[str, bool] = {}
    for row in Consent.objects.filter(customer_id=customer_id).order_by("purpose", "-recorded_at", "-id"):
        current.setdefault(row.purpose, row.granted)
    return current


def flags_of(*, customer_id: str) -> PrivacyFlags:
    return PrivacyFlags.objects.filter(customer_id=customer_id).first() or PrivacyFlags(customer_id=customer_id)


def processing_restricted(*, customer_id: str) -> bool:
    return PrivacyFlags.objects.filter(customer_id=customer_id, processing_restricted=True).exists()


def erasure_get(*, public_id: str) -> ErasureRequest | None:
    return ErasureRequest.objects.filter(public_id=public_id).first()


def erasures_scheduled() -> QuerySet[ErasureRequest]:
    return ErasureRequest.objects.filter(status=ErasureStatus.SCHEDULED).order_by("requested_at")


def is_erased(*, customer_id: str) -> bool:
    return ErasureRequest.objects.filter(customer_id=customer_id, status=ErasureStatus.EXECUTED).exists()


def legal_hold_reason(*, customer_id: str) -> str:
    """Why the customer's data must not be erased now regardless of retention ('' when nothing holds it)."""
    if open_alert_count(subject_type="customer", subject_id=customer_id):
        return "open screening alert"
    from apps.compliance.aml_models import AmlCase, CaseStatus

    if (
        AmlCase.objects.filter(owner_id=customer_id)
        .exclude(status__in=[CaseStatus.CLOSED, CaseStatus.SAR_FILED])
        .exists()
    ):
        return "open AML case"
    return ""


def relationship_end(*, customer_id: str) -> tuple[bool, dt.datetime | None]:
    """(ended, when): the relationship ends when every account is closed, at the last closure (its update time)."""
    accounts = list(account_list(owner_id=customer_id))
    if any(a.status != "CLOSED" for a in accounts):
        return False, None
    if not accounts:
        customer = customer_for_subject(customer_id=customer_id)
        return True, customer.updated_at
    return True, max(a.updated_at for a in accounts)


def record_kinds_held(*, customer_id: str) -> list[str]:
    """The record kinds (``conf.retention_days`` keys) QENEX holds for the customer."""
    kinds = ["kyc", "consents"]
    accounts = list(account_list(owner_id=customer_id))
    if any(statement_lines(account=a).exists() for a in accounts):
        kinds.append("transactions")
    if PaymentOrder.objects.filter(debtor_account__owner_id=customer_id).exists():
        kinds.append("payments")
    if alert_list(subject_type="customer", subject_id=customer_id).exists():
        kinds.append("screening")
    if Card.objects.filter(account__owner_id=customer_id).exists():
        kinds.append("cards")
    return kinds


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _customer_record(customer: Customer) -> dict[str, Any]:
    addresses: Any = customer.addresses
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


def subject_data(*, customer_id: str) -> dict[str, Any]:
    """Everything held about the customer, as JSON-ready data (decrypted: handle as the subject's own PII)."""
    customer = customer_for_subject(customer_id=customer_id)
    accounts = list(account_list(owner_id=customer_id).order_by("id"))
    account_rows, transactions = [], []
    for account in accounts:
        account_rows.append(
            {
                "id": account.public_id,
                "type": account.account_type,
                "currency": account.currency,
                "status": account.status,
                "name": account.name,
                "balance_minor": balance_get(account=account).ledger_minor,
                "opened_at": _iso(account.created_at),
            }
        )
        for posting in statement_lines(account=account):
            transactions.append(
                {
                    "account": account.public_id,
                    "transaction": posting.entry.public_id,
                    "type": posting.entry.entry_type,
                    "amount_minor": posting.amount_minor,
                    "currency": posting.currency,
                    "description": posting.entry.description,
                    "posted_at": _iso(posting.posted_at),
                }
            )
    payments = [
        {
            "id": p.public_id,
            "status": p.status,
            "rail": p.rail,
            "amount_minor": p.amount_minor,
            "currency": p.currency,
            "debtor_name": p.debtor_name,
            "debtor_identifier": p.debtor_identifier,
            "creditor_name": p.creditor_name,
            "creditor_identifier": p.creditor_identifier,
            "reference": p.reference,
            "remittance_info": p.remittance_info,
            "device_id": p.device_id,  # the device the customer paid from: personal data too
            "value_date": _iso(p.value_date),
        }
        for p in PaymentOrder.objects.filter(debtor_account__owner_id=customer_id)
        .select_related("debtor_account")
        .order_by("id")
    ]
    cards = [
        {
            "token": c.token,
            "last_four": c.last_four,
            "scheme": c.scheme,
            "expiry": f"{c.expiry_month:02d}/{c.expiry_year}",
            "status": c.status,
            "account": c.account.public_id,
        }
        for c in Card.objects.filter(account__owner_id=customer_id).select_related("account").order_by("id")
    ]
    screening = {
        "sanctions_status": customer.sanctions_status
        if customer.sanctions_status in {"clear", "not_screened"}
        else "under review",
        "screened_at": _iso(customer.screened_at),
        "decided_alerts": [
            {"id": a.public_id, "list": a.list_code, "status": a.status, "decided_at": _iso(a.decided_at)}
            for a in alert_list(subject_type="customer", subject_id=customer_id).exclude(status=AlertStatus.OPEN)
            if a.status == AlertStatus.CLEARED
        ],
    }
    flags = flags_of(customer_id=customer_id)
    consents = [
        {"purpose": c.purpose, "granted": c.granted, "source": c.source, "recorded_at": _iso(c.recorded_at)}
        for c in Consent.objects.filter(customer_id=customer_id).order_by("recorded_at", "id")
    ]
    access_log = [
        {"at": _iso(r.occurred_at), "action": r.action, "actor": r.actor}
        for r in audit_records_for_object(object_type="customer", object_id=customer_id)
    ] + [
        {"at": _iso(e.exported_at), "action": f"privacy.export.{e.kind}", "actor": e.exported_by}
        for e in SubjectExport.objects.filter(customer_id=customer_id)
    ]
    return {
        "format": "qenex.subject_access.v1",
        "customer": _customer_record(customer),
        "accounts": account_rows,
        "transactions": transactions,
        "payments": payments,
        "cards": cards,
        "screening": screening,
        "consents": consents,
        "consents_in_force": consents_current(customer_id=customer_id),
        "privacy_flags": {
            "do_not_sell_or_share": flags.do_not_sell_or_share,
            "processing_restricted": flags.processing_restricted,
        },
        "erasure_requests": [
            {
                "id": e.public_id,
                "status": e.status,
                "requested_at": _iso(e.requested_at),
                "execute_after": _iso(e.execute_after),
            }
            for e in ErasureRequest.objects.filter(customer_id=customer_id)
        ],
        "access_log": sorted(access_log, key=lambda row: row["at"]),
    }


def third_party_share_rows() -> list[dict[str, Any]]:
    """Customers who consented to partner sharing, minus CCPA opt-outs, restricted and erased subjects."""
    granted = [
        cid
        for cid in Consent.objects.filter(purpose=Purpose.THIRD_PARTY_SHARING)
        .values_list("customer_id", flat=True)
        .distinct()
        if consents_current(customer_id=cid).get(Purpose.THIRD_PARTY_SHARING)
    ]
    excluded = (
        set(
            PrivacyFlags.objects.filter(customer_id__in=granted)
            .filter(do_not_sell_or_share=True)
            .values_list("customer_id", flat=True)
        )
        | set(
            PrivacyFlags.objects.filter(customer_id__in=granted, processing_restricted=True).values_list(
                "customer_id", flat=True
            )
        )
        | set(
            ErasureRequest.objects.filter(customer_id__in=granted, status=ErasureStatus.EXECUTED).values_list(
                "customer_id", flat=True
            )
        )
    )
    rows = []
    for customer in Customer.objects.filter(public_id__in=sorted(set(granted) - excluded)).order_by("id"):
        rows.append({"id": customer.public_id, "name": customer.name, "residence_country": customer.residence_country})
    return rows
