"""Where monitoring runs: after the posting commits (never inside it), on payments, and in the beat sweep."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.compliance.aml_models import MonitoringSweep
from apps.compliance.monitoring import services as monitoring
from apps.compliance.tasks import monitoring_sweep
from apps.ledger.services import post_deposit
from apps.payments import services as payment_services
from tests.factories import funded_account
from tests.payments.gateway.payments import request_from, sct_body

from .conftest import alerts_of, new_owner, open_account

pytestmark = pytest.mark.django_db


def test_nothing_is_evaluated_before_the_posting_commits(rules, django_capture_on_commit_callbacks):
    rules("cash_over_threshold")
    owner = new_owner()
    account = open_account(owner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post_deposit(to_account=account.public_id, amount="20000.00", currency="USD")
        assert alerts_of(owner) == []  # the posting's transaction is still open
    for callback in callbacks:
        callback()  # COMMIT
    assert len(alerts_of(owner)) == 1


def test_with_no_active_rule_the_hook_schedules_nothing(rules, django_capture_on_commit_callbacks, ledger):
    owner = new_owner()
    ledger.deposit(open_account(owner), "20000.00")
    assert monitoring.active_real_time_kinds() == (frozenset(), frozenset())
    assert alerts_of(owner) == []


def test_the_sweep_runs_windowed_rules_over_what_was_posted_since_its_last_run(rules, ledger):
    rules("velocity", schedule="windowed", window_minutes=60, max_count=2)
    owner = new_owner()
    account = open_account(owner)
    for _ in range(3):
        ledger.deposit(account, "10.00")
    assert alerts_of(owner) == []  # windowed: not after each posting
    until = timezone.now() + timezone.timedelta(seconds=1)
    assert monitoring.monitoring_sweep(until=until).movements == 3
    [alert] = alerts_of(owner, "velocity")
    assert alert.figures["count"] == 3
    assert monitoring.monitoring_sweep(until=until + timezone.timedelta(seconds=1)).movements == 0  # from the cursor
    assert MonitoringSweep.objects.count() == 2


def test_the_sweep_catches_up_what_the_real_time_hook_missed_and_raises_it_once(rules, ledger):
    rules("cash_over_threshold")
    owner = new_owner()
    account = open_account(owner)
    post_deposit(to_account=account.public_id, amount="20000.00", currency="USD")  # its after-commit hook never ran
    assert alerts_of(owner) == []
    assert monitoring_sweep() == 0  # beat's task leaves postings younger than its settle lag to the next run
    assert alerts_of(owner) == []
    monitoring.monitoring_sweep(until=timezone.now() + timezone.timedelta(seconds=1))
    assert len(alerts_of(owner)) == 1
    ledger.deposit(account, "5.00")  # real time again: same customer-day, same alert
    assert len(alerts_of(owner)) == 1


def test_a_payment_to_a_high_risk_country_raises_an_alert_after_the_order_commits(
    rules, django_capture_on_commit_callbacks
):
    rules("high_risk_country", countries=["IR"])
    account = funded_account("5000.00", "EUR", owner_id=new_owner())
    body = sct_body(account.public_id)
    body["receiver"] = {**body["receiver"], "country": "IR", "bic": "BKMTIRTHXXX", "name": "Shop"}
    body["speed"] = "standard"
    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_services.payment_send(request=request_from(body), debtor_account=account.public_id).payment
    [alert] = alerts_of(account.owner_id, "high_risk_country")
    assert alert.transactions == [payment.public_id] and "IR" in alert.figures["countries"]
