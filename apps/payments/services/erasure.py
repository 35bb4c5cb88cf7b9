"""Erasure of a data subject's payment data (apps.privacy calls it once retention has ended and no hold applies).

The debtor's own name, identifier and address are under the subject's key and die with it (apps.security). Left
here: what the order says about the other party and what was written to the network, encrypted per value. This
erases them in place. Kept, because they hold no identity and the ledger and the networks' records refer to them:
amounts, currencies, dates, statuses, rails, BICs and countries, network ids and the 35-character end-to-end
``reference`` (the interbank identification other banks hold too, which returns and recalls quote), so the order
still accounts for its postings. An ACH file holds many customers' entries and is kept whole: it is the bank's
record of what it sent to the network, and its rows age out with the file (a known limit).
"""

from __future__ import annotations

from django.db import transaction

from apps.audit.services import audit_record
from apps.security.fields import erase_values

from ..models import AccountAlias, CounterpartyCorrection, PaymentMessage
from ..selectors import payments_of_subject

ORDER_FIELDS = ("creditor_name", "creditor_identifier", "creditor_address", "remittance_info", "device_id")


@transaction.atomic
def payments_subject_erase(*, subject_id: str, actor: str) -> dict[str, int]:
    """Erase the parties and message bodies of the subject's payments and the aliases of their accounts."""
    counts = {"orders": 0, "messages": 0, "corrections": 0, "aliases": 0}
    locked = payments_of_subject(subject_id=subject_id).select_for_update(no_key=True, of=("self",))
    orders = list(locked.order_by("pk"))
    for order in orders:
        if fields := erase_values(order, *ORDER_FIELDS):
            order.save(update_fields=fields)
            counts["orders"] += 1
    order_ids = [o.pk for o in orders]
    for message in PaymentMessage.objects.filter(payment_id__in=order_ids).order_by("pk"):
        if fields := erase_values(message, "body"):  # the append-only trigger allows the body (re-wrapping)
            message.save(update_fields=fields)
            counts["messages"] += 1
    for correction in CounterpartyCorrection.objects.filter(payment_id__in=order_ids).order_by("pk"):
        if fields := erase_values(correction, "creditor_identifier", "corrected_identifier", "corrected_name"):
            correction.save(update_fields=fields)
            counts["corrections"] += 1
    for alias in AccountAlias.objects.filter(account__owner_id=subject_id).order_by("pk"):
        if fields := erase_values(alias, "identifier"):  # the IBAN no longer names the (closed) account
            alias.save(update_fields=fields)
            counts["aliases"] += 1
    audit_record(
        action="payments.subject_erased", object_type="customer", object_id=subject_id, after=counts, actor=actor
    )
    return counts
