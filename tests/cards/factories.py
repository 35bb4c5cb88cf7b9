"""Cards for tests: Luhn-valid PANs of each scheme, issued through the service on a funded account."""

from __future__ import annotations

import itertools
import random

from apps.cards.services import card_issue
from apps.payments.formats.cards import luhn_check_digit
from tests.factories import funded_account

_serial = itertools.count(random.randrange(10**6, 10**7))
PREFIX = {"visa": ("4", 16), "mastercard": ("51", 16), "amex": ("37", 15)}


def make_pan(scheme: str = "visa") -> str:
    prefix, length = PREFIX[scheme]
    body = prefix + f"{next(_serial)}".zfill(length - 1 - len(prefix))
    return body + str(luhn_check_digit(body))


def issued_card(
    *,
    balance: str = "100.00",
    scheme: str = "visa",
    per_transaction_limit: str = "500.00",
    daily_limit: str = "1000.00",
    expiry: tuple[int, int] = (2030, 12),
    account=None,
):
    """(card, pan) on a new account funded with ``balance`` USD (or on ``account``)."""
    account = account or funded_account(balance)
    pan = make_pan(scheme)
    card = card_issue(
        account=account.public_id,
        pan=pan,
        expiry_year=expiry[0],
        expiry_month=expiry[1],
        per_transaction_limit=per_transaction_limit,
        daily_limit=daily_limit,
    ).card
    return card, pan
