"""An AML rule that fires on an outbound payment holds the money: HELD with its amount reserved (the gateway's hold,
the one a sanctions hit gets), released when the alert is dismissed, rejected when it is confirmed."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditRecord
from apps.compliance import alerts as screening_alerts
from apps.compliance.alert_models import ScreeningAlert
from apps.compliance.aml_models import AlertDecision, AlertStatus, AmlAlert, AmlCase, RuleKind
from apps.compliance.cases import services as cases
from apps.compliance.monitoring.rules import holds_payment
from apps.ledger.models import HoldStatus
from apps.ledger.selectors import balance_get, hold_get
from apps.payments import services as payment_services
from apps.payments.states import PaymentStatus
from tests.conftest import make_client
from tests.factories import funded_account
from tests.payments.gateway.payments import request_from, sct_body

from .conftest import new_owner

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def send(account, amount: str = "150.00", **receiver):
        body = sct_body(account.public_id, amount=amount)
        body["receiver"] = {**body["receiver"], **receiver}
        with django_capture_on_commit_callbacks(execute=True):  # the alerts are written after the order commits
            return payment_services.payment_send(request=request_from(body), debtor_account=account.public_id).payment

    return send


def _to_iran(send, account):
    return send(account, country="IR", bic="BKMTIRTHXXX", name="Shop")


def _refresh(payment):
    payment.refresh_from_db()
    return payment


def test_a_payment_to_a_high_risk_country_waits_in_held_with_its_funds_reserved(rules, send):
    rules("high_risk_country", countries=["IR"], severity=3)
    account = funded_account("5000.00", "EUR", owner_id=new_owner())
    payment = _to_iran(send, account)
    assert (payment.status, payment.reason_code) == (PaymentStatus.HELD, "aml_alert")
    assert "test-high-risk-country v1" in payment.reason and "Shop" not in payment.reason
    assert hold_get(public_id=payment.hold_id).status == HoldStatus.AUTHORIZED
    assert balance_get(account=account).held_minor == payment.amount_minor + payment.fee_minor == 15000
    [alert] = AmlAlert.objects.filter(owner_id=account.owner_id)
    assert (alert.held_payment, alert.status, alert.transactions) == (
        payment.public_id,
        AlertStatus.OPEN,
        [payment.public_id],
    )


def test_dismissing_the_alert_releases_the_payment_with_the_same_hold(rules, send):
    rules("high_risk_country", countries=["IR"])
    account = funded_account("5000.00", "EUR", owner_id=new_owner())
    payment = _to_iran(send, account)
    hold_id = payment.hold_id
    alert = AmlAlert.objects.get(held_payment=payment.public_id)
    decided, outcome = cases.alert_decide(
        alert_id=alert.public_id, decision="dismissed", reason="a known supplier, humanitarian licence", actor="alice"
    )
    assert outcome == {payment.public_id: "released"}
    assert (decided.status, decided.decision, decided.decided_by) == (AlertStatus.CLOSED, "dismissed", "alice")
    payment = _refresh(payment)
    assert payment.status == PaymentStatus.QUEUED and payment.hold_id == hold_id
    assert hold_get(public_id=hold_id).status == HoldStatus.AUTHORIZED  # the reserved funds go on with it
    assert AuditRecord.objects.filter(action="aml.alert_dismissed", object_id=alert.public_id).count() == 1
    case = AmlCase.objects.get(owner_id=account.owner_id)
    assert case.is_open and "alert_dismissed" in case.events.values_list("action", flat=True)
    with pytest.raises(cases.AlertNotOpen):
        cases.alert_decide(alert_id=alert.public_id, decision="confirmed", reason="again", actor="bob")


def test_confirming_the_alert_rejects_the_payment_and_gives_the_funds_back(rules, send):
    rules("high_risk_country", countries=["IR"])
    account = funded_account("5000.00", "EUR", owner_id=new_owner())
    payment = _to_iran(send, account)
    alert = AmlAlert.objects.get(held_payment=payment.public_id)
    _, outcome = cases.alert_decide(alert_id=alert.public_id, decision="confirmed", reason="shell", actor="alice")
    assert outcome == {payment.public_id: "rejected"}
    payment = _refresh(payment)
    assert payment.status == PaymentStatus.REJECTED
    assert hold_get(public_id=payment.hold_id).status == HoldStatus.VOIDED
    assert balance_get(account=account).held_minor == 0


@pytest.mark.parametrize(("decision", "expected"), [("file_sar", PaymentStatus.REJECTED), ("close", "released")])
def test_the_case_decision_decides_the_payments_its_alerts_hold(rules, send, decision, expected):
    rules("high_risk_country", countries=["IR"], severity=2)  # medium: closing is not four-eyes
    account = funded_account("5000.00", "EUR", owner_id=new_owner())
    payment = _to_iran(send, account)
    case = AmlCase.objects.get(owner_id=account.owner_id)
    cases.case_decide(case_id=case.public_id, decision=decision, reason="reviewed", actor="alice")
    alert = AmlAlert.objects.get(held_payment=payment.public_id)
    assert alert.status == AlertStatus.CLOSED
    assert alert.decision == (AlertDecision.CONFIRMED if decision == "file_sar" else AlertDecision.DISMISSED)
    status = _refresh(payment).status
    assert status == PaymentStatus.QUEUED if expected == "released" else status == expected


def test_a_high_risk_case_close_releases_the_payment_only_when_the_second_officer_approves(rules, send):
    from apps.approvals.services import approval_approve
    from tests.staff import make_staff

    rules("high_risk_country", countries=["IR"], severity=3)
    account = funded_account("5000.00", "EUR", owner_id=new_owner())
    payment = _to_iran(send, account)
    case = AmlCase.objects.get(owner_id=account.owner_id)
    maker, checker = (
        make_staff("aml-maker", role="compliance_officer"),
        make_staff("aml-checker", role="compliance_officer"),
    )
    case = cases.case_decide(case_id=case.public_id, decision="close", reason="fine", actor="aml-maker", maker=maker)
    assert _refresh(payment).status == PaymentStatus.HELD  # waits for the four-eyes close
    approval_approve(public_id=case.approval, checker=checker)
    assert _refresh(payment).status == PaymentStatus.QUEUED


def test_a_new_counterparty_rule_is_informational_unless_officers_make_it_hold(rules, send):
    rules("new_counterparty_large", min_amount="1000", lookback_days=365)
    account = funded_account("9000.00", "EUR", owner_id=new_owner())
    first = send(account, amount="2000.00")
    assert first.status == PaymentStatus.QUEUED  # alerted, not held (the default)
    [alert] = AmlAlert.objects.filter(owner_id=account.owner_id)
    assert alert.held_payment == ""
    rules("new_counterparty_large", min_amount="1000", lookback_days=365, hold_payment=True)
    held = send(account, amount="2000.00", iban="DE02120300000000202051", name="Other payee")
    assert (held.status, held.reason_code) == (PaymentStatus.HELD, "aml_alert")
    assert AmlAlert.objects.get(held_payment=held.public_id).rule_version.version == 2


def test_only_real_time_payment_rules_can_hold():
    assert holds_payment(RuleKind.HIGH_RISK_COUNTRY, {})
    assert not holds_payment(RuleKind.HIGH_RISK_COUNTRY, {"hold_payment": False})
    assert not holds_payment(RuleKind.NEW_COUNTERPARTY_LARGE, {})
    for after_the_fact in (RuleKind.CASH_OVER_THRESHOLD, RuleKind.VELOCITY, RuleKind.STRUCTURING):
        assert not holds_payment(after_the_fact, {"hold_payment": True})


def test_monitoring_off_holds_nothing(rules, send, settings):
    rules("high_risk_country", countries=["IR"])
    settings.QENEX = {**settings.QENEX, "compliance": {**settings.QENEX["compliance"], "transaction_monitoring": False}}
    payment = _to_iran(send, funded_account("5000.00", "EUR", owner_id=new_owner()))
    assert payment.status == PaymentStatus.QUEUED and not AmlAlert.objects.exists()


def test_a_payment_held_by_a_screening_hit_and_an_aml_alert_waits_for_both(rules, send):
    rules("high_risk_country", countries=["IR"])
    screening_alerts.block_list_add(name="Blocked Shop", reason="police report 2026-7", actor="officer")
    account = funded_account("5000.00", "EUR", owner_id=new_owner())
    payment = send(account, country="IR", bic="BKMTIRTHXXX", name="Blocked Shop")
    assert payment.status == PaymentStatus.HELD
    screening = ScreeningAlert.objects.get(subject_id=payment.public_id)
    screening_alerts.alert_clear(alert_id=screening.public_id, reason="other shop of that name", actor="alice")
    assert _refresh(payment).status == PaymentStatus.HELD  # the AML alert still holds it
    aml = AmlAlert.objects.get(held_payment=payment.public_id)
    _, outcome = cases.alert_decide(alert_id=aml.public_id, decision="dismissed", reason="licensed", actor="alice")
    assert outcome == {payment.public_id: "released"} and _refresh(payment).status == PaymentStatus.QUEUED


def test_the_api_dismisses_and_confirms_with_codes_on_errors(rules, send):
    rules("high_risk_country", countries=["IR"])
    account = funded_account("5000.00", "EUR", owner_id=new_owner())
    payment = _to_iran(send, account)
    alert = AmlAlert.objects.get(held_payment=payment.public_id)
    client = make_client(["compliance:read", "compliance:write"], "aml-decider")
    url = f"/api/v1/compliance/alerts/{alert.public_id}"
    assert client.post(f"{url}/dismiss", {}, format="json").status_code == 400
    assert _refresh(payment).status == PaymentStatus.HELD  # bad input changed nothing
    assert (
        make_client(["compliance:read"], "aml-ro").post(f"{url}/confirm", {"reason": "x"}, format="json").status_code
        == 403
    )
    done = client.post(f"{url}/confirm", {"reason": "structuring abroad"}, format="json")
    assert done.status_code == 200 and done.json()["decision"] == "confirmed"
    assert done.json()["payments"] == {payment.public_id: "rejected"}
    again = client.post(f"{url}/dismiss", {"reason": "x"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "alert_not_open"
    missing = client.post("/api/v1/compliance/alerts/aml_nope/dismiss", {"reason": "x"}, format="json")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "alert_not_found"


def test_the_admin_dismiss_action_releases_the_payment_and_needs_a_reason(rules, send):
    from django.test import Client

    from tests.staff import make_staff, otp_login

    rules("high_risk_country", countries=["IR"])
    payment = _to_iran(send, funded_account("5000.00", "EUR", owner_id=new_owner()))
    alert = AmlAlert.objects.get(held_payment=payment.public_id)
    officer = otp_login(Client(), make_staff("adm-aml-holds", "compliance_officer"))
    listing = officer.get("/admin/compliance/amlalert/", {"decision__exact": ""})
    assert listing.status_code == 200 and payment.public_id in listing.content.decode()
    url, selected = "/admin/compliance/amlalert/", {"action": "dismiss_alerts", "_selected_action": [alert.pk]}
    no_reason = officer.post(url, selected, follow=True)
    assert "reason_required" in no_reason.content.decode() and _refresh(payment).status == PaymentStatus.HELD
    done = officer.post(url, {**selected, "reason": "licensed exporter"}, follow=True)
    assert f"payment {payment.public_id} released" in done.content.decode()
    assert _refresh(payment).status == PaymentStatus.QUEUED


def test_above_the_four_eyes_threshold_a_dismissal_leaves_the_release_to_a_second_officer(rules, send):
    rules("high_risk_country", countries=["IR"])
    account = funded_account("20000.00", "EUR", owner_id=new_owner())
    payment = send(account, amount="12000.00", country="IR", bic="BKMTIRTHXXX", name="Shop")
    alert = AmlAlert.objects.get(held_payment=payment.public_id)
    decided, outcome = cases.alert_decide(alert_id=alert.public_id, decision="dismissed", reason="ok", actor="alice")
    assert outcome == {payment.public_id: "approval_required"} and decided.decision == "dismissed"
    assert _refresh(payment).status == PaymentStatus.HELD  # the PAYMENT_RELEASE four-eyes path, as any held payment
    assert balance_get(account=account).held_minor == payment.amount_minor + payment.fee_minor


def test_a_payment_held_without_its_alert_gets_it_from_the_sweep(rules, send, monkeypatch):
    """The alert is written after the order commits; when that write fails the payment is HELD with nobody asked to
    decide it. The sweep finds it, raises the alert naming it, and deciding that alert lets the payment go."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.compliance.monitoring import hooks
    from apps.compliance.monitoring import services as monitoring

    rules("high_risk_country", countries=["IR"])
    account = funded_account("5000.00", "EUR", owner_id=new_owner())

    def database_gone(**_):
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(hooks, "payment_alerts_record", database_gone)
        payment = _to_iran(send, account)
    assert (payment.status, payment.reason_code) == (PaymentStatus.HELD, "aml_alert")
    assert not AmlAlert.objects.filter(owner_id=account.owner_id).exists()

    assert monitoring.held_payments_alert(held_before=payment.updated_at) == []  # too young: may still be committing
    swept = monitoring.monitoring_sweep(until=timezone.now() + timedelta(seconds=1))
    [alert] = swept.orphaned_holds
    assert (alert.held_payment, alert.status, alert.owner_id) == (payment.public_id, AlertStatus.OPEN, account.owner_id)
    assert monitoring.held_payments_alert(held_before=timezone.now() + timedelta(seconds=1)) == []  # once only

    _, outcome = cases.alert_decide(alert_id=alert.public_id, decision="dismissed", reason="known", actor="alice")
    assert outcome == {payment.public_id: "released"}
    assert _refresh(payment).status == PaymentStatus.QUEUED


def test_a_held_payment_no_rule_finds_any_more_is_logged_for_the_held_queue(rules, send, monkeypatch, caplog):
    from datetime import timedelta

    from django.utils import timezone

    from apps.compliance.aml_models import MonitoringRule
    from apps.compliance.monitoring import hooks
    from apps.compliance.monitoring import services as monitoring

    rules("high_risk_country", countries=["IR"])
    account = funded_account("5000.00", "EUR", owner_id=new_owner())
    with monkeypatch.context() as patched:
        patched.setattr(hooks, "payment_alerts_record", lambda **_: 1 / 0)
        payment = _to_iran(send, account)
    MonitoringRule.objects.update(active=False)
    monitoring.invalidate_active_rules()
    with caplog.at_level("ERROR", logger="qenex.compliance.monitoring"):
        assert monitoring.held_payments_alert(held_before=timezone.now() + timedelta(seconds=1)) == []
    assert f"payment {payment.public_id} is held by AML monitoring without an alert" in caplog.text
    assert _refresh(payment).status == PaymentStatus.HELD
