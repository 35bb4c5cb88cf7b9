"""Erasure of a data subject's inbound payment data (apps.privacy calls it once retention has ended).

Another bank's message names both parties and is stored as received (``body``), parsed (names, accounts,
remittance) and quoted for returns (``original``). For the payments credited to or debited from the subject's
accounts, and the recalls and notices about them or about the subject's own payments, this erases those in place.
Kept, because they hold no identity and the ledger refers to them: amounts, currencies, dates, statuses, agents'
BICs and routing numbers, and the network ids (``network_id``, UETR, end-to-end and message ids), which must stay
so that a re-delivered message is still recognised as a duplicate and never credited twice.
"""

from __future__ import annotations

from django.db import transaction

from apps.audit.services import audit_record
from apps.payments.selectors import payments_of_subject
from apps.security.fields import erase_values
from apps.security.subject_keys import ERASED_TEXT

from ..models import InboundPayment, PaymentNotice, RecallRequest
from ..selectors import inbound_of_subject

PAYMENT_FIELDS = (
    "debtor_name",
    "debtor_account",
    "creditor_name",
    "creditor_account",
    "remittance_info",
    "return_body",
    "body",
)
# Keys of ``original`` (plain JSON: what a return quotes) that name a party or an account (MT103, NACHA).
ORIGINAL_PII_KEYS = frozenset(
    {"ordering_account", "ordering_name", "account_number", "receiver_name", "identification_number"}
)


@transaction.atomic
def inbound_subject_erase(*, subject_id: str, actor: str) -> dict[str, int]:
    """Erase the parties and bodies of the inbound payments, recalls and notices about the subject."""
    counts = {"payments": 0, "recalls": 0, "notices": 0}
    inbound = list(
        InboundPayment.objects.filter(pk__in=inbound_of_subject(subject_id=subject_id).values("pk"))
        .select_for_update(no_key=True)
        .order_by("pk")
    )
    for payment in inbound:
        fields = erase_values(payment, *PAYMENT_FIELDS)
        if ORIGINAL_PII_KEYS & payment.original.keys():
            payment.original = {k: ERASED_TEXT if k in ORIGINAL_PII_KEYS else v for k, v in payment.original.items()}
            fields.append("original")
        if fields:
            payment.save(update_fields=fields)
            counts["payments"] += 1
    for recall in RecallRequest.objects.filter(inbound__in=[p.pk for p in inbound]).order_by("pk"):
        if fields := erase_values(recall, "body", "answer_body"):
            recall.save(update_fields=fields)
            counts["recalls"] += 1
    own_payments = payments_of_subject(subject_id=subject_id).values_list("public_id", flat=True)
    for notice in PaymentNotice.objects.filter(payment_id__in=list(own_payments)).order_by("pk"):
        if fields := erase_values(notice, "body"):
            notice.save(update_fields=fields)
            counts["notices"] += 1
    audit_record(
        action="inbound.subject_erased", object_type="customer", object_id=subject_id, after=counts, actor=actor
    )
    return counts
