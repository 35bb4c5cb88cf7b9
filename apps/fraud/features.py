"""The one feature definition of the fraud models: training, evaluation and inline scoring all call ``features_of``.

No Django here. A transaction (``Txn``) is scored against what was known just before it:

- the customer's ``History`` (their earlier transactions: time, amount, counterparty, country, fraud label), and
- the counterparty's ``History`` (earlier transactions of anyone to that merchant, terminal or beneficiary), and
- the device's ``History`` (earlier transactions of anyone from ``txn.device_id``; optional, empty without one).

Time is the transaction's own (``txn.ts``, UTC): nothing here reads the clock, so "a payment at 03:00" is scored
as one whatever the time the code runs. Hour, night and weekend are UTC (the customer's local time would need
their time zone, which nothing stores yet).

Device signals: ``txn.device_id`` names the device the customer used (payments made through a banking app; empty
for cards and postings). ``new_device`` is 1 when a device is named and this customer never used it before;
``new_payee`` is 1 when this customer never paid this counterparty before. Both look at all the customer's known
history (``History.first_seen``), not only the 30-day windows: inline scoring adds to the windows' entries whether
the device and the counterparty appear earlier (``apps.fraud.selectors.histories``). The device's own ``History``
(earlier transactions of anyone from that device) gives ``device_customers_30d``: how many *other* customers used
it in the 30 days before (one phone paying for many customers is a fraud ring's or a mule herder's); 0 without a
device.

``features_of(txn, customer, counterparty, label_delay_seconds=..., device=...)`` reads only those histories'
entries *before* ``txn.ts`` and a fraud label only of an entry at least ``label_delay_seconds`` older than
``txn.ts`` (what the bank would know then: labels arrive days after the transaction, from chargebacks and analysts).
The evaluation builds the histories incrementally over a time-sorted stream (``FeatureStream``: append after
scoring, so nothing of the transaction itself or later leaks); inline scoring builds them from selectors
(``apps.fraud.selectors``) over the same look-back and calls the same function, so training and serving cannot drift
apart.

Windows are bisections into each history's sorted timestamps and prefix sums, so a feature vector costs
O(log n) per window whatever the history's length (tens of thousands of rows per second in pure Python).

Amounts are in major units of their currency, taken at face value (no FX conversion: a customer's history is
normally in their account's currency).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
LOOKBACK_SECONDS = 30 * DAY  # the longest window; a history needs no more than this (+ the label delay)
NIGHT_HOURS = range(0, 6)
PAYEE, DEVICE = "p:", "d:"  # History.first_seen keys

# Categorical features are integer codes of a vocabulary learned at training (0: unknown or missing).
CATEGORICAL = ("merchant_category_code", "country_code", "channel_code")
FEATURE_NAMES: tuple[str, ...] = (
    "amount_log",
    "amount_to_avg_30d",
    "amount_zscore_30d",
    "amount_log_z_30d",
    "cust_count_1d",
    "cust_count_7d",
    "cust_count_30d",
    "cust_avg_1d_log",
    "cust_avg_7d_log",
    "cust_avg_30d_log",
    "cust_count_10m",
    "cust_count_1h",
    "cust_amount_1h_log",
    "seconds_since_last_log",
    "cust_known_frauds_30d",
    "cp_count_1d",
    "cp_count_7d",
    "cp_count_30d",
    "cp_customers_1d",
    "cp_known_frauds_30d",
    "cp_fraud_rate_30d",
    "cp_known_frauds_7d",
    "cp_fraud_rate_7d",
    "amount_to_cp_log_30d",
    "cp_log_amount_shift_7d",
    "new_counterparty",
    "new_device",
    "device_customers_30d",
    "new_payee",
    "new_country",
    "foreign_country",
    "account_age_days",
    "hour",
    "hour_dev_30d",
    "hour_concentration_30d",
    "is_night",
    "is_weekend",
    *CATEGORICAL,
)
INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}


@dataclass(frozen=True, slots=True)
class Txn:
    """One transaction to score. ``ts`` is seconds since the epoch (UTC); ``amount`` in major units."""

    ts: float
    customer_id: str
    counterparty_id: str
    amount: float
    merchant_category: str = ""
    country: str = ""
    channel: str = ""
    account_opened_ts: float | None = None  # when the customer's account was opened, if known
    home_country: str = ""  # the customer's own country, if known
    device_id: str = ""  # the device the customer used, if any (a banking app's device identifier)


@dataclass(slots=True)
class History:
    """Earlier transactions of one customer or one counterparty, in time order (append in order only).

    ``fraud`` holds 1 for a transaction known to be fraud, else 0; whether a label may be used at a given time is
    decided by ``features_of`` from the transaction's age, never by whoever fills the history.
    """

    ts: list[float] = field(default_factory=list)
    amount_prefix: list[float] = field(default_factory=lambda: [0.0])
    square_prefix: list[float] = field(default_factory=lambda: [0.0])
    fraud_prefix: list[int] = field(default_factory=lambda: [0])
    # log1p(amount) and its square, and the hour of day (UTC) on the unit circle: the customer's usual amounts on a
    # log scale and their usual time of day.
    log_prefix: list[float] = field(default_factory=lambda: [0.0])
    log_square_prefix: list[float] = field(default_factory=lambda: [0.0])
    hour_sin_prefix: list[float] = field(default_factory=lambda: [0.0])
    hour_cos_prefix: list[float] = field(default_factory=lambda: [0.0])
    others: list[str] = field(default_factory=list)  # the other side: counterparty (of a customer) or customer
    countries: list[str] = field(default_factory=list)
    first_ts: float | None = None
    # When each other side ("p:<id>") and device ("d:<id>") first appears: what "never before" is decided on.
    first_seen: dict[str, float] = field(default_factory=dict)

    def append(self, ts: float, amount: float, other: str, country: str = "", fraud: int = 0,
               device: str = "") -> None:
        if self.ts and ts < self.ts[-1]:
            raise ValueError("History.append needs transactions in time order")
        if self.first_ts is None:
            self.first_ts = ts
        self.ts.append(ts)
        self.amount_prefix.append(self.amount_prefix[-1] + amount)
        self.square_prefix.append(self.square_prefix[-1] + amount * amount)
        self.fraud_prefix.append(self.fraud_prefix[-1] + (1 if fraud else 0))
        log_amount = _log(amount)
        self.log_prefix.append(self.log_prefix[-1] + log_amount)
        self.log_square_prefix.append(self.log_square_prefix[-1] + log_amount * log_amount)
        angle = _angle(ts)
        self.hour_sin_prefix.append(self.hour_sin_prefix[-1] + math.sin(angle))
        self.hour_cos_prefix.append(self.hour_cos_prefix[-1] + math.cos(angle))
        self.others.append(other)
        self.countries.append(country)
        self.first_seen.setdefault(PAYEE + other, ts)
        if device:
            self.first_seen.setdefault(DEVICE + device, ts)

    def remember(self, key: str, ts: float) -> None:
        """Record that ``key`` (``PAYEE``/``DEVICE`` + id) was seen at ``ts``, before the entries held here."""
        first = self.first_seen.get(key)
        if first is None or ts < first:
            self.first_seen[key] = ts

    def seen_before(self, key: str, t: float) -> bool:
        first = self.first_seen.get(key)
        return first is not None and first < t

    def __len__(self) -> int:
        return len(self.ts)

    def since(self, start: float, end: float) -> tuple[int, int]:
        """Index range [i, j) of the entries with start <= ts < end."""
        return bisect_left(self.ts, start), bisect_left(self.ts, end)

    def labelled_until(self, start: float, last: float) -> tuple[int, int]:
        """Index range of the entries with start <= ts <= last (the ones whose label is old enough)."""
        return bisect_left(self.ts, start), bisect_right(self.ts, last)

    def count(self, i: int, j: int) -> int:
        return j - i

    def total(self, i: int, j: int) -> float:
        return self.amount_prefix[j] - self.amount_prefix[i]

    def frauds(self, i: int, j: int) -> int:
        return self.fraud_prefix[j] - self.fraud_prefix[i]

    def mean_log(self, i: int, j: int) -> float:
        return (self.log_prefix[j] - self.log_prefix[i]) / (j - i) if j > i else 0.0


def _log(value: float) -> float:
    return math.log1p(max(value, 0.0))


def _angle(ts: float) -> float:
    """The time of day (UTC) of ``ts`` as an angle: 00:00 and 24:00 are the same point."""
    return 2 * math.pi * (ts % DAY) / DAY


def features_of(
    txn: Txn,
    customer: History,
    counterparty: History,
    *,
    label_delay_seconds: float,
    vocabulary: dict[str, dict[str, int]] | None = None,
    device: History | None = None,
) -> list[float]:
    """The feature vector of ``txn`` (in ``FEATURE_NAMES`` order) from what was known just before ``txn.ts``.

    ``device`` is the history of ``txn.device_id`` (its entries' ``others`` are customers); ignored without a device.
    """
    t = txn.ts
    known_until = t - label_delay_seconds  # a label is usable only for a transaction at least this old

    i30, n = customer.since(t - 30 * DAY, t)
    i7 = bisect_left(customer.ts, t - 7 * DAY, i30, n)
    i1 = bisect_left(customer.ts, t - DAY, i7, n)
    i1h = bisect_left(customer.ts, t - HOUR, i1, n)
    i10m = bisect_left(customer.ts, t - 10 * MINUTE, i1h, n)
    count30, count7, count1 = n - i30, n - i7, n - i1
    total30 = customer.total(i30, n)
    avg30 = total30 / count30 if count30 else 0.0
    if count30 >= 2:
        variance = max((customer.square_prefix[n] - customer.square_prefix[i30]) / count30 - avg30 * avg30, 0.0)
        std30 = math.sqrt(variance)
    else:
        std30 = 0.0
    ratio = txn.amount / avg30 if avg30 > 0 else 0.0
    zscore = (txn.amount - avg30) / std30 if std30 > 0 else 0.0
    seconds_since_last = t - customer.ts[n - 1] if n else 30 * DAY
    # The amount against the customer's usual amounts on a log scale (amounts are roughly log-normal), and the time
    # of day against their usual one: the circular mean of their hours and how concentrated those are (1: always
    # the same hour, 0: any hour). UTC both: a customer's habit is in their own time, whatever the zone.
    amount_log = _log(txn.amount)
    log_z = 0.0
    if count30 >= 2:
        mean_log = customer.mean_log(i30, n)
        log_variance = (customer.log_square_prefix[n] - customer.log_square_prefix[i30]) / count30 - mean_log ** 2
        log_std = math.sqrt(max(log_variance, 0.0))
        log_z = (amount_log - mean_log) / max(log_std, 0.05)
    hour_dev, concentration = 0.0, 0.0
    if count30:
        sin_sum = customer.hour_sin_prefix[n] - customer.hour_sin_prefix[i30]
        cos_sum = customer.hour_cos_prefix[n] - customer.hour_cos_prefix[i30]
        concentration = math.hypot(sin_sum, cos_sum) / count30
        if concentration > 1e-9:
            difference = abs(_angle(t) - math.atan2(sin_sum, cos_sum)) % (2 * math.pi)
            hour_dev = min(difference, 2 * math.pi - difference) * 24 / (2 * math.pi)
    # Customer labels: frauds among their transactions of the 30 days before the label horizon.
    ci, cj = customer.labelled_until(known_until - 30 * DAY, min(known_until, t - 1e-9))
    recent_others = customer.others[i30:n]
    recent_countries = customer.countries[i30:n]

    p30, m = counterparty.since(t - 30 * DAY, t)
    p7 = bisect_left(counterparty.ts, t - 7 * DAY, p30, m)
    p1 = bisect_left(counterparty.ts, t - DAY, p7, m)
    qi, qj = counterparty.labelled_until(known_until - 30 * DAY, min(known_until, t - 1e-9))
    cp_labelled = qj - qi
    cp_frauds = counterparty.frauds(qi, qj)
    # The most recent labelled week weighs a compromise that began days ago, which 30 days of history dilute.
    qk = bisect_left(counterparty.ts, known_until - 7 * DAY, qi, qj)
    cp_labelled_7d, cp_frauds_7d = qj - qk, counterparty.frauds(qk, qj)
    # Amounts at the counterparty: this one against its 30 days, and its last week against the 23 days before (a
    # skimmed terminal's purchases are inflated from the day the compromise starts, long before any label).
    amount_to_cp = amount_log - counterparty.mean_log(p30, m) if m > p30 else 0.0
    shift = counterparty.mean_log(p7, m) - counterparty.mean_log(p30, p7) if m > p7 > p30 else 0.0

    device_customers = 0
    if txn.device_id and device is not None and len(device):
        d30, k = device.since(t - 30 * DAY, t)
        device_customers = len(set(device.others[d30:k]) - {txn.customer_id})

    opened = txn.account_opened_ts if txn.account_opened_ts is not None else customer.first_ts
    account_age_days = max(t - opened, 0.0) / DAY if opened is not None else 0.0
    when = datetime.fromtimestamp(t, UTC)
    home = txn.home_country
    vocabulary = vocabulary or {}

    vector = [
        _log(txn.amount),
        min(ratio, 1000.0),
        max(min(zscore, 100.0), -100.0),
        max(min(log_z, 100.0), -100.0),
        float(count1),
        float(count7),
        float(count30),
        _log(customer.total(i1, n) / count1) if count1 else 0.0,
        _log(customer.total(i7, n) / count7) if count7 else 0.0,
        _log(avg30),
        float(n - i10m),
        float(n - i1h),
        _log(customer.total(i1h, n)),
        _log(seconds_since_last),
        float(customer.frauds(ci, cj)),
        float(m - p1),
        float(m - p7),
        float(m - p30),
        float(len(set(counterparty.others[p1:m]))),
        float(cp_frauds),
        cp_frauds / cp_labelled if cp_labelled else 0.0,
        float(cp_frauds_7d),
        cp_frauds_7d / cp_labelled_7d if cp_labelled_7d else 0.0,
        amount_to_cp,
        shift,
        0.0 if txn.counterparty_id in recent_others else 1.0,
        1.0 if txn.device_id and not customer.seen_before(DEVICE + txn.device_id, t) else 0.0,
        float(device_customers),
        0.0 if customer.seen_before(PAYEE + txn.counterparty_id, t) else 1.0,
        0.0 if not txn.country or txn.country in recent_countries else 1.0,
        1.0 if txn.country and home and txn.country != home else 0.0,
        min(account_age_days, 3650.0),
        float(when.hour),
        hour_dev,
        concentration,
        1.0 if when.hour in NIGHT_HOURS else 0.0,
        1.0 if when.weekday() >= 5 else 0.0,
        float(vocabulary.get("merchant_category", {}).get(txn.merchant_category, 0)),
        float(vocabulary.get("country", {}).get(txn.country, 0)),
        float(vocabulary.get("channel", {}).get(txn.channel, 0)),
    ]
    return vector


def build_vocabulary(rows: list[Txn], *, min_count: int = 5) -> dict[str, dict[str, int]]:
    """Integer codes (1..k) for the categories seen at least ``min_count`` times; the rest map to 0."""
    vocabulary: dict[str, dict[str, int]] = {}
    for name in ("merchant_category", "country", "channel"):
        counts: dict[str, int] = {}
        for row in rows:
            value = getattr(row, name)
            if value:
                counts[value] = counts.get(value, 0) + 1
        frequent = sorted(value for value, c in counts.items() if c >= min_count)
        vocabulary[name] = {value: code for code, value in enumerate(frequent, start=1)}
    return vocabulary


class FeatureStream:
    """Feature vectors of a time-sorted stream: each row is scored against the rows before it, then appended.

    ``labels`` are the rows' fraud labels (1/0); they enter the histories with their rows, and ``features_of``
    uses a label only once its row is ``label_delay_seconds`` old, so a row's own label (or any newer one) never
    reaches its features.
    """

    def __init__(self, *, label_delay_seconds: float, vocabulary: dict[str, dict[str, int]] | None = None) -> None:
        self.label_delay_seconds = label_delay_seconds
        self.vocabulary = vocabulary
        self.customers: dict[str, History] = {}
        self.counterparties: dict[str, History] = {}
        self.devices: dict[str, History] = {}

    def push(self, txn: Txn, label: int) -> list[float]:
        customer = self.customers.get(txn.customer_id)
        if customer is None:
            customer = self.customers[txn.customer_id] = History()
        counterparty = self.counterparties.get(txn.counterparty_id)
        if counterparty is None:
            counterparty = self.counterparties[txn.counterparty_id] = History()
        device = None
        if txn.device_id:
            device = self.devices.get(txn.device_id)
            if device is None:
                device = self.devices[txn.device_id] = History()
        vector = features_of(
            txn, customer, counterparty, label_delay_seconds=self.label_delay_seconds, vocabulary=self.vocabulary,
            device=device,
        )
        customer.append(txn.ts, txn.amount, txn.counterparty_id, txn.country, label, txn.device_id)
        counterparty.append(txn.ts, txn.amount, txn.customer_id, txn.country, label)
        if device is not None:
            device.append(txn.ts, txn.amount, txn.customer_id, txn.country, label)
        return vector
