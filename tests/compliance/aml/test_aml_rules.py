"""Each monitoring rule: what should raise an alert does, at the right transaction, and what should not, does not.

The postings go through the ledger services; the alert is raised by the after-commit hook (Celery runs inline in
tests), never inside the posting's transaction.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import Account
from apps.compliance.aml_models import MonitoringRuleVersion
from apps.compliance.monitoring.movements import PaymentSeen
from apps.compliance.monitoring.rules import high_risk_country, merged, new_counterparty_large

from .conftest import alerts_of, new_owner, open_account

pytestmark = pytest.mark.django_db


def test_cash_over_the_threshold_across_accounts_alerts_at_the_deposit_that_crosses_it(rules, ledger, settings):
    rules("cash_over_threshold")
    owner = new_owner()
    checking, savings = open_account(owner), open_account(owner)
    first = ledger.deposit(checking, "4000.00")
    second = ledger.deposit(savings, "4000.00")
    assert alerts_of(owner) == []  # 8,000.00: not over 10,000
    third = ledger.deposit(checking, "2500.00")
    [alert] = alerts_of(owner)
    assert alert.transactions == [first.public_id, second.public_id, third.public_id]
    assert alert.figures["total"] == "10500.00" and alert.figures["threshold"] == "10000.00"
    assert sorted(alert.figures["accounts"]) == sorted([checking.public_id, savings.public_id])
    ledger.deposit(checking, "100.00")
    assert len(alerts_of(owner)) == 1  # the same customer-day raises one alert


def test_cash_exactly_at_the_threshold_or_of_another_customer_does_not_alert(rules, ledger):
    rules("cash_over_threshold")
    owner, other = new_owner(), new_owner()
    ledger.deposit(open_account(owner), "10000.00")
    ledger.deposit(open_account(other), "9000.00")
    assert alerts_of(owner) == [] and alerts_of(other) == []


def test_cash_out_is_aggregated_apart_from_cash_in(rules, ledger):
    rules("cash_over_threshold", threshold="1000")
    owner = new_owner()
    account = open_account(owner)
    ledger.deposit(account, "900.00")
    ledger.withdraw(account, "600.00")
    assert alerts_of(owner) == []  # 1,500 moved, but neither direction is over 1,000
    ledger.deposit(account, "200.00")
    [alert] = alerts_of(owner)
    assert alert.figures["direction"] == "in" and alert.figures["total"] == "1100.00"


def test_structuring_alerts_on_the_third_deposit_just_under_the_threshold_with_the_deposits_as_evidence(rules, ledger):
    rules("structuring", lower_percent=80, min_count=3, window_days=3)
    owner = new_owner()
    account = open_account(owner)
    deposits = [ledger.deposit(account, amount) for amount in ("9500.00", "9800.00")]
    assert alerts_of(owner) == []
    deposits.append(ledger.deposit(account, "9900.00"))
    [alert] = alerts_of(owner, "structuring")
    assert alert.transactions == [d.public_id for d in deposits]
    assert alert.figures["amounts"] == ["9500.00", "9800.00", "9900.00"]


def test_deposits_well_under_or_over_the_band_are_not_structuring(rules, ledger):
    rules("structuring", lower_percent=80, min_count=3, window_days=3)
    owner = new_owner()
    account = open_account(owner)
    for amount in ("5000.00", "7900.00", "10000.01", "12000.00"):
        ledger.deposit(account, amount)
    assert alerts_of(owner) == []


def test_rapid_movement_in_and_out_within_hours_alerts(rules, ledger):
    rules("rapid_movement", hours=24, min_amount="5000", out_percent=80)
    owner = new_owner()
    account, elsewhere = open_account(owner), open_account(new_owner())
    credit = ledger.deposit(account, "6000.00")
    out = ledger.transfer(account, elsewhere, "5500.00")
    [alert] = alerts_of(owner, "rapid_movement")
    assert alert.account == account.public_id
    assert alert.transactions == [credit.public_id, out.public_id]
    assert alert.figures["in"] == "6000.00" and alert.figures["out"] == "5500.00"


def test_money_that_mostly_stays_or_small_amounts_are_not_rapid_movement(rules, ledger):
    rules("rapid_movement", hours=24, min_amount="5000", out_percent=80)
    owner, small = new_owner(), new_owner()
    account = open_account(owner)
    ledger.deposit(account, "6000.00")
    ledger.withdraw(account, "1000.00")
    little = open_account(small)
    ledger.deposit(little, "400.00")
    ledger.withdraw(little, "400.00")
    assert alerts_of(owner) == [] and alerts_of(small) == []


def test_velocity_alerts_once_the_count_in_the_window_is_exceeded(rules, ledger):
    rules("velocity", window_minutes=60, max_count=3)
    owner = new_owner()
    account = open_account(owner)
    for _ in range(3):
        ledger.deposit(account, "10.00")
    assert alerts_of(owner) == []
    ledger.deposit(account, "10.00")
    [alert] = alerts_of(owner, "velocity")
    assert alert.figures["count"] == 4 and len(alert.transactions) == 4


def test_high_risk_country_checks_the_creditor_country_and_the_bic_country():
    params = merged("high_risk_country", {"countries": ["IR", "KP"]})

    def payment(country: str, bic: str) -> PaymentSeen:
        return PaymentSeen(
            payment="pay_1",
            owner_id="o",
            account="acc_1",
            amount_minor=100_00,
            currency="EUR",
            creditor_country=country,
            creditor_bic=bic,
            counterparty_key="k",
            created_at=timezone.now(),
        )

    assert high_risk_country(params, payment("IR", "BNPAFRPPXXX"))[0].figures["countries"] == ["IR"]
    assert high_risk_country(params, payment("FR", "BKMTIRTHXXX"))[0].figures["bic_country"] == "IR"
    assert high_risk_country(params, payment("FR", "BNPAFRPPXXX")) == []
    assert high_risk_country(params, payment("", "")) == []


def test_dormant_account_alerts_on_sudden_activity(rules, ledger):
    rules("dormant_activity", dormant_days=180, min_amount="1000")
    owner = new_owner()
    account = open_account(owner)
    Account.objects.filter(pk=account.pk).update(created_at=timezone.now() - timedelta(days=400))
    entry = ledger.deposit(account, "5000.00")
    [alert] = alerts_of(owner, "dormant_activity")
    assert alert.transactions == [entry.public_id]


def test_a_new_account_or_one_in_use_or_a_small_amount_is_not_dormant_activity(rules, ledger):
    rules("dormant_activity", dormant_days=180, min_amount="1000")
    fresh, used, small = new_owner(), new_owner(), new_owner()
    ledger.deposit(open_account(fresh), "5000.00")  # opened today
    old = open_account(used)
    Account.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    old.refresh_from_db()
    ledger.deposit(old, "50.00")  # under min_amount: no alert, but the account is in use from now on
    ledger.deposit(old, "5000.00")
    quiet = open_account(small)
    Account.objects.filter(pk=quiet.pk).update(created_at=timezone.now() - timedelta(days=400))
    ledger.deposit(quiet, "999.99")
    assert alerts_of(fresh) == alerts_of(used) == alerts_of(small) == []


def test_round_amounts_alert_at_the_third_in_the_window(rules, ledger):
    rules("round_amounts", multiple="1000", min_amount="3000", min_count=3, window_days=7)
    owner = new_owner()
    account = open_account(owner)
    ledger.deposit(account, "3000.00")
    ledger.deposit(account, "5000.00")
    assert alerts_of(owner) == []
    ledger.deposit(account, "7000.00")
    [alert] = alerts_of(owner, "round_amounts")
    assert alert.figures["amounts"] == ["3000.00", "5000.00", "7000.00"]


def test_amounts_that_are_not_round_or_too_small_do_not_count(rules, ledger):
    rules("round_amounts", multiple="1000", min_amount="3000", min_count=3, window_days=7)
    owner = new_owner()
    account = open_account(owner)
    for amount in ("3000.50", "2000.00", "4999.00", "6000.00"):
        ledger.deposit(account, amount)
    assert alerts_of(owner) == []


def test_expected_activity_passes_while_the_customer_has_none_on_record(rules, ledger):
    rules("expected_activity", window_days=30, multiple_of_expected=3)
    owner = new_owner()
    account = open_account(owner)
    ledger.deposit(account, "90000.00")
    assert alerts_of(owner) == []  # party_for_owner knows no expected activity until apps.customers lands


def test_new_counterparty_with_a_large_amount_alerts_once_and_a_known_one_does_not(rules, ledger):
    rules("new_counterparty_large", min_amount="10000", lookback_days=365)
    owner = new_owner()
    account, payee, other_payee = open_account(owner), open_account(new_owner()), open_account(new_owner())
    ledger.deposit(account, "50000.00")
    ledger.transfer(account, payee, "500.00")  # small: a known counterparty from now on
    ledger.transfer(account, payee, "12000.00")
    assert alerts_of(owner) == []
    large = ledger.transfer(account, other_payee, "15000.00")
    [alert] = alerts_of(owner, "new_counterparty_large")
    assert alert.transactions == [large.public_id]


def test_new_counterparty_on_payments_compares_the_creditor_by_blind_index():
    params = merged("new_counterparty_large", {"min_amount": "10000"})
    small = PaymentSeen(
        payment="pay_2",
        owner_id="o",
        account="acc",
        amount_minor=9_999_00,
        currency="USD",
        creditor_country="US",
        creditor_bic="",
        counterparty_key="k1",
        created_at=timezone.now(),
    )
    assert new_counterparty_large(params, small) == []


def test_an_alert_records_the_rule_version_that_raised_it_and_an_edit_makes_a_new_version(rules, ledger):
    rule = rules("cash_over_threshold", code="cash-v", threshold="1000")
    owner = new_owner()
    ledger.deposit(open_account(owner), "1500.00")
    rule = rules("cash_over_threshold", code="cash-v", threshold="2000")
    assert rule.version == 2
    assert list(MonitoringRuleVersion.objects.filter(rule=rule).values_list("version", "parameters")) == [
        (2, {"threshold": "2000"}),
        (1, {"threshold": "1000"}),
    ]
    other = new_owner()
    ledger.deposit(open_account(other), "1500.00")  # under the new threshold
    [alert] = alerts_of(owner)
    assert alert.rule_version.version == 1 and alert.figures["threshold"] == "1000.00"
    assert alerts_of(other) == []


def test_transaction_monitoring_false_turns_it_off(rules, ledger, settings):
    rules("cash_over_threshold")
    settings.QENEX = {**settings.QENEX, "compliance": {**settings.QENEX["compliance"], "transaction_monitoring": False}}
    owner = new_owner()
    ledger.deposit(open_account(owner), "25000.00")
    assert alerts_of(owner) == []


def test_a_switched_off_rule_raises_nothing(rules, ledger):
    owner = new_owner()
    ledger.deposit(open_account(owner), "250000.00")
    assert alerts_of(owner) == []
