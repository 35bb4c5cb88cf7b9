"""The inbound payment check registry: ``apps.core.checks`` bound to the ``inbound_payment`` kind.

Screening and fraud register callables here (``checks.register("inbound_payment", name, fn)``). A check takes an
``InboundSubject`` (COMMON.md's agreed attribute names), runs before the inbound payment's transaction opens and
answers pass, hold (the payment waits in SUSPENSE with an exception item until an officer releases or returns
it) or reject (it is returned to the sender).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from apps.core import checks as _checks

KIND = "inbound_payment"


@dataclass(frozen=True)
class InboundSubject:
    rail: str
    amount_minor: int
    currency: str
    debtor_name: str
    debtor_country: str
    debtor_account: str
    creditor_name: str
    creditor_country: str
    credit_account: str | None  # our account's public id, or None when the beneficiary is not resolved
    message_id: str
    at: datetime
    direction: str = "CREDIT"


def run(subject: InboundSubject) -> _checks.Outcome:
    return _checks.run(KIND, subject)
