"""The one way a payment changes status: check the transition table, write the history row, audit it once.

A service collects its transitions in a :class:`Changes` and calls :meth:`Changes.audit` as the last write of its
transaction, so one audited operation (send: RECEIVED -> VALIDATED -> CHECKED -> FUNDS_RESERVED -> QUEUED) is
one audit record listing every transition, and every transition is a history row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.events.services import emit_event

from ..errors import InvalidPaymentTransition
from ..metrics import PAYMENT_TRANSITIONS_TOTAL
from ..models import PaymentEvent, PaymentOrder
from ..states import allowed


def _emit_status_changed(payment: PaymentOrder, from_status: str, reason_code: str) -> None:
    # No names or account identifiers (PII): the payment's id, rail, money and the move.
    emit_event(
        "payment.status_changed",
        payment.public_id,
        {
            "payment": payment.public_id,
            "rail": payment.rail,
            "amount_minor": payment.amount_minor,
            "currency": payment.currency,
            "from_status": from_status,
            "to_status": payment.status,
            "reason_code": reason_code[:16],
        },
    )


@dataclass
class Changes:
    payment: PaymentOrder
    actor: str
    first_status: str = ""
    steps: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.first_status = self.payment.status

    def start(self) -> None:
        """Record the order's creation (its first history row, status RECEIVED)."""
        PaymentEvent.objects.create(payment=self.payment, to_status=self.payment.status, actor=self.actor)
        self.steps.append({"from": "", "to": self.payment.status, "reason_code": "", "reason": ""})
        self.first_status = ""
        _emit_status_changed(self.payment, "", "")

    def move(self, target: str, *, reason_code: str = "", reason: str = "") -> None:
        payment = self.payment
        if not allowed(payment.status, target):
            raise InvalidPaymentTransition(
                f"payment {payment.public_id} cannot go from {payment.status} to {target}", field="status"
            )
        PaymentEvent.objects.create(
            payment=payment,
            from_status=payment.status,
            to_status=target,
            reason_code=reason_code[:16],
            reason=reason,
            actor=self.actor,
            occurred_at=timezone.now(),
        )
        self.steps.append({"from": payment.status, "to": target, "reason_code": reason_code, "reason": reason})
        from_status, payment.status = payment.status, target
        _emit_status_changed(payment, from_status, reason_code)
        counter = PAYMENT_TRANSITIONS_TOTAL.labels(payment.rail, target)
        transaction.on_commit(counter.inc)

    def audit(self, action: str, **extra: Any) -> None:
        if not self.steps and not extra:
            return
        audit_record(
            action=action,
            object_type="payment",
            object_id=self.payment.public_id,
            before={"status": self.first_status},
            after={"status": self.payment.status, "transitions": self.steps, **extra},
            actor=self.actor,
        )
