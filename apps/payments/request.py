"""A payment request as the API (or the SDK) hands it to the services: plain values, not yet checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
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
