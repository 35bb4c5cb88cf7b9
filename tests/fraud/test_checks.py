"""Inline scoring: postings that move money out, payments and card authorisations are blocked, held or flagged."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from apps.audit.models import AuditRecord
from apps.core import checks
from apps.core.errors import InvalidInput
from apps.core.metrics import exposition
from apps.fraud import reporting, runtime
from apps.fraud.detector import FraudDetector
from apps.fraud.models import AlertStatus, FraudAlert, FraudLabel
from apps.fraud.risk import risk_assess
from apps.ledger import selectors, services
from apps.ledger.checks import RefusedByCheck
from apps.payments import services as payments
from apps.payments.models import PaymentOrder
from apps.payments.states import PaymentStatus
from tests.conftest import make_client
from tests.factories import funded_account
from tests.payments.gateway.payments import request_from, sct_body

pytestmark = pytest.mark.django_db


def withdraw(account, amount="25.00"):
    return services.post_withdrawal(from_account=account.public_id, amount=amount, currency="USD")


def test_with_no_promoted_model_the_checks_pass_and_record_nothing(django_capture_on_commit_callbacks):
    account = funded_account("100.00", owner_id="alice")
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(account)
    assert runtime.current() is None and not FraudAlert.objects.exists()


def test_switched_off_nothing_is_scored_even_with_a_model(promoted, always, settings,
                                                          django_capture_on_commit_callbacks):
    always("block")
    settings.QENEX_FEATURES = {**settings.QENEX_FEATURES, "fraud_detection": False}
    account = funded_account("100.00", owner_id="alice")
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(account)
    assert not FraudAlert.objects.exists()
    assert runtime.status() == {"model": "no model", "detail": "switched off"}


def test_a_blocked_withdrawal_is_refused_posts_nothing_and_leaves_an_explained_alert(
    promoted, always, django_capture_on_commit_callbacks
):
    always("block")
    account = funded_account("100.00", owner_id="alice")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RefusedByCheck) as refused:
        withdraw(account)
    assert refused.value.code == "fraud_suspected" and refused.value.http_status == 403
    assert "fraud.model: fraud score" in str(refused.value)
    assert selectors.balance_get(account=account).ledger_minor == 10000
    alert = FraudAlert.objects.get()
    assert (alert.kind, alert.decision, alert.action) == ("posting", "block", "rejected")
    assert (alert.customer_id, alert.account, alert.amount_minor) == ("alice", account.public_id, 2500)
    assert alert.model_version == promoted.version and 0.0 <= alert.score <= 1.0
    assert AuditRecord.objects.filter(action="fraud.alert_raised", object_id=alert.public_id).exists()


def test_a_review_score_passes_the_posting_and_queues_an_alert_deposits_are_not_scored(
    promoted, always, django_capture_on_commit_callbacks
):
    always("review")
    account = funded_account("100.00", owner_id="bob")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_deposit(to_account=account.public_id, amount="5.00", currency="USD")
        assert not FraudAlert.objects.exists()  # money in: not scored
        withdraw(account)
    assert selectors.balance_get(account=account).ledger_minor == 10500 - 2500
    alert = FraudAlert.objects.get()
    assert (alert.decision, alert.action, alert.status) == ("review", "passed", AlertStatus.OPEN)
    assert all(set(item) == {"feature", "value", "contribution"} for item in alert.explanation)


def test_the_api_refuses_a_blocked_transfer_with_403_and_the_checks_code(promoted, always):
    always("block")
    a, b = funded_account("100.00", owner_id="alice"), funded_account("0", owner_id="bob")
    client = make_client(["transactions:write"])
    response = client.post("/api/v1/transactions", {"type": "TRANSFER", "from_account": a.public_id,
                                                    "to_account": b.public_id, "amount": "10.00", "currency": "USD"},
                           format="json", HTTP_IDEMPOTENCY_KEY="fraud-1")
    assert response.status_code == 403 and response.json()["error"]["code"] == "fraud_suspected"


def test_a_blocked_payment_is_held_and_its_alert_is_written_only_after_commit(
    promoted, always, django_capture_on_commit_callbacks
):
    always("block")
    account = funded_account("500.00", "EUR", owner_id="carol")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        payment = payments.payment_send(request=request_from(sct_body(account.public_id)),
                                        debtor_account=account.public_id).payment
        assert not FraudAlert.objects.exists()  # nothing written inside the payment's transaction
    assert payment.status == PaymentStatus.HELD and payment.reason_code == "fraud_suspected"
    for callback in callbacks:
        callback()
    alert = FraudAlert.objects.get()
    assert (alert.kind, alert.reference, alert.action) == ("payment", payment.public_id, "held")
    assert alert.counterparty_id.startswith("bidx:")


def test_the_block_action_per_channel_can_reject_payments(promoted, always, settings,
                                                          django_capture_on_commit_callbacks):
    always("block")
    settings.QENEX_FRAUD_BLOCK_ACTIONS = "payment=reject"
    account = funded_account("500.00", "EUR", owner_id="carol")
    with django_capture_on_commit_callbacks(execute=True):
        payment = payments.payment_send(request=request_from(sct_body(account.public_id)),
                                        debtor_account=account.public_id).payment
    assert payment.status == PaymentStatus.REJECTED and payment.hold_id == ""
    assert FraudAlert.objects.get().action == "rejected"


def card_subject(account, **overrides):
    values = dict(card_id="card_1", account=account.public_id, owner_id=account.owner_id, amount_minor=129900,
                  currency="USD", merchant_id="m0042", merchant_category="5732", merchant_country="US",
                  terminal_id="t1", pos_entry_mode="081", at=datetime(2026, 3, 1, 3, 0, tzinfo=UTC))
    return SimpleNamespace(**{**values, **overrides})


def test_a_card_authorisation_is_refused_above_the_block_threshold_and_passes_below(
    promoted, always, settings, django_capture_on_commit_callbacks
):
    account = funded_account("100.00", owner_id="dave")
    always("block")
    with django_capture_on_commit_callbacks(execute=True):
        outcome = checks.run("card_authorisation", card_subject(account))
    assert outcome.verdict == checks.Verdict.REJECT and outcome.deciding[1].code == "fraud_suspected"
    alert = FraudAlert.objects.get()
    assert (alert.kind, alert.counterparty_id, alert.reference) == ("card_authorisation", "m0042-t1", "card_1")
    settings.QENEX_FRAUD_REVIEW_THRESHOLD, settings.QENEX_FRAUD_BLOCK_THRESHOLD = 1.01, 1.01
    assert checks.run("card_authorisation", card_subject(account)).verdict == checks.Verdict.PASS


def test_an_analysts_decision_becomes_a_label_and_the_live_metrics(promoted, always,
                                                                   django_capture_on_commit_callbacks):
    always("review")
    account = funded_account("100.00", owner_id="erin")
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(account, "1.00")
        withdraw(account, "2.00")
    first, second = FraudAlert.objects.order_by("id")
    client = make_client(["fraud:review"])
    listed = client.get("/api/v1/fraud/alerts?status=open")
    assert listed.status_code == 200 and len(listed.json()["results"]) == 2
    answer = client.post(f"/api/v1/fraud/alerts/{first.public_id}/decision", {"decision": "fraud"}, format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "fraud"
    again = client.post(f"/api/v1/fraud/alerts/{first.public_id}/decision", {"decision": "not_fraud"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "alert_already_decided"
    client.post(f"/api/v1/fraud/alerts/{second.public_id}/decision", {"decision": "not_fraud"}, format="json")
    assert FraudLabel.objects.filter(is_fraud=True, customer_id="erin").count() == 1
    assert reporting.model_quality() == [(promoted.version, 0.5, 0.5)]
    text = exposition().decode()
    assert f'qenex_false_positive_rate{{model="{promoted.version}"}} 0.5' in text
    assert make_client(["transactions:read"], name="other").get("/api/v1/fraud/alerts").status_code == 403


def test_system_status_reports_the_loaded_model_version(promoted, client):
    body = client.get("/api/v1/system/status").json()
    assert body["features"]["fraud_detection"] == {"configured": True, "running": True, "model": promoted.version}


@pytest.mark.django_db(transaction=True)  # the call reads the database from a worker thread of its own
def test_the_seeds_predict_call_returns_a_probability_and_an_analysis(promoted):
    transaction = {"amount": 5000, "merchant_category": "electronics", "country": "US", "account_age_days": 30,
                   "daily_count": 5, "velocity_score": 3.2}
    is_fraud, probability, analysis = asyncio.run(FraudDetector().predict(transaction))
    assert isinstance(is_fraud, bool) and 0.0 <= probability <= 1.0
    assert analysis["scored"] and analysis["model"] == promoted.version
    assert analysis["features"]["cust_count_1d"] == 5 and analysis["features"]["cust_count_1h"] == 3
    assert is_fraud == (probability >= 0.8)


@pytest.mark.django_db(transaction=True)
def test_the_seeds_predict_call_without_a_model_says_so():
    is_fraud, probability, analysis = asyncio.run(FraudDetector().predict({"amount": 10}))
    assert (is_fraud, probability, analysis["scored"]) == (False, 0.0, False)


def test_risk_assessment_gives_reasons_and_can_be_switched_off(settings):
    from apps.fraud.scoring import Transaction

    account = funded_account("100.00", owner_id="frank")
    night = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    transaction = Transaction("posting", "frank", account.public_id, "acc_new", 50000, "USD", night, "transfer",
                              country="NG", home_country="DE")
    assessment = risk_assess(customer_id="frank", transaction=transaction)
    assert assessment.level in ("low", "medium", "high") and assessment.model_version is None
    assert "between 00:00 and 06:00 UTC" in assessment.reasons
    assert "destination country differs from the customer's" in assessment.reasons
    settings.QENEX_FEATURES = {**settings.QENEX_FEATURES, "risk_assessment": False}
    assert risk_assess(customer_id="frank") is None


def test_inline_features_read_the_ledger_and_only_labels_older_than_the_delay(promoted):
    from datetime import timedelta

    from django.utils import timezone

    from apps.fraud import scoring
    from apps.fraud.features import INDEX
    from apps.ledger.checks import PostingSubject

    a, b = funded_account("100.00", owner_id="gina"), funded_account("0", owner_id="hank")
    for amount in ("1.00", "2.00", "3.00"):
        services.post_transfer(from_account=a.public_id, to_account=b.public_id, amount=amount, currency="USD")
    loaded = runtime.current()
    subject = PostingSubject(entry_type="TRANSFER", amount_minor=1200, currency="USD", debit_account=a.public_id,
                             credit_account=b.public_id)
    vector = scoring.vector_of(loaded, scoring.from_posting(subject))
    assert vector[INDEX["cust_count_1d"]] == 3 and vector[INDEX["cp_count_1d"]] == 3
    assert vector[INDEX["new_counterparty"]] == 0.0
    assert vector[INDEX["amount_to_avg_30d"]] == pytest.approx(12 / 2)
    now = timezone.now()
    for days in (10, 3):  # a card terminal's history is its labels: only the 10-day-old one is known yet
        FraudLabel.objects.create(customer_id="ivan", counterparty_id="m0042-t1",
                                  occurred_at=now - timedelta(days=days), is_fraud=True, decided_by="analyst")
    card = scoring.from_card(card_subject(a, at=now))
    assert scoring.vector_of(loaded, card)[INDEX["cp_known_frauds_30d"]] == 1


def test_a_payments_device_is_stored_and_new_device_and_new_payee_look_at_all_earlier_payments():
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from apps.fraud import scoring
    from apps.fraud.features import INDEX
    from apps.payments.models import PaymentOrder

    account = funded_account("1000.00", "EUR", owner_id="paula")
    long_ago = timezone.now() - timedelta(days=60)  # before the features' 30-day windows (and the label delay)
    earlier = payments.payment_send(
        request=replace(request_from(sct_body(account.public_id)), device_id="paula-phone", at=long_ago),
        debtor_account=account.public_id,
    ).payment
    assert earlier.created_at == long_ago
    client = make_client(["payments:write", "payments:read"], owners=["paula"])
    sent = client.post("/api/v1/payments/send", {**sct_body(account.public_id), "device_id": "paula-phone"},
                       format="json", HTTP_IDEMPOTENCY_KEY="dev-1")
    assert sent.status_code == 201, sent.json()
    known = PaymentOrder.objects.get(public_id=sent.json()["id"])
    assert known.device_id == "paula-phone" and known.device_id_bidx == earlier.device_id_bidx != ""
    with connection.cursor() as cursor:  # encrypted at rest, like the other identifiers of a payment
        cursor.execute("SELECT device_id FROM payments_paymentorder WHERE id = %s", [known.pk])
        assert "paula-phone" not in str(cursor.fetchone()[0])
    vector = scoring.vector_of(None, scoring.from_payment(known))
    assert (vector[INDEX["new_device"]], vector[INDEX["new_payee"]], vector[INDEX["new_counterparty"]]) == (0, 0, 1)

    other = payments.payment_send(
        request=replace(request_from(sct_body(account.public_id, receiver={
            "iban": "DE89370400440532013000", "name": "Someone Else", "country": "DE"})), device_id="stranger"),
        debtor_account=account.public_id,
    ).payment
    vector = scoring.vector_of(None, scoring.from_payment(other))
    assert (vector[INDEX["new_device"]], vector[INDEX["new_payee"]]) == (1, 1)

    too_long = client.post("/api/v1/payments/send", {**sct_body(account.public_id), "device_id": "x" * 129},
                           format="json", HTTP_IDEMPOTENCY_KEY="dev-2")
    assert too_long.status_code == 400 and too_long.json()["error"]["code"]
    with pytest.raises(InvalidInput):
        payments.payment_send(request=replace(request_from(sct_body(account.public_id)),
                                              at=timezone.now() + timedelta(hours=1)),
                              debtor_account=account.public_id)
    assert PaymentOrder.objects.count() == 3


def test_many_cards_at_one_terminal_reach_the_inline_features_of_the_next_card_there():
    """Issue 18's compromised terminal: the terminal's authorisations of the last day, across cards and customers,
    are its inline history (``cp_count_1d``, ``cp_customers_1d``), as the training stream sees them."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.cards.services import authorisation_decide
    from apps.cards.services.authorisations import AuthorisationRequest
    from apps.fraud import scoring
    from apps.fraud.features import INDEX
    from tests.cards.factories import issued_card

    now = timezone.now()
    stan = iter(range(100001, 100100))

    def swipe(pan: str, *, terminal: str, merchant: str = "m0042", minutes_ago: int) -> str:
        k = next(stan)
        at = now - timedelta(minutes=minutes_ago)
        return authorisation_decide(request=AuthorisationRequest(
            pan=pan, processing_code="000000", amount_minor=2500, currency="USD", stan=f"{k:06d}", rrn=f"{k:012d}",
            transmission_datetime=at.strftime("%m%d%H%M%S"), terminal_id=terminal, merchant_id=merchant,
            merchant_category="5411", merchant_country="US", acquirer_id="ACQ1", at=at,
        )).response_code

    shoppers = [issued_card(account=funded_account("100.00", owner_id=f"shopper-{i}")) for i in range(6)]
    for i, (_, pan) in enumerate(shoppers):
        assert swipe(pan, terminal="t1", minutes_ago=300 - 40 * i) == "00"
    assert swipe(shoppers[0][1], terminal="t1", minutes_ago=2 * 24 * 60) == "00"  # two days ago: 7 days, not 1
    card, pan = issued_card(account=funded_account("100.00", owner_id="next-shopper"))
    assert swipe(pan, terminal="t9", merchant="m0099", minutes_ago=90) == "00"  # the customer's own card history

    at_skimmer = scoring.vector_of(None, scoring.from_card(card_subject(card.account, owner_id="next-shopper",
                                                                        card_id=card.public_id, at=now)))
    assert (at_skimmer[INDEX["cp_count_1d"]], at_skimmer[INDEX["cp_customers_1d"]]) == (6, 6)
    assert at_skimmer[INDEX["cp_count_7d"]] == 7
    assert (at_skimmer[INDEX["cust_count_1d"]], at_skimmer[INDEX["new_payee"]]) == (1, 1)
    quiet = scoring.vector_of(None, scoring.from_card(card_subject(card.account, owner_id="next-shopper",
                                                                   terminal_id="t2", at=now)))
    assert (quiet[INDEX["cp_count_1d"]], quiet[INDEX["cp_customers_1d"]]) == (0, 0)
    again = scoring.vector_of(None, scoring.from_card(card_subject(card.account, owner_id="next-shopper",
                                                                   merchant_id="m0099", terminal_id="t9", at=now)))
    assert again[INDEX["new_payee"]] == 0  # paid at that terminal before


def _pay_from(owner: str, device: str, **receiver):
    account = funded_account("1000.00", "EUR", owner_id=owner)
    body = sct_body(account.public_id, **({"receiver": receiver} if receiver else {}))
    return payments.payment_send(request=replace(request_from(body), device_id=device),
                                 debtor_account=account.public_id).payment


def test_one_device_paying_for_many_customers_reaches_the_inline_features_as_in_training():
    """``device_customers_30d`` inline (payment orders of any customer from the device, by its blind index) is the
    number the training stream gives for the same payments."""
    from apps.fraud import scoring
    from apps.fraud.features import INDEX, FeatureStream, Txn

    for k in range(3):
        _pay_from(f"ring-{k}", "ring-phone")
    _pay_from("loner", "loner-phone")
    last = _pay_from("ring-3", "ring-phone")
    vector = scoring.vector_of(None, scoring.from_payment(last))
    assert (vector[INDEX["device_customers_30d"]], vector[INDEX["new_device"]]) == (3, 1)
    assert scoring.vector_of(None, scoring.from_payment(
        _pay_from("loner-2", "loner-phone")))[INDEX["device_customers_30d"]] == 1

    stream = FeatureStream(label_delay_seconds=scoring.DEFAULT_LABEL_DELAY_SECONDS)
    orders = sorted(PaymentOrder.objects.filter(device_id_bidx=last.device_id_bidx), key=lambda p: p.created_at)
    for order in orders:
        streamed = stream.push(Txn(ts=order.created_at.timestamp(), customer_id=order.debtor_account.owner_id,
                                   counterparty_id="bidx:" + order.creditor_identifier_bidx, amount=10.0,
                                   device_id=order.device_id_bidx), 0)
    assert streamed[INDEX["device_customers_30d"]] == vector[INDEX["device_customers_30d"]]


@pytest.mark.django_db(transaction=True)  # the call reads the database from a worker thread of its own
def test_the_seeds_predict_call_uses_the_device_id(promoted):
    known = _pay_from("dora", "dora-phone")
    for k in range(4):
        _pay_from(f"herd-{k}", "herder-phone")
    call = {"amount": 50, "customer_id": "dora", "counterparty_id": "acc_x", "channel": "transfer"}
    features = [asyncio.run(FraudDetector().predict({**call, **extra}))[2]["features"] for extra in (
        {"device_id": "dora-phone"}, {"device_id": "herder-phone"}, {})]
    assert known.device_id_bidx  # the call compares the device as payments store it
    assert (features[0]["new_device"], features[0]["device_customers_30d"]) == (0, 0)
    assert (features[1]["new_device"], features[1]["device_customers_30d"]) == (1, 4)
    assert (features[2]["new_device"], features[2]["device_customers_30d"]) == (0, 0)
