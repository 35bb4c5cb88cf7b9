"""Reads for the fraud app: the production model's row, alerts, labels, and the histories inline scoring needs.

The histories are what ``apps.fraud.features`` needs for one transaction, read from the ledger (money-out entries)
and the payments (orders), over the features' look-back (30 days, plus the model's label delay for the labels):

- a customer's history: entries debiting any of their accounts (transfers, withdrawals), and their payment orders;
- a counterparty's history: entries crediting that account (a transfer), or payment orders to the same
  creditor account (by its blind index: ``bidx:<hash>``), from any customer; card merchants and terminals have no
  table here yet, so their history holds only what analysts labelled.

Counterparty ids are the ones the scoring uses: an account public id, ``bidx:<hash>`` of a payment's creditor
account, ``<merchant_id>-<terminal_id>`` for a card terminal. A history entry counts as fraud when an analyst's
fraud label names the same counterparty within ``LABEL_MATCH_SECONDS`` of it. Reads only; no locks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import BigIntegerField, CharField, Count, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Concat

from apps.ledger.models import JournalEntry
from apps.payments.models import PaymentOrder

from .features import LOOKBACK_SECONDS, History
from .models import AlertStatus, FraudAlert, FraudLabel, ModelStatus, ModelVersion

LABEL_MATCH_SECONDS = 120
BIDX_PREFIX = "bidx:"
MONEY_OUT = ("TRANSFER", "WITHDRAWAL")


def production_model() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelStatus.PRODUCTION).first()


def model_version_get(*, version: str) -> ModelVersion | None:
    return ModelVersion.objects.filter(version=version).first()


def previous_production_model(*, current: ModelVersion | None) -> ModelVersion | None:
    """The most recently promoted version before ``current`` (what a rollback goes back to)."""
    candidates = ModelVersion.objects.filter(promoted_at__isnull=False).exclude(status=ModelStatus.PRODUCTION)
    if current is not None:
        candidates = candidates.exclude(pk=current.pk)
    return candidates.order_by("-promoted_at").first()


def alert_list(*, status: str | None = None) -> QuerySet[FraudAlert]:
    alerts = FraudAlert.objects.all()
    return alerts.filter(status=status) if status else alerts


def _major(amount_minor: int, exponent: int) -> float:
    return amount_minor / 10**exponent


def _history(entries: list[tuple[float, float, str, str, str]], frauds: dict[str, list[float]]) -> History:
    """Build a History from (ts, amount, other, country, counterparty) rows; an entry is fraud when a fraud label
    names its counterparty within ``LABEL_MATCH_SECONDS`` of it."""
    history = History()
    for ts, amount, other, country, counterparty in sorted(entries, key=lambda e: e[0]):
        fraud = any(abs(ts - t) <= LABEL_MATCH_SECONDS for t in frauds.get(counterparty, ()))
        history.append(ts, amount, other, country, int(fraud))
    return history


def histories(*, owner_id: str, counterparty_id: str, at: datetime, label_delay_seconds: float,
              exponent: int = 2) -> tuple[History, History]:
    """The customer's and the counterparty's histories before ``at`` over the look-back, in one statement.

    One UNION ALL of the customer's money-out entries and payment orders, the counterparty's incoming transfers or
    payment orders, and the fraud labels naming either: inline scoring pays one round trip for all of it.
    """
    since = at - timedelta(seconds=LOOKBACK_SECONDS + label_delay_seconds)
    empty = Value("", output_field=CharField())
    parts = [
        JournalEntry.objects.filter(
            from_account__owner_id=owner_id, entry_type__in=MONEY_OUT, posted_at__gte=since, posted_at__lt=at
        ).values_list(Value("ce", output_field=CharField()), "posted_at", "amount_minor",
                      Coalesce("to_account__public_id", Value("cash"), output_field=CharField()), empty),
        PaymentOrder.objects.filter(
            debtor_account__owner_id=owner_id, created_at__gte=since, created_at__lt=at
        ).values_list(Value("cp", output_field=CharField()), "created_at", "amount_minor",
                      Concat(Value(BIDX_PREFIX), "creditor_identifier_bidx", output_field=CharField()),
                      Coalesce("creditor_country", empty, output_field=CharField())),
        FraudLabel.objects.filter(
            Q(customer_id=owner_id) | Q(counterparty_id=counterparty_id), is_fraud=True, occurred_at__gte=since
        ).values_list(Value("lb", output_field=CharField()), "occurred_at", Value(0, output_field=BigIntegerField()),
                      "counterparty_id", "customer_id"),
    ]
    if counterparty_id.startswith(BIDX_PREFIX):
        parts.append(PaymentOrder.objects.filter(
            creditor_identifier_bidx=counterparty_id[len(BIDX_PREFIX):], created_at__gte=since, created_at__lt=at
        ).values_list(Value("pp", output_field=CharField()), "created_at", "amount_minor",
                      Coalesce("debtor_account__owner_id", empty, output_field=CharField()),
                      Coalesce("creditor_country", empty, output_field=CharField())))
    elif counterparty_id.startswith("acc_"):
        parts.append(JournalEntry.objects.filter(
            to_account__public_id=counterparty_id, entry_type="TRANSFER", posted_at__gte=since, posted_at__lt=at
        ).values_list(Value("pe", output_field=CharField()), "posted_at", "amount_minor",
                      Coalesce("from_account__owner_id", empty, output_field=CharField()), empty))
    customer_rows, counterparty_rows = [], []
    customer_frauds: dict[str, list[float]] = {}
    counterparty_frauds: dict[str, list[float]] = {}
    for tag, moment, amount, other, extra in parts[0].union(*parts[1:], all=True):
        ts = moment.timestamp()
        if tag == "lb":  # other: the label's counterparty, extra: its customer
            if extra == owner_id:
                customer_frauds.setdefault(other, []).append(ts)
            if other == counterparty_id:
                counterparty_frauds.setdefault(other, []).append(ts)
        elif tag in ("ce", "cp"):
            customer_rows.append((ts, _major(amount, exponent), other, extra, other))
        else:
            counterparty_rows.append((ts, _major(amount, exponent), other, extra, counterparty_id))
    if not counterparty_rows:  # no table of this counterparty's transactions (card terminals): its labelled ones only
        counterparty_rows = [(t, 0.0, "", "", counterparty_id)
                             for t in counterparty_frauds.get(counterparty_id, ()) if t < at.timestamp()]
    return _history(customer_rows, customer_frauds), _history(counterparty_rows, counterparty_frauds)


def label_counts(*, since: datetime) -> dict[str, int]:
    """Analysts' decisions since ``since``: flags confirmed, flags cleared, and labels of unflagged transactions."""
    counts = FraudLabel.objects.filter(created_at__gte=since).aggregate(
        flagged_fraud=Count("id", filter=Q(alert__isnull=False, is_fraud=True)),
        flagged_legit=Count("id", filter=Q(alert__isnull=False, is_fraud=False)),
        missed_fraud=Count("id", filter=Q(alert__isnull=True, is_fraud=True)),
        passed_legit=Count("id", filter=Q(alert__isnull=True, is_fraud=False)),
    )
    counts["open_alerts"] = FraudAlert.objects.filter(status=AlertStatus.OPEN).count()
    return counts


def training_rows_permitted(*, rows: list) -> list:
    """``rows`` (``dataset.Row``) without those of customers whose processing is restricted (GDPR art. 18) or who
    were erased: training a model is a use beyond storing the data (apps.privacy decides who is excluded)."""
    from apps.privacy.selectors import FRAUD_MODEL_TRAINING, processing_excluded

    excluded = processing_excluded(purpose=FRAUD_MODEL_TRAINING)
    return [row for row in rows if row.txn.customer_id not in excluded] if excluded else rows
