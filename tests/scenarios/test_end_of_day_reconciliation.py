"""Scenario 9, end-of-day reconciliation, as a worked example through real processes.

During the day a customer sends three SEPA payments through the API. A real Celery worker submits them to a
real network sandbox process and real beat reads the answers, so each one settles: its hold is captured to
the EUR NOSTRO. At the end of the day the network (the sandbox, playing the correspondent) sends the nostro's
statement: a camt.053 (and, the second time, an MT940) with one debit per payment it settled, plus a fee
line QENEX knows nothing about, valued three days ago. An operator imports it through the API: every line
matches its payment except the fee, which is the one break, three days old; the closing balance agrees with
the ledger's balance of the nostro at the cut-off once that break is accounted for.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.accounts.models import AccountType
from apps.accounts.selectors import internal_account_find
from apps.ledger.selectors import balance_as_of
from apps.payments.selectors import payment_get
from qenex.celery import app
from tests.conftest import make_client
from tests.factories import funded_account
from tests.network_sandbox import NetworkSandbox
from tests.payments.gateway.payments import sct_body
from tests.payments.gateway.test_worker import _beat, _env, _worker, finished, stop_and_forget_feeds

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(scope="module")
def bank(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[NetworkSandbox]:
    """The network sandbox, a Celery worker submitting payments and beat reading the answers feed."""
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)")
    workdir = tmp_path_factory.mktemp("eod-reconciliation")
    with NetworkSandbox(workdir, rail="all", delay=0.1) as sandbox:
        queue = f"test-eod-{os.getpid()}"
        env = _env(queue, sandbox.url)
        worker, beat = _worker(queue, env, workdir / "worker.log"), _beat(env, workdir)
        app.conf.task_always_eager, app.conf.task_default_queue = False, queue
        urls, settings.QENEX_PAYMENTS_NETWORK_URLS = settings.QENEX_PAYMENTS_NETWORK_URLS, f"*={sandbox.url}"
        sandbox.logs = {"worker": workdir / "worker.log", "beat": workdir / "beat.log"}
        try:
            yield sandbox
        finally:
            settings.QENEX_PAYMENTS_NETWORK_URLS = urls
            app.conf.task_always_eager, app.conf.task_default_queue = True, "celery"
            stop_and_forget_feeds(django_db_blocker, beat, worker)


def end_of_day_statement(sandbox: NetworkSandbox, output: str, fee_value_date) -> str:
    url = f"{sandbox.url}/_sandbox/statement?currency=EUR&format={output}&extra=12.50:D:{fee_value_date.isoformat()}"
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - the test's own sandbox
        return response.read().decode()


def test_the_nostro_statement_matches_every_payment_but_one_fee_and_the_balance_agrees(bank):
    # 1. The day's payments, sent by a customer through the API, settle through worker, network and beat.
    customer = funded_account("1000.00", "EUR", owner_id="eod-customer")
    payer = make_client(["payments:write", "payments:read"], name="payer", owners=["eod-customer"])
    sent = []
    for number, amount in enumerate(("150.00", "75.25", "20.00"), start=1):
        body = sct_body(customer.public_id, amount=amount, reference=f"EOD-{number}")
        response = payer.post("/api/v1/payments/send", body, format="json", HTTP_IDEMPOTENCY_KEY=body["reference"])
        assert response.status_code == 201, response.json()
        sent.append(response.json()["id"])
    payments = [finished(payment_get(public_id=payment_id), bank.logs) for payment_id in sent]
    assert [p.status for p in payments] == ["SETTLED"] * 3, [p.reason for p in payments]
    nostro = internal_account_find(account_type=AccountType.NOSTRO, currency="EUR")
    ledger = balance_as_of(account=nostro, at=timezone.now())
    assert ledger == sum(p.amount_minor for p in payments) == 24525

    # 2. End of day: the correspondent's statement of the nostro, with a fee valued three days ago. It comes
    #    as a camt.053 and, from the same network, as an MT940: both reconcile the same way.
    operator = make_client(["reconciliation:read", "reconciliation:write"], name="ops")
    fee_day = timezone.now().date() - timedelta(days=3)
    for output in ("camt053", "mt940"):
        statement_text = end_of_day_statement(bank, output, fee_day)

        # 3. An operator imports it; the import reconciles it at once.
        response = operator.post("/api/v1/reconciliation/statements", {"content": statement_text}, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["message_type"] == {"camt053": "camt.053.001.08", "mt940": "MT940"}[output]
        (run,) = response.json()["runs"]
        assert (run["line_count"], run["matched_count"], run["break_count"]) == (4, 3, 1), output

        # 4. The one break is the fee, with its age.
        detail = operator.get(f"/api/v1/reconciliation/runs/{run['id']}").json()
        (fee,) = detail["breaks"]
        assert (fee["kind"], fee["amount"], fee["age_days"]) == ("unmatched_statement_line", "-12.50", 3)
        assert detail["ageing"]["2-5"] == 1

        # 5. The closing balance agrees with the ledger's balance of the nostro at the cut-off: the statement
        #    shows 245.25 paid out and the fee; the ledger has the payments; the fee break explains the rest.
        assert (detail["statement_closing_balance"], detail["ledger_balance"]) == ("-257.75", "245.25")
        assert (detail["explained_by_breaks"], detail["balance_agrees"]) == ("12.50", True)
