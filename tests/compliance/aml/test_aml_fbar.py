"""FBAR: a US person's accounts held outside the US, each at its maximum value in the year in USD, drafted when
their aggregate is more than USD 10,000, and valid against FinCEN's FBARX schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from lxml import etree

from apps.compliance.aml_models import AmlReport, ReportType
from apps.compliance.reports import fbar, fincen
from apps.compliance.reports import services as reports
from apps.customers.services import customer_create
from apps.ledger.services import fx_rate_set
from apps.payments.services import account_alias_register

from .conftest import open_account

pytestmark = pytest.mark.django_db
NS = {"f": fincen.NS}
YEAR = timezone.localdate().year


def _customer(**overrides):
    fields = {
        "kind": "person",
        "name": "John Q Public",
        "date_of_birth": "1970-05-01",
        "nationality": "US",
        "residence_country": "US",
        "addresses": [{"street": "1 Main St", "city": "Austin", "state": "TX", "zip": "73301", "country": "US"}],
        "national_id": "987654321",
        "channel": "branch",
    }
    fields.update(overrides)
    return customer_create(fields=fields, actor="officer")


@pytest.fixture
def eur_rate():
    fx_rate_set(base="EUR", quote="USD", rate="1.10", valid_from=timezone.now() - timedelta(minutes=5))


def _us_person_with(ledger, eur: str, usd: str):
    customer = _customer()
    euro, dollar = open_account(customer.public_id, "EUR"), open_account(customer.public_id, "USD")
    ledger.deposit(euro, eur)
    ledger.withdraw(euro, "1000.00")  # the maximum stays the high point, not the year-end balance
    ledger.deposit(dollar, usd)
    return customer, euro, dollar


def test_a_us_persons_foreign_accounts_over_10000_usd_in_aggregate_are_reported(rules, ledger, eur_rate):
    customer, euro, dollar = _us_person_with(ledger, "8000.00", "3000.00")  # 8,800 + 3,000 USD
    report = reports.fbar_generate(owner_id=customer.public_id, year=YEAR, actor="alice")
    fincen.validate("FBARX", report.xml.encode())
    assert report.figures["aggregate_usd"] == "11800.00" and report.figures["threshold_usd"] == "10000.00"
    assert report.figures["accounts"][euro.public_id] | {"rate": ""} == {
        "country": "DE",
        "currency": "EUR",
        "maximum": "8000.00",
        "maximum_usd": "8800.00",
        "rate": "",
    }
    document = etree.fromstring(report.xml.encode())
    values = {
        a.findtext("f:AccountNumberText", namespaces=NS): a.findtext("f:AccountMaximumValueAmountText", namespaces=NS)
        for a in document.iterfind(".//f:Activity/f:Account", NS)
    }
    assert values == {euro.public_id: "8800", dollar.public_id: "3000"}
    held_in = document.xpath(
        ".//f:Account/f:Party[f:ActivityPartyTypeCode='41']//f:RawCountryCodeText/text()", namespaces=NS
    )
    assert held_in == ["DE", "DE"]  # the office abroad, not the filer's US address
    owner = [
        p for p in document.iterfind(".//f:Party", NS) if p.findtext("f:ActivityPartyTypeCode", namespaces=NS) == "15"
    ][0]
    assert owner.findtext(".//f:RawEntityIndividualLastName", namespaces=NS) == "Public"
    assert owner.findtext("f:IndividualBirthDateText", namespaces=NS) == "19700501"


def test_an_aggregate_of_10000_usd_or_less_needs_no_fbar(rules, ledger, eur_rate):
    customer, _, _ = _us_person_with(ledger, "6000.00", "3400.00")  # 6,600 + 3,400 = 10,000.00: not more
    with pytest.raises(reports.FbarNotRequired, match="10000.00"):
        reports.fbar_generate(owner_id=customer.public_id, year=YEAR, actor="alice")


def test_a_customer_who_is_no_us_person_files_no_fbar(rules, ledger, eur_rate):
    customer = _customer(nationality="DE", residence_country="DE", national_id="X1")
    ledger.deposit(open_account(customer.public_id, "EUR"), "50000.00")
    with pytest.raises(reports.FbarNotRequired, match="not a US person"):
        reports.fbar_generate(owner_id=customer.public_id, year=YEAR, actor="alice")


def test_where_an_account_is_held_comes_from_its_iban_else_the_banks_bic(rules, ledger, eur_rate, settings):
    settings.QENEX_PAYMENTS_BANK_BIC = "QNXBUS33XXX"  # a US bank: its accounts are domestic
    customer = _customer()
    domestic, abroad = open_account(customer.public_id, "USD"), open_account(customer.public_id, "EUR")
    ledger.deposit(domestic, "90000.00")
    ledger.deposit(abroad, "9000.00")  # USD 9,900
    with pytest.raises(reports.FbarNotRequired, match="no account outside the US"):
        reports.fbar_generate(owner_id=customer.public_id, year=YEAR, actor="alice")
    account_alias_register(identifier="DE89370400440532013000", account_id=abroad.public_id)
    found = fbar.fbar_assess(owner_id=customer.public_id, year=YEAR)
    assert [(a.public_id, a.country) for a in found.foreign_accounts] == [(abroad.public_id, "DE")]
    assert found.aggregate_usd_minor == 990_000 and not found.required  # the US account does not count
    ledger.deposit(abroad, "200.00")  # 9,200 EUR = 10,120 USD
    report = reports.fbar_generate(owner_id=customer.public_id, year=YEAR, actor="alice")
    assert list(report.figures["accounts"]) == [abroad.public_id]


def test_the_yearly_run_drafts_each_due_fbar_once_and_nothing_with_reporting_off(rules, ledger, eur_rate, settings):
    due, _, _ = _us_person_with(ledger, "20000.00", "10.00")
    _us_person_with(ledger, "1100.00", "10.00")  # not due
    assert [r.owner_id for r in reports.fbars_generate(year=YEAR)] == [due.public_id]
    assert reports.fbars_generate(year=YEAR) == []  # drafted already
    assert AmlReport.objects.filter(report_type=ReportType.FBAR).count() == 1
    settings.QENEX = {**settings.QENEX, "compliance": {**settings.QENEX["compliance"], "reporting_enabled": False}}
    AmlReport.objects.all().delete()
    assert reports.fbars_generate(year=YEAR) == []
