"""The one feature definition: windows, velocity, and that no label newer than the label delay reaches a feature."""

from __future__ import annotations

import random

import pytest

from apps.fraud import synthetic
from apps.fraud.dataset import read_rows
from apps.fraud.evaluation import Window, WindowError, check_gap
from apps.fraud.features import DAY, HOUR, INDEX, MINUTE, FeatureStream, History, Txn, features_of

T = 1_800_000_000.0  # a fixed "now"


def txn(**overrides) -> Txn:
    values = {"ts": T, "customer_id": "c1", "counterparty_id": "m1", "amount": 100.0}
    return Txn(**{**values, **overrides})


def history(entries) -> History:
    built = History()
    for ts, amount, other, fraud in entries:
        built.append(ts, amount, other, "", fraud)
    return built


def test_customer_windows_count_only_what_came_before_within_each_window():
    customer = history([
        (T - 40 * DAY, 10, "m9", 0),  # outside every window
        (T - 20 * DAY, 20, "m2", 0),
        (T - 3 * DAY, 30, "m2", 0),
        (T - 5 * HOUR, 40, "m3", 0),
        (T - 30 * MINUTE, 50, "m3", 0),
        (T - 5 * MINUTE, 60, "m3", 0),
    ])
    vector = features_of(txn(), customer, History(), label_delay_seconds=7 * DAY)
    assert vector[INDEX["cust_count_30d"]] == 5
    assert vector[INDEX["cust_count_7d"]] == 4
    assert vector[INDEX["cust_count_1d"]] == 3
    assert vector[INDEX["cust_count_1h"]] == 2
    assert vector[INDEX["cust_count_10m"]] == 1
    assert vector[INDEX["amount_to_avg_30d"]] == pytest.approx(100 / 40)  # (20+30+40+50+60)/5
    assert vector[INDEX["new_counterparty"]] == 1.0  # m1 was never paid
    assert features_of(txn(counterparty_id="m2"), customer, History(), label_delay_seconds=0)[
        INDEX["new_counterparty"]] == 0.0
    # An entry at the transaction's own time (or later) is not "before" it.
    customer.append(T, 1000, "m1")
    assert features_of(txn(), customer, History(), label_delay_seconds=0)[INDEX["cust_count_10m"]] == 1


def test_a_counterpartys_fraud_labels_count_only_once_they_are_as_old_as_the_label_delay():
    counterparty = history([
        (T - 20 * DAY, 10, "c7", 1),
        (T - 8 * DAY, 10, "c8", 0),
        (T - 6 * DAY, 10, "c9", 1),  # its label is not known yet with a 7-day delay
        (T - 1 * HOUR, 10, "c9", 1),
    ])
    vector = features_of(txn(), History(), counterparty, label_delay_seconds=7 * DAY)
    assert vector[INDEX["cp_known_frauds_30d"]] == 1
    assert vector[INDEX["cp_fraud_rate_30d"]] == pytest.approx(1 / 2)
    assert vector[INDEX["cp_count_7d"]] == 2 and vector[INDEX["cp_count_1d"]] == 1
    assert features_of(txn(), History(), counterparty, label_delay_seconds=0)[INDEX["cp_known_frauds_30d"]] == 3


def test_the_stream_scores_each_row_before_it_joins_the_history():
    stream = FeatureStream(label_delay_seconds=7 * DAY)
    first = stream.push(txn(ts=T), label=1)
    assert first[INDEX["cust_count_30d"]] == 0 and first[INDEX["cp_known_frauds_30d"]] == 0
    six_days = stream.push(txn(ts=T + 6 * DAY, customer_id="c2"), label=0)
    assert six_days[INDEX["cp_known_frauds_30d"]] == 0  # the fraud is 6 days old: not known yet
    eight_days = stream.push(txn(ts=T + 8 * DAY, customer_id="c3"), label=0)
    assert eight_days[INDEX["cp_known_frauds_30d"]] == 1
    assert eight_days[INDEX["cp_count_30d"]] == 2


@pytest.fixture(scope="module")
def stream_rows(tmp_path_factory):
    path = tmp_path_factory.mktemp("features") / "rows.csv"
    synthetic.write_csv(path, synthetic.generate(customers=60, days=40, seed=3))
    return read_rows(path)


def vectors(rows, labels, delay_days):
    stream = FeatureStream(label_delay_seconds=delay_days * DAY)
    return [stream.push(row.txn, label) for row, label in zip(rows, labels, strict=True)]


def test_no_label_newer_than_the_delay_changes_any_feature(stream_rows):
    """Flip every label of the rows less than 7 days older than a cut: no row up to the cut may change."""
    labels = [row.label for row in stream_rows]
    baseline = vectors(stream_rows, labels, 7)
    rng = random.Random(5)
    for cut_index in (len(stream_rows) // 3, len(stream_rows) // 2, len(stream_rows) - 1):
        cut = stream_rows[cut_index].txn.ts
        perturbed = [
            (1 - label if rng.random() < 0.5 else label) if row.txn.ts > cut - 7 * DAY else label
            for row, label in zip(stream_rows, labels, strict=True)
        ]
        assert perturbed != labels
        changed = vectors(stream_rows, perturbed, 7)
        for index, row in enumerate(stream_rows):
            if row.txn.ts > cut:
                break
            assert changed[index] == baseline[index], f"row {index} saw a label younger than the delay"


def test_the_counterparty_fraud_count_matches_a_brute_force_count(stream_rows):
    got = vectors(stream_rows, [row.label for row in stream_rows], 7)
    for index in range(0, len(stream_rows), 97):
        row = stream_rows[index]
        t = row.txn.ts
        expected = sum(
            1 for other in stream_rows
            if other.txn.counterparty_id == row.txn.counterparty_id and other.label
            and t - 7 * DAY - 30 * DAY <= other.txn.ts <= t - 7 * DAY
        )
        assert got[index][INDEX["cp_known_frauds_30d"]] == expected


def test_the_test_window_must_start_a_label_delay_after_the_train_window():
    train = Window(0, 10 * DAY)
    check_gap(train, Window(17 * DAY, 20 * DAY), label_delay_days=7)
    with pytest.raises(WindowError, match="at least 7 day"):
        check_gap(train, Window(16 * DAY, 20 * DAY), label_delay_days=7)


def test_new_device_and_new_payee_mean_never_before_while_new_counterparty_means_not_in_30_days():
    stream = FeatureStream(label_delay_seconds=7 * DAY)
    start = 1_767_225_600.0  # 2026-01-01 UTC
    stream.push(Txn(ts=start, customer_id="c1", counterparty_id="landlord", amount=900.0, channel="transfer",
                    device_id="phone"), 0)
    later = start + 45 * DAY  # past every window
    known = stream.push(Txn(ts=later, customer_id="c1", counterparty_id="landlord", amount=900.0,
                            channel="transfer", device_id="phone"), 0)
    assert (known[INDEX["new_device"]], known[INDEX["new_payee"]], known[INDEX["new_counterparty"]]) == (0, 0, 1)
    stranger = stream.push(Txn(ts=later + 3 * HOUR, customer_id="c1", counterparty_id="mule", amount=2400.0,
                               channel="transfer", device_id="other-phone"), 1)
    assert (stranger[INDEX["new_device"]], stranger[INDEX["new_payee"]]) == (1, 1)
    # The same device and payee for another customer are new to them; no device named: no device signal.
    other = stream.push(Txn(ts=later + 4 * HOUR, customer_id="c2", counterparty_id="mule", amount=10.0,
                            device_id="other-phone"), 0)
    assert (other[INDEX["new_device"]], other[INDEX["new_payee"]]) == (1, 1)
    card = stream.push(Txn(ts=later + 5 * HOUR, customer_id="c1", counterparty_id="m1-t1", amount=10.0), 0)
    assert card[INDEX["new_device"]] == 0


def test_the_hour_is_the_transactions_own_in_utc():
    at_three = features_of(txn(ts=1_767_236_400.0), History(), History(), label_delay_seconds=0)  # 03:00 UTC
    assert (at_three[INDEX["hour"]], at_three[INDEX["is_night"]]) == (3.0, 1.0)


def test_device_customers_counts_the_other_customers_of_the_device_in_the_30_days_before():
    stream = FeatureStream(label_delay_seconds=7 * DAY)
    start = 1_767_225_600.0  # 2026-01-01 UTC

    def pay(ts, customer, device="shared-phone"):
        return stream.push(Txn(ts=ts, customer_id=customer, counterparty_id=f"p-{customer}", amount=50.0,
                               channel="transfer", device_id=device), 0)

    assert pay(start, "c0")[INDEX["device_customers_30d"]] == 0  # nobody used it before
    pay(start + 10 * DAY, "c1")
    for k in range(2, 5):
        pay(start + 40 * DAY + k * HOUR, f"c{k}")  # c0 and c1 are more than 30 days before the next one
    again = pay(start + 41 * DAY, "c2")
    assert again[INDEX["device_customers_30d"]] == 2  # c3, c4: not c2 itself, not the ones 30+ days before
    assert again[INDEX["new_device"]] == 0
    newcomer = pay(start + 41 * DAY + HOUR, "c9")
    assert (newcomer[INDEX["device_customers_30d"]], newcomer[INDEX["new_device"]]) == (3, 1)
    assert pay(start + 41 * DAY + 2 * HOUR, "c9", device="own-phone")[INDEX["device_customers_30d"]] == 0
    card = stream.push(Txn(ts=start + 42 * DAY, customer_id="c9", counterparty_id="m1-t1", amount=10.0), 0)
    assert card[INDEX["device_customers_30d"]] == 0  # no device named: no device signal
    # features_of without a device history (a caller that has none) is the same as an empty one.
    lone = Txn(ts=start, customer_id="c1", counterparty_id="x", amount=1.0, device_id="d")
    assert features_of(lone, History(), History(), label_delay_seconds=0) == features_of(
        lone, History(), History(), label_delay_seconds=0, device=History())


def test_the_amount_and_the_hour_against_the_customers_habits():
    day0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC
    customer = History()
    for k in range(10):  # every evening at 23:00, 20 or 80 (log-scale mean ~ log(41))
        customer.append(day0 + k * DAY + 23 * HOUR, 20.0 if k % 2 else 80.0, "m1")
    at_one = day0 + 10 * DAY + 25 * HOUR  # 01:00, two hours after their usual 23:00 across midnight
    vector = features_of(txn(ts=at_one, amount=1000.0), customer, History(), label_delay_seconds=0)
    assert vector[INDEX["hour_dev_30d"]] == pytest.approx(2.0)
    assert vector[INDEX["hour_concentration_30d"]] == pytest.approx(1.0)
    import math

    logs = [math.log1p(20.0), math.log1p(80.0)]
    mean, std = sum(logs) / 2, abs(logs[1] - logs[0]) / 2
    assert vector[INDEX["amount_log_z_30d"]] == pytest.approx((math.log1p(1000.0) - mean) / std)
    empty = features_of(txn(ts=at_one), History(), History(), label_delay_seconds=0)
    assert (empty[INDEX["hour_dev_30d"]], empty[INDEX["hour_concentration_30d"]], empty[INDEX["amount_log_z_30d"]]) \
        == (0.0, 0.0, 0.0)


def test_a_counterpartys_last_week_of_amounts_against_the_weeks_before():
    """A skimmed terminal's purchases are inflated from its first day, days before any label is known."""
    import math

    terminal = History()
    for k in range(20):  # 20 ordinary purchases of 30 over days 30..8 before, then 5 of 90 in the last week
        terminal.append(T - 29 * DAY + k * DAY, 30.0, f"c{k}")
    for k in range(5):
        terminal.append(T - 6 * DAY + k * DAY, 90.0, f"d{k}")
    vector = features_of(txn(amount=90.0), History(), terminal, label_delay_seconds=7 * DAY)
    assert vector[INDEX["cp_log_amount_shift_7d"]] == pytest.approx(math.log1p(90) - math.log1p(30))
    assert vector[INDEX["amount_to_cp_log_30d"]] == pytest.approx(math.log1p(90) - (20 * math.log1p(30)
                                                                                    + 5 * math.log1p(90)) / 25)
    assert features_of(txn(), History(), History(), label_delay_seconds=0)[INDEX["cp_log_amount_shift_7d"]] == 0.0
