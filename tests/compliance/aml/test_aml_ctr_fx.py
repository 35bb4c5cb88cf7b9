"""CTR cash in every currency counts toward the USD 10,000 threshold, at the ledger's FX rate of the day, in exact
integer arithmetic rounded once up to the cent; the CTR states US dollars."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import timezone
from lxml import etree

from apps.compliance.reports import fincen, usd
from apps.compliance.reports import services as reports
from apps.ledger.services import fx_rate_set

from .conftest import new_owner, open_account

pytestmark = pytest.mark.django_db
NS = {"f": fincen.NS}


def _rate(base: str, quote: str, rate: str, valid_from=None) -> None:
    fx_rate_set(base=base, quote=quote, rate=rate, valid_from=valid_from or timezone.now() - timedelta(minutes=5))


def _ctr_of(owner: str):
    return [c for c in reports.ctrs_generate(day=timezone.localdate(), automatic=False) if c.owner_id == owner]


def test_euro_and_dollar_cash_of_one_day_add_up_in_dollars(rules, ledger):
    _rate("EUR", "USD", "1.085")
    owner = new_owner()
    ledger.deposit(open_account(owner, "EUR"), "6000.00")  # USD 6,510.00
    ledger.deposit(open_account(owner, "USD"), "4500.00")
    [ctr] = _ctr_of(owner)
    assert ctr.figures["cash_in"] == "11010.00" and ctr.figures["currency"] == "USD"
    assert ctr.figures["converted"]["EUR"]["in"] == "6000.00"
    assert ctr.figures["converted"]["EUR"]["usd_in"] == "6510.00"
    assert ctr.figures["converted"]["EUR"]["rate"].startswith("EUR/USD 1.085 from ")
    document = etree.fromstring(ctr.xml.encode())
    fincen.validate("CTRX", ctr.xml.encode())
    assert document.findtext(".//f:TotalCashInReceiveAmountText", namespaces=NS) == "11010"
    assert len(ctr.figures["transactions"]) == 2


def test_foreign_cash_under_the_threshold_in_dollars_is_no_ctr(rules, ledger):
    _rate("EUR", "USD", "1.085")
    owner = new_owner()
    ledger.deposit(open_account(owner, "EUR"), "9000.00")  # USD 9,765.00: under, though 9,000 EUR alone is not
    assert _ctr_of(owner) == []


def test_the_day_total_is_converted_once_and_rounded_up_to_the_cent(rules, ledger):
    _rate("EUR", "USD", "1.085")
    owner = new_owner()
    account = open_account(owner, "EUR")
    # 9,216.59 EUR x 1.085 = 10,000.000150 USD: exactly, just over; rounding down (or to nearest) would say 10,000.00.
    ledger.deposit(account, "5000.00")
    ledger.deposit(account, "4216.59")
    [ctr] = _ctr_of(owner)
    assert ctr.figures["cash_in"] == "10000.01"


def test_the_rate_of_the_day_is_the_last_one_in_force_at_its_end(rules, ledger):
    _rate("EUR", "USD", "1.00", valid_from=timezone.now() - timedelta(days=3))
    owner = new_owner()
    ledger.deposit(open_account(owner, "EUR"), "9500.00")
    tomorrow = usd.end_of_day(timezone.localdate()) + timedelta(seconds=1)
    _rate("EUR", "USD", "2.00", valid_from=tomorrow)  # published after the day: not its rate
    assert _ctr_of(owner) == []  # 9,500 USD at 1.00
    _rate("EUR", "USD", "1.10")  # published today: the day's rate
    [ctr] = _ctr_of(owner)
    assert ctr.figures["cash_in"] == "10450.00"


def test_only_the_inverse_rate_stored_divides_exactly(rules, ledger):
    _rate("USD", "JPY", "150")
    owner = new_owner()
    ledger.deposit(open_account(owner, "JPY"), "1600000")  # 10,666.666... USD
    [ctr] = _ctr_of(owner)
    assert ctr.figures["cash_in"] == "10666.67"
    rate = usd.usd_rate_of_day("JPY", timezone.localdate())
    assert rate.usd_per_unit == Fraction(1, 150) and usd.usd_minor(1_600_000, rate) == 1_066_667


def test_cash_out_converts_too_and_cash_in_a_currency_without_a_rate_is_logged_not_counted(rules, ledger, caplog):
    _rate("EUR", "USD", "1.085")
    owner = new_owner()
    eur, gbp = open_account(owner, "EUR"), open_account(owner, "GBP")
    ledger.deposit(eur, "12000.00")
    ledger.withdraw(eur, "9500.00")  # out: USD 10,307.50
    ledger.deposit(gbp, "20000.00")  # no GBP rate: not counted
    with caplog.at_level(logging.ERROR, logger="qenex.compliance.reports"):
        [ctr] = _ctr_of(owner)
    assert (ctr.figures["cash_in"], ctr.figures["cash_out"]) == ("13020.00", "10307.50")
    assert ctr.figures["unconverted"] == ["GBP"] and "no GBP/USD rate" in caplog.text
    assert Decimal(ctr.figures["cash_in"]) == Decimal("12000.00") * Decimal("1.085")


def test_a_sar_states_what_its_alerts_name_in_dollars_at_each_days_rate(rules, django_capture_on_commit_callbacks):
    from apps.compliance.aml_models import AmlCase
    from apps.compliance.cases import services as cases
    from apps.payments import services as payment_services
    from tests.factories import funded_account
    from tests.payments.gateway.payments import request_from, sct_body

    _rate("EUR", "USD", "1.085")
    rules("high_risk_country", countries=["IR"])
    account = funded_account("5000.00", "EUR", owner_id=new_owner())
    body = sct_body(account.public_id, amount="150.00")
    body["receiver"] = {**body["receiver"], "country": "IR", "bic": "BKMTIRTHXXX", "name": "Shop"}
    with django_capture_on_commit_callbacks(execute=True):
        payment_services.payment_send(request=request_from(body), debtor_account=account.public_id)
    case = AmlCase.objects.get(owner_id=account.owner_id)
    cases.case_decide(case_id=case.public_id, decision="file_sar", reason="payments to Iran", actor="alice")
    sar = case.reports.get()
    assert sar.figures["total"] == "162.75" and sar.figures["currency"] == "USD"  # 150.00 EUR x 1.085
    fincen.validate("SARX", sar.xml.encode())
