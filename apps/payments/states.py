"""The payment order's life: its statuses and the ONE table of allowed transitions.

Every change of status goes through :func:`apps.payments.services.transition`, which checks this table,
writes a history row and an audit record. Nothing else assigns ``PaymentOrder.status``.
"""

from __future__ import annotations

from django.db import models


class PaymentStatus(models.TextChoices):
    RECEIVED = "RECEIVED"
    VALIDATED = "VALIDATED"
    CHECKED = "CHECKED"  # compliance and fraud checks passed (or an officer released a held payment)
    HELD = "HELD"  # a check asked for review: waits for an officer, its funds reserved
    FUNDS_RESERVED = "FUNDS_RESERVED"  # ledger hold on the debtor's account
    QUEUED = "QUEUED"  # waiting for a worker to submit it
    SUBMITTING = "SUBMITTING"  # a worker is talking to the network (committed before the call)
    SUBMITTED = "SUBMITTED"  # the network took it
    ACCEPTED = "ACCEPTED"  # the network accepted it (pacs.002 ACCP, MT900)
    SETTLED = "SETTLED"  # settled: the hold was captured to the rail's settlement account
    REJECTED = "REJECTED"  # refused by a check or by the network: the hold (if any) was voided
    CANCELLED = "CANCELLED"  # cancelled before submission: the hold (if any) was voided
    FAILED = "FAILED"  # no answer after every attempt: dead letter, an operator retries or cancels
    RETURNED = "RETURNED"  # came back after settlement (ACH return, pacs.004, MT /RETN/): the capture was reversed


S = PaymentStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.VALIDATED, S.REJECTED}),
    S.VALIDATED: frozenset({S.CHECKED, S.HELD, S.REJECTED}),
    S.HELD: frozenset({S.CHECKED, S.REJECTED, S.CANCELLED}),
    S.CHECKED: frozenset({S.FUNDS_RESERVED, S.REJECTED}),
    S.FUNDS_RESERVED: frozenset({S.QUEUED, S.CANCELLED}),
    # From QUEUED an answer may still come: to an earlier attempt whose receipt was lost (timeout), before the resend.
    S.QUEUED: frozenset({S.SUBMITTING, S.CANCELLED, S.ACCEPTED, S.REJECTED}),
    # An answer may overtake the worker's own record of the submission, hence ACCEPTED/REJECTED from SUBMITTING.
    S.SUBMITTING: frozenset({S.SUBMITTED, S.QUEUED, S.ACCEPTED, S.REJECTED, S.FAILED}),
    S.SUBMITTED: frozenset({S.ACCEPTED, S.REJECTED}),
    S.ACCEPTED: frozenset({S.SETTLED, S.REJECTED}),
    S.FAILED: frozenset({S.QUEUED, S.CANCELLED}),
    # Only a return (apps.payments.services.returns) moves a settled payment; no network answer does.
    S.SETTLED: frozenset({S.RETURNED}),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
    S.RETURNED: frozenset(),
}

FINAL = frozenset(status for status, targets in TRANSITIONS.items() if not targets) | {S.SETTLED}
# Statuses in which the payment's ledger hold is open.
HOLDING = frozenset({S.HELD, S.FUNDS_RESERVED, S.QUEUED, S.SUBMITTING, S.SUBMITTED, S.ACCEPTED, S.FAILED})
CANCELLABLE = frozenset(status for status, targets in TRANSITIONS.items() if S.CANCELLED in targets)


def allowed(source: str, target: str) -> bool:
    return target in TRANSITIONS[source]
