"""Reads for data-subject rights: everything QENEX holds about one customer, through the owning apps' selectors.

Left out of a subject-access export on purpose: open screening alerts, and AML alerts, cases and reports that are
open, suspicious or led to a SAR (telling the subject about an investigation is tipping-off, AMLD art. 39; GDPR
art. 23 allows the restriction; the export log records how many were withheld), and document file contents
(listed with their digest; handed over on request). Card numbers appear only as token and last four. Fraud alerts
and labels are included: they are automated decisions about the subject's transactions (GDPR art. 15(1)(h)).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from apps.accounts.selectors import account_list
from apps.audit.selectors import audit_records_for_object
from apps.cards.selectors import cards_of_subject, subject_card_rows
from apps.compliance.alert_selectors import alerts_of_subject, open_alert_count, subject_decided_alerts
from apps.compliance.aml_selectors import (
    aml_records_of_subject,
    open_aml_alert_exists,
    open_case_exists,
    subject_aml_records,
)
from apps.customers.errors import CustomerNotFound
from apps.customers.models import Customer
from apps.customers.selectors import (
    customer_get,
    customer_list_by_ids,
    subject_customer_record,
    subject_screening_status,
)
from apps.fraud.selectors import fraud_records_of_subject, open_fraud_alert_exists, subject_fraud_rows
from apps.inbound.selectors import subject_inbound_rows
from apps.ledger.selectors import balance_get, statement_lines
from apps.payments.selectors import payments_of_subject, subject_payment_rows

from .errors import InvalidPurpose, SubjectNotFound
from .models import Consent, ErasureRequest, ErasureStatus, PrivacyFlags, Purpose, SubjectExport


def customer_for_subject(*, customer_id: str) -> Customer:
    try:
        return customer_get(public_id=customer_id)
    except CustomerNotFound:
        raise SubjectNotFound(f"no customer {customer_id}", field="customer") from None


def consents_current(*, customer_id: str) -> dict[str, bool]:
    """The decision in force per purpose (purposes never decided are absent: no consent)."""
    current: dict[str, bool] = {}
    for row in Consent.objects.filter(customer_id=customer_id).order_by("purpose", "-recorded_at", "-id"):
        current.setdefault(row.purpose, row.granted)
    return current


def flags_of(*, customer_id: str) -> PrivacyFlags:
    return PrivacyFlags.objects.filter(customer_id=customer_id).first() or PrivacyFlags(customer_id=customer_id)


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
    if open_case_exists(owner_id=customer_id):
        return "open AML case"
    if open_aml_alert_exists(owner_id=customer_id):
        return "open AML alert"
    if open_fraud_alert_exists(customer_id=customer_id):
        return "open fraud alert"
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
    if payments_of_subject(subject_id=customer_id).exists():
        kinds.append("payments")
    if alerts_of_subject(subject_id=customer_id).exists():
        kinds.append("screening")
    if cards_of_subject(subject_id=customer_id).exists():
        kinds.append("cards")
    if any(records.exists() for records in aml_records_of_subject(subject_id=customer_id).values()):
        kinds.append("aml")
    if any(records.exists() for records in fraud_records_of_subject(subject_id=customer_id)):
        kinds.append("fraud")
    return kinds


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def subject_data(*, customer_id: str) -> tuple[dict[str, Any], dict[str, int]]:
    """Everything held about the customer, as JSON-ready data (decrypted: handle as the subject's own PII), and,
    for the export's internal log only, how many AML records it withheld per kind."""
    customer = customer_for_subject(customer_id=customer_id)
    aml, withheld = subject_aml_records(subject_id=customer_id)
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
        "customer": subject_customer_record(customer=customer),
        "accounts": account_rows,
        "transactions": transactions,
        "payments": subject_payment_rows(subject_id=customer_id),
        "payments_received": subject_inbound_rows(subject_id=customer_id),
        "cards": subject_card_rows(subject_id=customer_id),
        "screening": {
            **subject_screening_status(customer=customer),
            "decided_alerts": subject_decided_alerts(subject_id=customer_id),
        },
        "fraud": subject_fraud_rows(subject_id=customer_id),
        "aml": aml,
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
    }, withheld


# --- what the product may use personal data for: one check, called by every secondary use --------------------
# GDPR art. 18: while processing is restricted, data is only stored (or used for legal claims, the rights of
# others, or with the subject's consent): every use below is refused for a restricted subject, and for an erased
# one. Purposes resting on consent also need it in force; third-party sharing also honours CCPA "do not sell".
CONSENT_PURPOSES = frozenset({Purpose.MARKETING, Purpose.PROFILING, Purpose.THIRD_PARTY_SHARING})
FRAUD_MODEL_TRAINING = "fraud_model_training"  # legitimate interest (no consent asked), but not when restricted
USES = frozenset({*Purpose.values, FRAUD_MODEL_TRAINING})


def processing_excluded(*, purpose: str) -> set[str]:
    """Customers whose data must not be used for ``purpose`` whatever their consents (usually a small set)."""
    if purpose not in USES:
        raise InvalidPurpose(f"unknown purpose {purpose!r}; one of {', '.join(sorted(USES))}", field="purpose")
    if purpose == Purpose.CONTRACT:
        return set()  # performing the account contract is not a secondary use
    excluded = set(PrivacyFlags.objects.filter(processing_restricted=True).values_list("customer_id", flat=True))
    excluded |= set(
        ErasureRequest.objects.filter(status=ErasureStatus.EXECUTED).values_list("customer_id", flat=True)
    )
    if purpose == Purpose.THIRD_PARTY_SHARING:
        excluded |= set(PrivacyFlags.objects.filter(do_not_sell_or_share=True).values_list("customer_id", flat=True))
    return excluded


def processing_permitted(*, customer_ids: Iterable[str], purpose: str) -> set[str]:
    """Those of ``customer_ids`` whose data may be used for ``purpose`` now."""
    allowed = set(customer_ids) - processing_excluded(purpose=purpose)
    if purpose in CONSENT_PURPOSES:
        allowed = {cid for cid in allowed if consents_current(customer_id=cid).get(purpose)}
    return allowed


def third_party_share_rows() -> list[dict[str, Any]]:
    """Customers who may be shared with partners (consented, not opted out, not restricted, not erased)."""
    consented = Consent.objects.filter(purpose=Purpose.THIRD_PARTY_SHARING, granted=True).values_list(
        "customer_id", flat=True
    )
    shared = processing_permitted(customer_ids=consented, purpose=Purpose.THIRD_PARTY_SHARING)
    return [
        {"id": customer.public_id, "name": customer.name, "residence_country": customer.residence_country}
        for customer in customer_list_by_ids(public_ids=sorted(shared))
    ]
