"""A payment request as the API (or the SDK) hands it to the services: plain values, not yet checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Party:
    name: str
    bic: str = ""
    account: str = ""  # a QENEX account id for the sender; an account number for the receiver
    iban: str = ""
    aba: str = ""  # ABA routing number of the receiver's bank (US domestic)
    country: str = ""
    address: tuple[str, ...] = ()


@dataclass(frozen=True)
class PaymentRequest:
    sender: Party
    receiver: Party
    amount: object
    currency: str
    reference: str
    speed: str = "standard"
    charges: str = "SHA"
    remittance_info: str = ""
    requested_execution_date: date | None = None
    confirm_duplicate: bool = False  # send even if it looks like a payment sent within the duplicate window
    # The device the customer used (a banking app's device identifier): fraud's ``new_device`` compares it with the
    # customer's earlier payments. Not part of the fingerprint: a retry from another device is the same payment.
    device_id: str = ""
    # When the customer made the payment, if the caller states it (a batch of earlier instructions, tests);
    # None: now. The payment's ``created_at`` and the time fraud scoring uses. The HTTP API never sets it.
    at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def fingerprint_payload(self) -> dict[str, Any]:
        """What the client sent, for the idempotency fingerprint."""
        return {
            "sender": self.sender.__dict__,
            "receiver": self.receiver.__dict__,
            "amount": str(self.amount),
            "currency": self.currency,
            "reference": self.reference,
            "speed": self.speed,
            "charges": self.charges,
            "remittance_info": self.remittance_info,
            "requested_execution_date": self.requested_execution_date,
        }
