"""Reads for the fraud app: the production model's row, alerts, labels, and the histories inline scoring needs.

The histories are what ``apps.fraud.features`` needs for one transaction, read from the ledger (money-out entries)
and the payments (orders), over the features' look-back (30 days, plus the model's label delay for the labels):

- a customer's history: entries debiting any of their accounts, and their payment orders;
- a counterparty's history: entries crediting that account (a transfer), or payment orders to the same
  creditor account (by its blind index: ``bidx:<hash>``), from any customer; card merchants and terminals have no
  table here yet, so their history holds only what analysts labelled.

Counterparty ids are the ones the scoring uses: an account public id, ``bidx:<hash>`` of a payment's creditor
account, ``<merchant_id>-<terminal_id>`` for a card terminal. A history entry counts as fraud when an analyst's
fraud label names the same counterparty within ``LABEL_MATCH_SECONDS`` of it. Reads only; no locks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet

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


def _fraud_times(*, counterparty_ids: set[str] = frozenset(), customer_id: str = "", since: datetime) -> dict:
    """{counterparty id: [fraud label times]} of labels naming these counterparties or this customer."""
    condition = Q(counterparty_id__in=counterparty_ids) if counterparty_ids else Q()
    if customer_id:
        condition = condition | Q(customer_id=customer_id) if counterparty_ids else Q(customer_id=customer_id)
    found: dict[str, list[float]] = {}
    rows = FraudLabel.objects.filter(condition, is_fraud=True, occurred_at__gte=since)
    for counterparty, occurred in rows.values_list("counterparty_id", "occurred_at"):
        found.setdefault(counterparty, []).append(occurred.timestamp())
    return found


def _history(entries: list[tuple[float, float, str, str]], frauds: dict[str, list[float]],
             label_of: int = 2) -> History:
    """Build a History from (ts, amount, other, country) sorted by time; ``label_of`` picks the counterparty field."""
    history = History()
    for entry in sorted(entries, key=lambda e: e[0]):
        ts, amount, other, country = entry[:4]
        counterparty = entry[label_of] if label_of < len(entry) else other
        fraud = any(abs(ts - t) <= LABEL_MATCH_SECONDS for t in frauds.get(counterparty, ()))
        history.append(ts, amount, other, country, int(fraud))
    return history


def _major(amount_minor: int, exponent: int) -> float:
    return amount_minor / 10**exponent


def customer_history(*, owner_id: str, at: datetime, label_delay_seconds: float, exponent: int = 2) -> History:
    """The customer's money-out entries and payment orders before ``at`` over the look-back."""
    since = at - timedelta(seconds=LOOKBACK_SECONDS + label_delay_seconds)
    entries: list[tuple[float, float, str, str]] = []
    for posted, amount, to_account in (
        JournalEntry.objects.filter(
            from_account__owner_id=owner_id, entry_type__in=MONEY_OUT, posted_at__gte=since, posted_at__lt=at
        ).values_list("posted_at", "amount_minor", "to_account__public_id")
    ):
        entries.append((posted.timestamp(), _major(amount, exponent), to_account or "cash", ""))
    for created, amount, bidx, country in (
        PaymentOrder.objects.filter(debtor_account__owner_id=owner_id, created_at__gte=since, created_at__lt=at)
        .values_list("created_at", "amount_minor", "creditor_identifier_bidx", "creditor_country")
    ):
        entries.append((created.timestamp(), _major(amount, exponent), BIDX_PREFIX + bidx, country))
    frauds = _fraud_times(customer_id=owner_id, since=since)
    return _history(entries, frauds)


def counterparty_history(*, counterparty_id: str, at: datetime, label_delay_seconds: float,
                         exponent: int = 2) -> History:
    """Everyone's transactions to this counterparty before ``at`` over the look-back (others: the customers)."""
    since = at - timedelta(seconds=LOOKBACK_SECONDS + label_delay_seconds)
    entries: list[tuple[float, float, str, str, str]] = []
    if counterparty_id.startswith(BIDX_PREFIX):
        for created, amount, owner, country in (
            PaymentOrder.objects.filter(
                creditor_identifier_bidx=counterparty_id[len(BIDX_PREFIX):], created_at__gte=since, created_at__lt=at
            ).values_list("created_at", "amount_minor", "debtor_account__owner_id", "creditor_country")
        ):
            entries.append((created.timestamp(), _major(amount, exponent), owner, country, counterparty_id))
    elif counterparty_id.startswith("acc_"):
        for posted, amount, owner in (
            JournalEntry.objects.filter(
                to_account__public_id=counterparty_id, entry_type="TRANSFER", posted_at__gte=since, posted_at__lt=at
            ).values_list("posted_at", "amount_minor", "from_account__owner_id")
        ):
            entries.append((posted.timestamp(), _major(amount, exponent), owner or "", "", counterparty_id))
    frauds = _fraud_times(counterparty_ids={counterparty_id}, since=since)
    if not entries:  # no table of this counterparty's transactions (card terminals): its labelled ones only
        entries = [(t, 0.0, "", "", counterparty_id) for t in frauds.get(counterparty_id, ()) if t < at.timestamp()]
    return _history(entries, frauds, label_of=4)


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
