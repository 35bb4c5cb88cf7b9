"""Hits stop the money: alerts for payments and customers, officers' decisions, the allow and block lists."""

from __future__ import annotations

import pytest

from apps.accounts.models import Account, AccountStatus
from apps.accounts.services import OpeningRefused
from apps.audit.models import AuditRecord
from apps.compliance import alerts
from apps.compliance.alert_models import AlertStatus, AllowListEntry, ScreeningAlert
from apps.compliance.alerts import AlertNotOpen
from apps.compliance.aml_models import AmlAlert, MonitoringRule
from apps.compliance.models import SanctionsEntry
from apps.compliance.payment_checks import inbound_sanctions_check
from apps.core.checks import Verdict
from apps.core.errors import InvalidInput
from apps.customers.models import Customer, KycStatus, SanctionsStatus
from apps.customers.services import customer_update
from apps.ledger.checks import RefusedByCheck
from apps.ledger.models import Hold, HoldStatus
from apps.ledger.selectors import balance_get
from apps.ledger.services import account_open, post_batch, post_deposit
from apps.payments import services
from apps.payments.states import PaymentStatus
from tests.customers.conftest import LISTED_COUNTRY, LISTED_NAME, person
from tests.factories import funded_account
from tests.payments.gateway.payments import request_from, sct_body

pytestmark = pytest.mark.django_db


def _send(account, name: str, country: str = LISTED_COUNTRY):
    body = sct_body(account.public_id)
    body["receiver"] = {**body["receiver"], "name": name, "country": country}
    return services.payment_send(request=request_from(body), debtor_account=account.public_id).payment


def _held_payment(django_capture_on_commit_callbacks, account=None):
    account = account or funded_account("500.00", "EUR")
    with django_capture_on_commit_callbacks(execute=True):
        payment = _send(account, LISTED_NAME)
    assert (payment.status, payment.reason_code) == (PaymentStatus.HELD, "sanctions_hit")
    return account, payment


def test_a_held_payment_has_an_alert_naming_the_entry_and_explaining_the_match(
    un_list, django_capture_on_commit_callbacks
):
    account, payment = _held_payment(django_capture_on_commit_callbacks)
    alert = ScreeningAlert.objects.get(subject_type="payment", subject_id=payment.public_id)
    assert (alert.list_code, alert.entry_id, alert.party_role, alert.status) == ("un", "CDi.001", "creditor", "open")
    assert alert.account == account.public_id and alert.score >= 0.86
    assert {item["kind"] for item in alert.explanation} & {"exact", "phonetic", "typo"}
    assert alert.party_name == LISTED_NAME
    record = AuditRecord.objects.get(action="screening.alerts_raised", object_id=payment.public_id)
    assert "Badege" not in str(record.after)


def test_a_cleared_false_positive_releases_the_payment_and_does_not_alert_again(
    un_list, django_capture_on_commit_callbacks
):
    account, payment = _held_payment(django_capture_on_commit_callbacks)
    alert = ScreeningAlert.objects.get(subject_id=payment.public_id)
    with pytest.raises(InvalidInput):
        alerts.alert_clear(alert_id=alert.public_id, reason=" ", actor="officer")
    alerts.alert_clear(alert_id=alert.public_id, reason="another Eric Badege: born 1990, Lyon", actor="officer")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.QUEUED
    allow = AllowListEntry.objects.get(alert=alert)
    assert (allow.created_by, allow.list_code, allow.entry_id) == ("officer", "un", "CDi.001")
    with pytest.raises(AlertNotOpen):
        alerts.alert_clear(alert_id=alert.public_id, reason="again", actor="officer")

    with django_capture_on_commit_callbacks(execute=True):
        second = _send(account, LISTED_NAME)
    assert second.status == PaymentStatus.QUEUED
    assert not ScreeningAlert.objects.filter(subject_id=second.public_id).exists()


def test_the_allow_list_entry_lapses_when_the_list_entry_changes(un_list, django_capture_on_commit_callbacks):
    account, payment = _held_payment(django_capture_on_commit_callbacks)
    alerts.alert_clear(
        alert_id=ScreeningAlert.objects.get(subject_id=payment.public_id).public_id, reason="not him", actor="o"
    )
    # A reload changed the entry (new remarks, a new alias...): its digest is no longer the one cleared.
    SanctionsEntry.objects.filter(entry_id="CDi.001").update(content_hash="0" * 64)
    with django_capture_on_commit_callbacks(execute=True):
        again = _send(account, LISTED_NAME)
    assert again.status == PaymentStatus.HELD
    assert ScreeningAlert.objects.filter(subject_id=again.public_id, status="open").count() == 1


def test_a_confirmed_match_rejects_the_payment_and_freezes_the_account(un_list, django_capture_on_commit_callbacks):
    account, payment = _held_payment(django_capture_on_commit_callbacks)
    alert = ScreeningAlert.objects.get(subject_id=payment.public_id)
    alerts.alert_confirm(alert_id=alert.public_id, reason="same person: passport matches", actor="officer")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REJECTED
    assert Account.objects.get(pk=account.pk).status == AccountStatus.FROZEN
    assert AuditRecord.objects.filter(action="screening.alert_confirmed", object_id=payment.public_id).exists()
    assert not AllowListEntry.objects.exists()
    assert Hold.objects.get(public_id=payment.hold_id).status == HoldStatus.VOIDED  # the reserved funds released
    assert balance_get(account=account).held_minor == 0


def test_a_confirmed_match_opens_an_aml_case_on_the_customer_once(un_list, django_capture_on_commit_callbacks):
    account, payment = _held_payment(django_capture_on_commit_callbacks)
    alert = ScreeningAlert.objects.get(subject_id=payment.public_id)
    alerts.alert_confirm(alert_id=alert.public_id, reason="same person: passport matches", actor="officer")
    [aml_alert] = AmlAlert.objects.filter(owner_id=account.owner_id)
    assert (aml_alert.kind, aml_alert.rule.code, aml_alert.severity) == ("sanctions_match", "sanctions-match", 4)
    assert aml_alert.transactions == [payment.public_id] and aml_alert.figures["entry_id"] == "CDi.001"
    assert aml_alert.case.status == "OPEN" and aml_alert.case.owner_id == account.owner_id
    # A second confirmed match of the same customer joins that case; the rule is written once.
    _, second = _held_payment(django_capture_on_commit_callbacks, account=account_reopened(account))
    alerts.alert_confirm(
        alert_id=ScreeningAlert.objects.get(subject_id=second.public_id).public_id, reason="same", actor="officer"
    )
    assert set(AmlAlert.objects.filter(owner_id=account.owner_id).values_list("case", flat=True)) == {aml_alert.case_id}
    assert MonitoringRule.objects.filter(code="sanctions-match").count() == 1


def account_reopened(account):
    """The frozen account active again (as the four-eyes unfreeze would), for a second payment."""
    from apps.ledger.services import account_change_status

    return account_change_status(public_id=account.public_id, status=AccountStatus.ACTIVE, actor="test")


def test_a_blocked_party_is_held_though_no_list_names_it(un_list, django_capture_on_commit_callbacks):
    alerts.block_list_add(name="Pierre Dupont", reason="fraud ring, police report 2026-114", actor="officer")
    account = funded_account("500.00", "EUR")
    with django_capture_on_commit_callbacks(execute=True):
        payment = _send(account, "pierre  DUPONT", "FR")
    assert payment.status == PaymentStatus.HELD
    alert = ScreeningAlert.objects.get(subject_id=payment.public_id)
    assert alert.list_code == "block_list" and alert.score == 1.0
    with django_capture_on_commit_callbacks(execute=True):
        other = _send(account, "Jean Martin", "FR")
    assert other.status == PaymentStatus.QUEUED


def _listed_customer_with_accounts(*kinds: str, initial_balance: str | None = None):
    """A customer with accounts, then renamed to a listed name (screened on change): an open hit."""
    customer = person()
    accounts = [
        account_open(owner_id=customer.public_id, account_type=k, currency="EUR", initial_balance=initial_balance)
        for k in kinds
    ]
    customer = customer_update(
        public_id=customer.public_id, fields={"name": LISTED_NAME, "nationality": LISTED_COUNTRY}, actor="clerk"
    )
    assert customer.sanctions_status == SanctionsStatus.POTENTIAL_MATCH
    return customer, accounts


def test_a_customer_with_an_open_hit_cannot_open_an_account(un_list):
    customer = person(name=LISTED_NAME, nationality=LISTED_COUNTRY, date_of_birth="")
    with pytest.raises(OpeningRefused) as refused:
        account_open(owner_id=customer.public_id, account_type="CHECKING", currency="EUR")
    assert refused.value.code == "sanctions_hit"


def test_a_customer_with_an_open_hit_cannot_move_money_until_it_is_cleared(un_list):
    customer, (account,) = _listed_customer_with_accounts("CHECKING")
    with pytest.raises(RefusedByCheck) as refused:
        post_deposit(to_account=account.public_id, amount="10.00", currency="EUR")
    assert refused.value.code == "sanctions_hit"
    alert = ScreeningAlert.objects.get(subject_type="customer", subject_id=customer.public_id)
    alerts.alert_clear(alert_id=alert.public_id, reason="different date of birth", actor="officer")
    assert Customer.objects.get(pk=customer.pk).sanctions_status == SanctionsStatus.CLEAR
    post_deposit(to_account=account.public_id, amount="10.00", currency="EUR")


def test_a_batch_refuses_exactly_the_entries_of_a_customer_with_an_open_hit_asking_once(
    un_list, django_assert_max_num_queries
):
    _customer, (listed,) = _listed_customer_with_accounts("CHECKING")
    clean = funded_account("100.00", "EUR")

    def deposit(account, key):
        return {
            "type": "DEPOSIT",
            "to_account": account.public_id,
            "amount": "1.00",
            "currency": "EUR",
            "idempotency_key": key,
        }

    def batch(size: int, prefix: str):
        entries = [deposit(listed if i % 3 == 1 else clean, f"{prefix}-{i}") for i in range(size)]
        return post_batch(entries=entries, mode="independent")

    result = batch(6, "small")
    assert [(item.status, item.code) for item in result.items] == [
        ("posted", None),
        ("refused", "sanctions_hit"),
        ("posted", None),
    ] * 2
    assert balance_get(account=listed).ledger_minor == 0
    with django_assert_max_num_queries(30) as captured:  # every check asks once per batch, not once per entry
        assert batch(60, "large").count("refused") == 20
    alert_queries = [q for q in captured.captured_queries if "compliance_screeningalert" in q["sql"]]
    assert len(alert_queries) == 1


def test_a_confirmed_customer_is_marked_and_all_its_accounts_frozen(un_list):
    customer, accounts = _listed_customer_with_accounts("CHECKING", "SAVINGS")
    alert = ScreeningAlert.objects.get(subject_type="customer", subject_id=customer.public_id)
    alerts.alert_confirm(alert_id=alert.public_id, reason="match confirmed with the UN panel", actor="officer")
    customer.refresh_from_db()
    assert (customer.sanctions_status, customer.kyc_status) == (SanctionsStatus.CONFIRMED, KycStatus.REJECTED)
    assert {a.status for a in Account.objects.filter(pk__in=[a.pk for a in accounts])} == {AccountStatus.FROZEN}


def test_a_payment_of_a_customer_with_an_open_hit_is_held(un_list, django_capture_on_commit_callbacks):
    _, (account,) = _listed_customer_with_accounts("CHECKING", initial_balance="500.00")
    payment = _send(account, "Jean Martin", "FR")
    assert (payment.status, payment.reason_code) == (PaymentStatus.HELD, "sanctions_hit")
    assert balance_get(account=account).held_minor == 15000  # its funds blocked while an officer decides


class Inbound:
    rail = "sepa"
    amount_minor = 10000
    currency = "EUR"
    debtor_account = "FR7630006000011234567890189"
    creditor_name = "Anna Schmidt"
    creditor_country = "DE"
    credit_account = None
    message_id = "MSG-1"
    at = None

    def __init__(self, debtor_name: str, debtor_country: str = ""):
        self.debtor_name, self.debtor_country = debtor_name, debtor_country


def test_an_inbound_payment_from_a_listed_party_is_held_and_alerted(un_list, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound_sanctions_check(Inbound(LISTED_NAME, LISTED_COUNTRY))
    assert (result.verdict, result.code) == (Verdict.HOLD, "sanctions_hit")
    assert ScreeningAlert.objects.get(subject_type="inbound_payment", subject_id="MSG-1").party_role == "debtor"
    assert inbound_sanctions_check(Inbound("Jean Martin", "FR")).verdict == Verdict.PASS


def test_alert_decisions_cannot_be_made_twice_and_open_alerts_are_unique(un_list):
    customer = person(name=LISTED_NAME, nationality=LISTED_COUNTRY, date_of_birth="")
    from apps.customers.services import customer_screen

    customer_screen(public_id=customer.public_id, source="manual")  # screened again: no second open alert
    assert ScreeningAlert.objects.filter(subject_id=customer.public_id, status=AlertStatus.OPEN).count() == 1
