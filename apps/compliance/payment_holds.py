"""What a compliance decision does to a payment a compliance check held: one place for sanctions and AML alike.

A payment check (``payment_checks.sanctions_check`` for a screening hit, ``monitoring.hooks.payment_monitoring_check``
for an AML rule's hit) holds an outbound payment: the gateway moves it to HELD and reserves its amount and fee by a
ledger hold (``apps.payments.services.orders._apply_checks``). Nothing here holds anything; this is the way out:

- ``held_payment_release``: once *nothing* holds it any more (no open screening alert on it and no open AML alert
  holding it), the payment is released through the gateway's service, the same hold going on with it. Above the
  four-eyes threshold one officer cannot release alone: it stays HELD and goes the PAYMENT_RELEASE way (a second
  officer in the payments queue), as any held payment.
- ``held_payment_reject``: rejected through the gateway's service, its hold voided (the funds come back).

Each runs after the decision's own transaction has committed, in the gateway's transaction, and answers what it did.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("qenex.compliance")

RELEASED, REJECTED, STILL_HELD, NOT_HELD, APPROVAL_REQUIRED = (
    "released",
    "rejected",
    "still_held",
    "not_held",
    "approval_required",
)


def held_payment_release(*, payment_id: str, actor: str) -> str:
    """Release the payment unless a screening alert or an AML alert still holds it; what happened."""
    from apps.approvals.errors import ApprovalRequired
    from apps.payments import services as payment_services
    from apps.payments.errors import PaymentNotHeld

    from .alert_models import SubjectType
    from .alert_selectors import open_alert_count
    from .aml_selectors import aml_alerts_holding

    if open_alert_count(subject_type=SubjectType.PAYMENT, subject_id=payment_id):
        return STILL_HELD
    if aml_alerts_holding(payment_id=payment_id).exists():
        return STILL_HELD
    try:
        payment_services.payment_release(payment_id=payment_id, actor=actor)
    except PaymentNotHeld:
        logger.info("payment %s was no longer HELD when compliance let it go", payment_id)
        return NOT_HELD
    except ApprovalRequired:
        logger.info("payment %s is above the four-eyes threshold: its release waits for PAYMENT_RELEASE", payment_id)
        return APPROVAL_REQUIRED
    return RELEASED


def held_payment_reject(*, payment_id: str, actor: str, reason: str) -> str:
    """Reject the held payment (its reserved funds come back); what happened."""
    from apps.payments import services as payment_services
    from apps.payments.errors import PaymentNotHeld

    try:
        payment_services.payment_reject_held(payment_id=payment_id, actor=actor, reason=reason)
    except PaymentNotHeld:
        logger.info("payment %s was no longer HELD when compliance rejected it", payment_id)
        return NOT_HELD
    return REJECTED
