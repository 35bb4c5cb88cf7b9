"""Score one transaction inline: build its ``Txn`` and histories from selectors, run the production model.

The three kinds of subject (``apps.core.checks``) become the same ``features.Txn``:

- ``posting`` (``apps.ledger.checks.PostingSubject``, money out only): the customer is the debit account's owner,
  the counterparty the credit account (``cash`` for a withdrawal), channel ``transfer``;
- ``payment`` (``PaymentOrder``): the debtor account's owner, the creditor account (``bidx:<blind index>``), the
  creditor's country, channel ``transfer``;
- ``card_authorisation``: the card account's owner, ``<merchant_id>-<terminal_id>``, the merchant's MCC and
  country, channel ``card``.

The time scored is the transaction's own: the payment order's ``created_at`` (set when the order is made, from
``PaymentRequest.at`` when a channel states it), the card authorisation's ``at``, a posting subject's ``at`` if it
has one; the clock is read only for a posting without one. So a test scores "a payment at 03:00" by making the
payment at 03:00, not by waiting or patching the clock. A payment's device (``PaymentOrder.device_id``) is
compared by its blind index, here and in the customer's history.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from apps.accounts.models import Account
from apps.core.metrics import INFERENCE_DURATION
from apps.core.money import currency_exponent

from . import selectors
from .features import History, Txn, features_of
from .runtime import Loaded


@dataclass(frozen=True)
class Transaction:
    """What is scored, whatever the channel; amounts in minor units of ``currency``."""

    kind: str
    customer_id: str
    account: str
    counterparty_id: str
    amount_minor: int
    currency: str
    at: datetime
    channel: str
    country: str = ""
    merchant_category: str = ""
    home_country: str = ""
    account_opened: datetime | None = None
    reference: str = ""
    device_id: str = ""  # a payment's device, as its blind index


@dataclass
class Score:
    transaction: Transaction
    probability: float
    decision: str  # pass, review, block
    model_version: str
    vector: list[float] = field(repr=False)
    loaded: Loaded = field(repr=False)

    def explanation(self, top: int = 5) -> list[dict[str, Any]]:
        return self.loaded.model.explain(self.vector, top=top)


def _account(public_id: str) -> Account | None:
    return Account.objects.filter(public_id=public_id).only("owner_id", "created_at", "account_type").first()


def from_posting(subject) -> Transaction | None:
    account = _account(subject.debit_account)
    if account is None or account.is_internal:
        return None
    counterparty = subject.credit_account or "cash"
    return Transaction("posting", account.owner_id, subject.debit_account, counterparty, subject.amount_minor,
                       subject.currency, getattr(subject, "at", None) or timezone.now(), "transfer",
                       account_opened=account.created_at)


def from_payment(payment) -> Transaction:
    account = payment.debtor_account
    return Transaction(
        "payment", account.owner_id, account.public_id, selectors.BIDX_PREFIX + payment.creditor_identifier_bidx,
        payment.amount_minor, payment.currency, payment.created_at, "transfer", country=payment.creditor_country,
        home_country=payment.debtor_country, account_opened=account.created_at, reference=payment.public_id,
        device_id=payment.device_id_bidx,
    )


def from_card(subject) -> Transaction:
    account = _account(subject.account)
    owner = getattr(subject, "owner_id", "") or (account.owner_id if account else "")
    terminal = getattr(subject, "terminal_id", "") or "web"
    return Transaction(
        "card_authorisation", owner, subject.account, f"{subject.merchant_id}-{terminal}", subject.amount_minor,
        subject.currency, getattr(subject, "at", None) or timezone.now(), "card",
        country=getattr(subject, "merchant_country", "") or "", merchant_category=subject.merchant_category or "",
        account_opened=account.created_at if account else None, reference=str(getattr(subject, "card_id", "")),
    )


def decision_of(probability: float) -> str:
    if probability >= settings.QENEX_FRAUD_BLOCK_THRESHOLD:
        return "block"
    if probability >= settings.QENEX_FRAUD_REVIEW_THRESHOLD:
        return "review"
    return "pass"


DEFAULT_LABEL_DELAY_SECONDS = 7 * 86400.0


def vector_of(loaded: Loaded | None, transaction: Transaction, *, customer: History | None = None,
              counterparty: History | None = None, device: History | None = None) -> list[float]:
    """The transaction's features; without a model (rules only) with no vocabulary and a 7-day label delay.

    Histories not given are read (``selectors.histories``, one statement); the device's only with a device.
    """
    exponent = currency_exponent(transaction.currency)
    delay = loaded.model.label_delay_seconds if loaded else DEFAULT_LABEL_DELAY_SECONDS
    vocabulary = loaded.model.vocabulary if loaded else {}
    if customer is None or counterparty is None or (device is None and transaction.device_id):
        read_customer, read_counterparty, read_device = selectors.histories(
            owner_id=transaction.customer_id, counterparty_id=transaction.counterparty_id, at=transaction.at,
            label_delay_seconds=delay, exponent=exponent, device_id=transaction.device_id,
        )
        customer = read_customer if customer is None else customer
        counterparty = read_counterparty if counterparty is None else counterparty
        device = read_device if device is None else device
    txn = Txn(
        ts=transaction.at.timestamp(), customer_id=transaction.customer_id,
        counterparty_id=transaction.counterparty_id, amount=transaction.amount_minor / 10**exponent,
        merchant_category=transaction.merchant_category, country=transaction.country, channel=transaction.channel,
        account_opened_ts=transaction.account_opened.timestamp() if transaction.account_opened else None,
        home_country=transaction.home_country, device_id=transaction.device_id,
    )
    return features_of(txn, customer, counterparty, label_delay_seconds=delay, vocabulary=vocabulary, device=device)


def score(loaded: Loaded, transaction: Transaction, **histories: History) -> Score:
    """Feature look-ups and the model, timed into ``qenex_inference_duration_seconds``."""
    started = time.perf_counter()
    vector = vector_of(loaded, transaction, **histories)
    probability = loaded.model.score_one(vector)
    INFERENCE_DURATION.observe(time.perf_counter() - started)
    return Score(transaction, probability, decision_of(probability), loaded.version, vector, loaded)
