"""Reads for the fraud app: the production model's row, alerts, labels, and the histories inline scoring needs.

The histories are what ``apps.fraud.features`` needs for one transaction, read from the ledger (money-out entries)
and the payments (orders), over the features' look-back (30 days, plus the model's label delay for the labels):

- a customer's history: entries debiting any of their accounts (transfers, withdrawals), and their payment orders;
- a customer's history also holds their card authorisations (``apps.cards``, any but declined: a declined one
  moved no money), with the terminal as counterparty;
- a device's history (a payment's device blind index): the payment orders made from that device by any customer
  (``device_customers_30d``: one phone paying for many customers);
- a counterparty's history: entries crediting that account (a transfer), payment orders to the same creditor
  account (by its blind index: ``bidx:<hash>``), or the authorisations at that card terminal, from any customer
  (many cards at one terminal in a day is what a skimmed terminal looks like: ``cp_customers_1d``).

Counterparty ids are the ones the scoring uses: an account public id, ``bidx:<hash>`` of a payment's creditor
account, ``<merchant_id>-<terminal_id>`` for a card terminal. A history entry counts as fraud when an analyst's
fraud label names the same counterparty within ``LABEL_MATCH_SECONDS`` of it. ``labelled_history`` gives the same
transactions with their labels as rows of a training file (``manage.py fraud_export``). Reads only; no locks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import BigIntegerField, CharField, Count, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Concat

from apps.accounts.models import BANK_OWNER_ID
from apps.cards.models import Authorisation, AuthorisationStatus
from apps.core.money import format_amount
from apps.ledger.models import JournalEntry
from apps.payments.models import PaymentOrder

from .features import DEVICE, LOOKBACK_SECONDS, PAYEE, History
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


def _history(entries: list[tuple[float, float, str, str, str, str]], frauds: dict[str, list[float]]) -> History:
    """Build a History from (ts, amount, other, country, counterparty, device) rows; an entry is fraud when a fraud
    label names its counterparty within ``LABEL_MATCH_SECONDS`` of it."""
    history = History()
    for ts, amount, other, country, counterparty, device in sorted(entries, key=lambda e: e[0]):
        fraud = any(abs(ts - t) <= LABEL_MATCH_SECONDS for t in frauds.get(counterparty, ()))
        history.append(ts, amount, other, country, int(fraud), device)
    return history


def _text(value: str = "") -> Value:
    return Value(value, output_field=CharField())


def terminal_authorisations(*, merchant_id: str, terminal_id: str, since: datetime, until: datetime) -> QuerySet:
    """A card terminal's authorisations (any card, all but declined) in [since, until): a terminal's history.

    Read by index ``cards_auth_terminal_time`` (merchant_id, terminal_id, created_at; cards migration 0002):
    ``tests/fraud/test_indexes.py`` shows PostgreSQL's plan uses it.
    """
    return Authorisation.objects.filter(
        merchant_id=merchant_id, terminal_id=terminal_id, created_at__gte=since, created_at__lt=until,
    ).exclude(status=AuthorisationStatus.DECLINED)


def histories(*, owner_id: str, counterparty_id: str, at: datetime, label_delay_seconds: float,
              exponent: int = 2, device_id: str = "") -> tuple[History, History, History]:
    """The customer's, the counterparty's and the device's histories before ``at`` over the look-back, in one
    statement.

    One UNION ALL of the customer's money-out entries and payment orders, the counterparty's incoming transfers or
    payment orders, the fraud labels naming either, the payment orders of any customer from this device
    (``device_id``: a payment's device blind index; none without one), and whether the customer paid this
    counterparty or used this device before the look-back (``new_payee`` / ``new_device`` mean never, not "not in
    30 days"): inline scoring pays one round trip for all of it.
    """
    since = at - timedelta(seconds=LOOKBACK_SECONDS + label_delay_seconds)
    empty = _text()
    parts = [
        JournalEntry.objects.filter(
            from_account__owner_id=owner_id, entry_type__in=MONEY_OUT, posted_at__gte=since, posted_at__lt=at
        ).values_list(_text("ce"), "posted_at", "amount_minor",
                      Coalesce("to_account__public_id", Value("cash"), output_field=CharField()), empty, empty),
        PaymentOrder.objects.filter(
            debtor_account__owner_id=owner_id, created_at__gte=since, created_at__lt=at
        ).values_list(_text("cp"), "created_at", "amount_minor",
                      Concat(Value(BIDX_PREFIX), "creditor_identifier_bidx", output_field=CharField()),
                      Coalesce("creditor_country", empty, output_field=CharField()), "device_id_bidx"),
        FraudLabel.objects.filter(
            Q(customer_id=owner_id) | Q(counterparty_id=counterparty_id), is_fraud=True, occurred_at__gte=since
        ).values_list(_text("lb"), "occurred_at", Value(0, output_field=BigIntegerField()),
                      "counterparty_id", "customer_id", empty),
    ]
    parts.append(Authorisation.objects.filter(
        card__account__owner_id=owner_id, created_at__gte=since, created_at__lt=at,
    ).exclude(status=AuthorisationStatus.DECLINED).values_list(
        _text("ca"), "created_at", "amount_minor", Concat("merchant_id", Value("-"), "terminal_id",
                                                          output_field=CharField()), empty, empty))
    if device_id:
        parts.append(PaymentOrder.objects.filter(
            device_id_bidx=device_id, created_at__gte=since, created_at__lt=at
        ).values_list(_text("dv"), "created_at", "amount_minor",
                      Coalesce("debtor_account__owner_id", empty, output_field=CharField()), empty, empty))
        parts.append(PaymentOrder.objects.filter(
            debtor_account__owner_id=owner_id, device_id_bidx=device_id, created_at__lt=since
        ).order_by("created_at").values_list(_text("sd"), "created_at", Value(0, output_field=BigIntegerField()),
                                             empty, empty, "device_id_bidx")[:1])
    if counterparty_id.startswith(BIDX_PREFIX):
        bidx = counterparty_id[len(BIDX_PREFIX):]
        parts.append(PaymentOrder.objects.filter(
            creditor_identifier_bidx=bidx, created_at__gte=since, created_at__lt=at
        ).values_list(_text("pp"), "created_at", "amount_minor",
                      Coalesce("debtor_account__owner_id", empty, output_field=CharField()),
                      Coalesce("creditor_country", empty, output_field=CharField()), empty))
        earlier = PaymentOrder.objects.filter(
            debtor_account__owner_id=owner_id, creditor_identifier_bidx=bidx, created_at__lt=since
        ).order_by("created_at").values_list(_text("sp"), "created_at", Value(0, output_field=BigIntegerField()),
                                             empty, empty, empty)
        parts.append(earlier[:1])
    elif counterparty_id.startswith("acc_"):
        parts.append(JournalEntry.objects.filter(
            to_account__public_id=counterparty_id, entry_type="TRANSFER", posted_at__gte=since, posted_at__lt=at
        ).values_list(_text("pe"), "posted_at", "amount_minor",
                      Coalesce("from_account__owner_id", empty, output_field=CharField()), empty, empty))
        parts.append(JournalEntry.objects.filter(
            from_account__owner_id=owner_id, to_account__public_id=counterparty_id, entry_type__in=MONEY_OUT,
            posted_at__lt=since,
        ).order_by("posted_at").values_list(_text("sp"), "posted_at", Value(0, output_field=BigIntegerField()),
                                            empty, empty, empty)[:1])
    else:
        terminal = _terminal(counterparty_id)
        if terminal is not None:
            parts.append(terminal_authorisations(merchant_id=terminal[0], terminal_id=terminal[1], since=since,
                                                 until=at).values_list(
                _text("pa"), "created_at", "amount_minor",
                Coalesce("card__account__owner_id", empty, output_field=CharField()), empty, empty))
    customer_rows, counterparty_rows, device_rows = [], [], []
    customer_frauds: dict[str, list[float]] = {}
    counterparty_frauds: dict[str, list[float]] = {}
    seen_earlier: list[tuple[str, float]] = []
    for tag, moment, amount, other, extra, device in parts[0].union(*parts[1:], all=True):
        ts = moment.timestamp()
        if tag == "lb":  # other: the label's counterparty, extra: its customer
            if extra == owner_id:
                customer_frauds.setdefault(other, []).append(ts)
            if other == counterparty_id:
                counterparty_frauds.setdefault(other, []).append(ts)
        elif tag == "dv":  # other: the paying customer
            device_rows.append((ts, _major(amount, exponent), other, extra, "", ""))
        elif tag == "sd":
            seen_earlier.append((DEVICE + device, ts))
        elif tag == "sp":
            seen_earlier.append((PAYEE + counterparty_id, ts))
        elif tag in ("ce", "cp", "ca"):
            customer_rows.append((ts, _major(amount, exponent), other, extra, other, device))
        else:
            counterparty_rows.append((ts, _major(amount, exponent), other, extra, counterparty_id, ""))
    if not counterparty_rows:  # no table of this counterparty's transactions (card terminals): its labelled ones only
        counterparty_rows = [(t, 0.0, "", "", counterparty_id, "")
                             for t in counterparty_frauds.get(counterparty_id, ()) if t < at.timestamp()]
    customer = _history(customer_rows, customer_frauds)
    for key, ts in seen_earlier:
        customer.remember(key, ts)
    return customer, _history(counterparty_rows, counterparty_frauds), _history(device_rows, {})


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


def _terminal(counterparty_id: str) -> tuple[str, str] | None:
    """(merchant id, terminal id) of a card counterparty ``<merchant_id>-<terminal_id>``; None for other kinds."""
    if counterparty_id == "cash" or "-" not in counterparty_id:
        return None
    merchant, terminal = counterparty_id.rsplit("-", 1)
    return (merchant, terminal) if merchant and terminal else None


def labelled_history(*, since: datetime, until: datetime) -> list[dict]:
    """The bank's own transactions in [since, until) as labelled rows (``apps.fraud.dataset`` columns), time-sorted.

    What inline scoring reads as history, in the training file's terms: payment orders (counterparty
    ``bidx:<creditor>``, device as its blind index, channel ``transfer``) and money-out ledger entries of customer
    accounts. ``label`` is 1 for a transaction an analyst labelled fraud (by its payment id, or by customer and
    counterparty within ``LABEL_MATCH_SECONDS``), else 0: what the bank knows, an unreported fraud included.
    """
    labels = list(FraudLabel.objects.filter(occurred_at__gte=since - timedelta(seconds=LABEL_MATCH_SECONDS),
                                            occurred_at__lt=until + timedelta(seconds=LABEL_MATCH_SECONDS))
                  .values_list("reference", "customer_id", "counterparty_id", "occurred_at", "is_fraud"))
    fraud_refs = {ref for ref, _, _, _, is_fraud in labels if ref and is_fraud}
    fraud_pairs: dict[tuple[str, str], list[float]] = {}
    for _, customer, counterparty, moment, is_fraud in labels:
        if is_fraud:
            fraud_pairs.setdefault((customer, counterparty), []).append(moment.timestamp())

    def label_of(reference: str, customer: str, counterparty: str, moment: datetime) -> int:
        if reference in fraud_refs:
            return 1
        ts = moment.timestamp()
        return int(any(abs(ts - t) <= LABEL_MATCH_SECONDS for t in fraud_pairs.get((customer, counterparty), ())))

    rows = []
    payments = PaymentOrder.objects.filter(created_at__gte=since, created_at__lt=until).values_list(
        "public_id", "created_at", "debtor_account__owner_id", "creditor_identifier_bidx", "amount_minor", "currency",
        "creditor_country", "debtor_account__created_at", "debtor_country", "device_id_bidx",
    )
    for public_id, moment, owner, creditor, amount, currency, country, opened, home, device in payments.iterator():
        counterparty = BIDX_PREFIX + creditor
        rows.append(_row(public_id, moment, owner, counterparty, amount, currency, country, opened, home, device,
                         label_of(public_id, owner, counterparty, moment)))
    entries = JournalEntry.objects.filter(
        entry_type__in=MONEY_OUT, posted_at__gte=since, posted_at__lt=until, from_account__isnull=False,
    ).exclude(from_account__owner_id=BANK_OWNER_ID).values_list(
        "public_id", "posted_at", "from_account__owner_id", "to_account__public_id", "amount_minor", "currency",
        "from_account__created_at",
    )
    for public_id, moment, owner, to_account, amount, currency, opened in entries.iterator():
        counterparty = to_account or "cash"
        rows.append(_row(public_id, moment, owner, counterparty, amount, currency, "", opened, "", "",
                         label_of(public_id, owner, counterparty, moment)))
    rows.sort(key=lambda row: row["timestamp"])
    return rows


def _row(transaction_id: str, moment: datetime, customer: str, counterparty: str, amount_minor: int, currency: str,
         country: str, opened: datetime | None, home: str, device: str, label: int) -> dict:
    return {
        "transaction_id": transaction_id, "timestamp": moment.isoformat(), "customer_id": customer,
        "counterparty_id": counterparty, "amount": format_amount(amount_minor, currency), "label": label,
        "currency": currency, "merchant_category": "", "country": country or "", "channel": "transfer",
        "account_opened": opened.isoformat() if opened else "", "home_country": home or "", "device_id": device,
    }


def training_rows_permitted(*, rows: list) -> list:
    """``rows`` (``dataset.Row``) without those of customers whose processing is restricted (GDPR art. 18) or who
    were erased: training a model is a use beyond storing the data (apps.privacy decides who is excluded)."""
    from apps.privacy.selectors import FRAUD_MODEL_TRAINING, processing_excluded

    excluded = processing_excluded(purpose=FRAUD_MODEL_TRAINING)
    return [row for row in rows if row.txn.customer_id not in excluded] if excluded else rows


def history_rows_permitted(*, rows: list[dict]) -> list[dict]:
    """``labelled_history`` rows without those of restricted or erased customers (``fraud_export`` writes them for
    training, so the same check as ``training_rows_permitted``)."""
    from apps.privacy.selectors import FRAUD_MODEL_TRAINING, processing_excluded

    excluded = processing_excluded(purpose=FRAUD_MODEL_TRAINING)
    return [row for row in rows if row["customer_id"] not in excluded] if excluded else rows


# --- data-subject rights (apps.privacy calls these) -------------------------------------------------------------
def open_fraud_alert_exists(*, customer_id: str) -> bool:
    """True while a fraud alert on the customer waits for an analyst (a hold on erasing their data)."""
    return FraudAlert.objects.filter(customer_id=customer_id, status=AlertStatus.OPEN).exists()


def fraud_records_of_subject(*, subject_id: str) -> tuple[QuerySet[FraudAlert], QuerySet[FraudLabel]]:
    alerts = FraudAlert.objects.filter(customer_id=subject_id)
    labels = FraudLabel.objects.filter(Q(customer_id=subject_id) | Q(alert__customer_id=subject_id))
    return alerts, labels


def subject_fraud_rows(*, subject_id: str) -> dict[str, list[dict]]:
    """The subject's fraud alerts and labels for a subject-access export: the automated decisions taken about their
    transactions and the features that weighed most (GDPR art. 15(1)(h)). A payee is shown as an account id; a
    blind-index digest (``bidx:``) means nothing to the subject and is left out."""
    alerts, labels = fraud_records_of_subject(subject_id=subject_id)

    def counterparty(value: str) -> str:
        return "" if value.startswith(BIDX_PREFIX) else value

    return {
        "alerts": [
            {
                "id": a.public_id,
                "kind": a.kind,
                "transaction": a.reference,
                "account": a.account,
                "counterparty": counterparty(a.counterparty_id),
                "amount": format_amount(a.amount_minor, a.currency),
                "currency": a.currency,
                "occurred_at": a.occurred_at.isoformat(),
                "score": round(a.score, 4),
                "decision": a.decision,
                "action": a.action,
                "model_version": a.model_version,
                "main_factors": a.explanation,
                "review": a.status,
                "reviewed_at": a.decided_at.isoformat() if a.decided_at else None,
            }
            for a in alerts.order_by("occurred_at", "id")
        ],
        "labels": [
            {
                "transaction": label.reference,
                "occurred_at": label.occurred_at.isoformat(),
                "is_fraud": label.is_fraud,
                "recorded_at": label.created_at.isoformat(),
            }
            for label in labels.order_by("occurred_at", "id")
        ],
    }
