"""Payment requests for tests: the seed's body and one per rail, with fresh references."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from apps.payments.request import Party, PaymentRequest

_counter = itertools.count(1)

DEBTOR_IBAN = "DE89370400440532013000"
CREDITOR_IBAN = "FR1420041010050500013M02606"
CHASE_ABA = "021000021"


def seed_body(sender_account: str = "123456789", **overrides: Any) -> dict[str, Any]:
    """The seed's "Send Payment (SWIFT)" curl body, verbatim except for the sender's account."""
    body = {
        "sender": {"bic": "CHASUS33XXX", "account": sender_account, "name": "John Doe", "country": "US"},
        "receiver": {"bic": "DEUTDEFFXXX", "account": "987654321", "name": "Jane Smith", "country": "DE"},
        "amount": "50000.00",
        "currency": "USD",
        "reference": "INV-2024-001",
        "speed": "standard",
    }
    body.update(overrides)
    return body


def sct_body(sender_account: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "sender": {"account": sender_account, "iban": DEBTOR_IBAN, "name": "Max Mustermann", "country": "DE"},
        "receiver": {"iban": CREDITOR_IBAN, "bic": "BNPAFRPPXXX", "name": "Pierre Dupont", "country": "FR"},
        "amount": "150.00",
        "currency": "EUR",
        "reference": f"E2E-{next(_counter)}",
        "speed": "standard",
        "remittance_info": "Invoice 42",
    }
    body.update(overrides)
    return body


def ach_body(sender_account: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "sender": {"account": sender_account, "name": "Acme Corp", "country": "US"},
        "receiver": {"aba": CHASE_ABA, "account": "123456789", "name": "John Smith", "country": "US"},
        "amount": "250.00",
        "currency": "USD",
        "reference": f"ACH-{next(_counter)}",
        "speed": "standard",
    }
    body.update(overrides)
    return body


def request_from(body: dict[str, Any]) -> PaymentRequest:
    """The PaymentRequest the API builds from ``body`` (what the services take)."""

    def party(data: dict[str, Any]) -> Party:
        address = data.get("address", ())
        return Party(
            name=data.get("name", ""),
            bic=data.get("bic", ""),
            account=data.get("account", ""),
            iban=data.get("iban", ""),
            aba=data.get("aba", ""),
            country=data.get("country", ""),
            address=tuple([address] if isinstance(address, str) else address),
        )

    return PaymentRequest(
        sender=party(body["sender"]),
        receiver=party(body["receiver"]),
        amount=body["amount"],
        currency=body["currency"],
        reference=body["reference"],
        speed=body.get("speed", "standard"),
        charges=body.get("charges", "SHA"),
        remittance_info=body.get("remittance_info", ""),
        requested_execution_date=(
            date.fromisoformat(body["requested_execution_date"]) if body.get("requested_execution_date") else None
        ),
    )
