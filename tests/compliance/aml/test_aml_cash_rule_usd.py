"""The monitoring rule ``cash_over_threshold`` counts a customer's cash of the day across accounts and currencies in
US dollars, with the CTR's own aggregation and conversion (``reports.usd.cash_totals_usd``): an alert and a CTR
agree on the same day. USD-only days behave as before (``test_aml_rules.py``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.compliance.aml_models import AmlReport, ReportType
from apps.compliance.reports import services as reports
from apps.ledger.services import fx_rate_set

from .conftest import alerts_of, new_owner, open_account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def on_postgres(on_postgresql):
    """These tests are about PostgreSQL-backed postings and rates; run them there."""


def _rate(base: str, quote: str, rate: str) -> None:
    fx_rate_set(base=base, quote=quote, rate=rate, valid_from=timezone.now() - timedelta(minutes=5))


def _ctr_of(owner: str):
    """The owner's CTR of today (drafting the day's CTRs first: a second call drafts nothing twice)."""
    reports.ctrs_generate(day=timezone.localdate(), automatic=False)
    return list(AmlReport.objects.filter(report_type=ReportType.CTR, owner_id=owner))


def test_dollars_and_euros_of_one_day_over_the_threshold_in_dollars_alert_as_the_ctr_counts(rules, ledger):
    _rate("EUR", "USD", "1.085")
    rules("cash_over_threshold")
    owner = new_owner()
    dollars, euros = open_account(owner, "USD"), open_account(owner, "EUR")
    first = ledger.deposit(dollars, "6000.00")
    assert alerts_of(owner) == []
    second = ledger.deposit(euros, "5000.00")  # USD 5,425.00: 11,425.00 in all, though neither currency is over
    [alert] = alerts_of(owner)
    assert alert.transactions == [first.public_id, second.public_id]
    assert (alert.figures["currency"], alert.figures["total"], alert.figures["threshold"]) == (
        "USD",
        "11425.00",
        "10000.00",
    )
    assert alert.figures["converted"]["EUR"]["usd_in"] == "5425.00"
    assert alert.figures["converted"]["EUR"]["rate"].startswith("EUR/USD 1.085 from ")
    assert sorted(alert.figures["accounts"]) == sorted([dollars.public_id, euros.public_id])
    ledger.deposit(euros, "100.00")
    assert len(alerts_of(owner)) == 1  # one alert per customer, day and direction, whatever the currency
    [ctr] = _ctr_of(owner)
    assert ctr.figures["cash_in"] == "11533.50"  # the CTR of the whole day: the same rule, one more deposit


def test_dollars_and_euros_under_the_threshold_in_dollars_do_not_alert(rules, ledger):
    _rate("EUR", "USD", "1.085")
    rules("cash_over_threshold")
    owner = new_owner()
    ledger.deposit(open_account(owner, "USD"), "4000.00")
    ledger.deposit(open_account(owner, "EUR"), "5000.00")  # 4,000 + 5,425 = 9,425.00
    assert alerts_of(owner) == [] and _ctr_of(owner) == []


def test_the_threshold_is_dollars_for_a_foreign_currency_day_and_rounds_as_the_ctr_does(rules, ledger):
    _rate("EUR", "USD", "1.085")
    rules("cash_over_threshold")
    under, over = new_owner(), new_owner()
    ledger.deposit(open_account(under, "EUR"), "9216.58")  # 9,999.9893 USD: 9,999.99 rounded up, not over
    account = open_account(over, "EUR")
    ledger.deposit(account, "5000.00")
    ledger.deposit(account, "4216.59")  # 10,000.000150 USD exactly: 10,000.01, over
    assert alerts_of(under) == [] and _ctr_of(under) == []
    [alert] = alerts_of(over)
    assert alert.figures["total"] == "10000.01"
    assert _ctr_of(over)[0].figures["cash_in"] == alert.figures["total"]


def test_cash_out_in_two_currencies_adds_up_apart_from_cash_in(rules, ledger):
    _rate("USD", "JPY", "150")  # only the inverse stored: it divides, exactly
    rules("cash_over_threshold", threshold="1000")
    owner = new_owner()
    dollars, yen = open_account(owner, "USD"), open_account(owner, "JPY")
    ledger.deposit(dollars, "900.00")
    ledger.deposit(yen, "120000")  # USD 800.00 in: 1,700 in
    [cash_in] = alerts_of(owner)
    ledger.withdraw(dollars, "600.00")
    assert alerts_of(owner) == [cash_in]
    ledger.withdraw(yen, "75000")  # USD 500.00 out: 1,100 out
    [_, cash_out] = alerts_of(owner)
    assert (cash_in.figures["direction"], cash_in.figures["total"]) == ("in", "1700.00")
    assert (cash_out.figures["direction"], cash_out.figures["total"]) == ("out", "1100.00")


def test_cash_in_a_currency_without_a_dollar_rate_is_not_converted_but_never_goes_unseen(rules, ledger):
    rules("cash_over_threshold")
    owner, small = new_owner(), new_owner()
    ledger.deposit(open_account(owner, "USD"), "9000.00")
    gbp = open_account(owner, "GBP")
    ledger.deposit(gbp, "5000.00")  # no GBP rate: not added to the dollars, and 5,000 GBP alone is not over
    assert alerts_of(owner) == []
    ledger.deposit(gbp, "5500.00")  # 10,500 GBP: over the threshold read in pounds
    [alert] = alerts_of(owner)
    assert alert.figures["no_usd_rate"] is True and alert.figures["currency"] == "GBP"
    assert alert.figures["total"] == "10500.00" and len(alert.transactions) == 2
    ledger.deposit(open_account(small, "GBP"), "9000.00")
    assert alerts_of(small) == []

