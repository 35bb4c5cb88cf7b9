"""``party_for_owner`` reads the customer record: reports, rules and case views name the customer, not the account."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from lxml import etree

from apps.compliance.aml_models import AmlCase
from apps.compliance.parties import party_for_owner
from apps.compliance.reports import fincen
from apps.compliance.reports import services as reports
from apps.customers.services import customer_create
from tests.conftest import make_client

from .conftest import alerts_of, new_owner, open_account

pytestmark = pytest.mark.django_db
NS = {"f": fincen.NS}


def _customer(**overrides):
    fields = {
        "kind": "person",
        "name": "Mary Ann Walker",
        "date_of_birth": "1979-03-14",
        "nationality": "US",
        "residence_country": "US",
        "addresses": [{"street": "12 Elm St", "city": "Boston", "state": "MA", "zip": "02110", "country": "US"}],
        "national_id": "123456789",
        "occupation": "architect",
        "channel": "branch",
    }
    fields.update(overrides)
    return customer_create(fields=fields, actor="officer")


def test_a_customer_is_named_from_its_record_not_from_its_account():
    customer = _customer()
    account = open_account(customer.public_id, name="M WALKER JOINT")
    party = party_for_owner(customer.public_id)
    assert party.is_customer and party.name == "Mary Ann Walker"
    assert (party.first_name, party.last_name) == ("Mary Ann", "Walker")
    assert (party.tin, party.tin_type, party.date_of_birth) == ("123456789", "SSN/ITIN", dt.date(1979, 3, 14))
    assert (party.street, party.city, party.state, party.zip_code, party.country) == (
        "12 Elm St",
        "Boston",
        "MA",
        "02110",
        "US",
    )
    assert party.us_person and [a.public_id for a in party.accounts] == [account.public_id]


def test_an_organisation_is_an_entity_with_its_full_name_and_a_foreign_one_has_a_foreign_tin():
    org = _customer(
        kind="organisation",
        name="Acme Trading GmbH",
        date_of_birth="2001-01-01",
        nationality="DE",
        residence_country="DE",
        addresses=["Hauptstrasse 1, 10115 Berlin"],
        national_id="HRB 12345",
    )
    party = party_for_owner(org.public_id)
    assert party.is_entity and (party.first_name, party.last_name) == ("", "Acme Trading GmbH")
    assert party.date_of_birth is None and party.tin_type == "foreign" and not party.us_person
    assert party.street == "Hauptstrasse 1, 10115 Berlin" and party.country == "DE"


def test_an_owner_that_is_no_customer_falls_back_to_the_account_holder():
    owner = new_owner()
    open_account(owner, name="Jane Doe")
    party = party_for_owner(owner)
    assert not party.is_customer and (party.name, party.last_name, party.tin) == ("Jane Doe", "Doe", "")


def test_a_ctr_names_the_customer_with_its_date_of_birth_tin_and_address(rules, ledger):
    customer = _customer()
    ledger.deposit(open_account(customer.public_id, name="M WALKER JOINT"), "12000.00")
    [ctr] = reports.ctrs_generate(day=timezone.localdate())
    document = etree.fromstring(ctr.xml.encode())
    person = [
        p for p in document.iterfind(".//f:Party", NS) if p.findtext("f:ActivityPartyTypeCode", namespaces=NS) == "50"
    ][0]
    assert person.findtext(".//f:RawEntityIndividualLastName", namespaces=NS) == "Walker"
    assert person.findtext(".//f:RawIndividualFirstName", namespaces=NS) == "Mary Ann"
    assert person.findtext("f:IndividualBirthDateText", namespaces=NS) == "19790314"
    assert person.findtext(".//f:PartyIdentificationNumberText", namespaces=NS) == "123456789"
    assert person.findtext(".//f:RawCityText", namespaces=NS) == "Boston"


def test_the_expected_activity_rule_reads_the_customers_stated_activity(rules, ledger):
    rules("expected_activity", window_days=30, multiple_of_expected=3)
    customer = _customer(expected_monthly_amount_minor=100_000, expected_currency="USD")  # 1,000.00 a month
    account = open_account(customer.public_id)
    ledger.deposit(account, "2500.00")
    assert alerts_of(customer.public_id) == []  # 2,500 <= 3 x 1,000
    ledger.deposit(account, "600.00")
    [alert] = alerts_of(customer.public_id, "expected_activity")
    assert alert.figures == {"total": "3100.00", "expected_monthly": "1000.00"}


def test_the_case_detail_names_the_party(rules, ledger):
    rules("cash_over_threshold")
    customer = _customer()
    ledger.deposit(open_account(customer.public_id, name="M WALKER JOINT"), "15000.00")
    case = AmlCase.objects.get(owner_id=customer.public_id)
    got = make_client(["compliance:read"], "aml-party").get(f"/api/v1/compliance/cases/{case.public_id}").json()
    assert got["party"]["name"] == "Mary Ann Walker" and got["party"]["is_customer"] is True
