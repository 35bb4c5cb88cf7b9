"""Scenario 4, "Cash over the threshold", as a worked example on PostgreSQL, Redis and a real Celery worker.

A customer deposits cash in three branches on one business day (each branch is its own API client, a teller's
till): 3,500 + 3,600 + 3,400 = 10,500.00, over ``compliance.aml_threshold`` (10,000). Each posting commits first;
its after-commit hook hands the transaction to the Celery worker, which evaluates the monitoring rules. Nothing
alerts at the first two deposits; the third raises the CTR alert, with the three deposits as its evidence, in a
case of the customer's own. At end of day the CTR task (beat runs it daily; here it is sent to the worker for today)
drafts the CTR, FinCEN CTRX XML valid against FinCEN's schema. An officer reviews it, a second officer approves it,
and it is marked filed with the BSA id of FinCEN's acknowledgement. Another customer deposits 9,500, 9,800 and
9,700 (each just under the threshold): the structuring rule raises its own alert with those deposits as evidence.
Every decision is in the audit trail, and ``verify_audit`` verifies the chain.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from lxml import etree

from apps.audit.models import AuditRecord
from apps.compliance.aml_models import AmlAlert, AmlCase
from apps.compliance.reports import fincen
from apps.ledger.services import account_open
from qenex.celery import app
from tests.conftest import make_client

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def worker(on_postgresql):
    """A Celery worker process on its own queue, and this process sending tasks to it (not running them inline)."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: set REDIS_URL")
    db = connection.settings_dict
    queue = f"test-scenario4-{os.getpid()}"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "QENEX_ENV": "development",
        "QENEX_CELERY_EAGER": "false",
        # The same var/ as this process: the development KEK there decrypts the account names the CTR states.
        "DJANGO_SETTINGS_MODULE": "qenex.settings",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "qenex",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "-l",
            "warning",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    eager, default_queue = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    yield queue
    app.conf.task_always_eager, app.conf.task_default_queue = eager, default_queue
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_for(read, *, timeout: float = 90.0):
    """Poll ``read()`` until it returns something truthy (the worker commits on its own connection)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("the worker did not get there in time")


def drained(queue: str) -> None:
    """Return once the worker has run every task queued before this one (a solo worker takes them in order)."""
    barrier = app.send_task("apps.compliance.tasks.monitor_transactions", kwargs={"transaction_ids": []}, queue=queue)
    assert barrier.get(timeout=60) == 0


def cash_deposit(branch, account, amount: str):
    response = branch.post(
        "/api/v1/transactions",
        {"type": "DEPOSIT", "to_account": account.public_id, "amount": amount, "currency": "USD"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def alerts(owner_id: str, kind: str) -> list[AmlAlert]:
    return list(AmlAlert.objects.filter(owner_id=owner_id, kind=kind).order_by("id"))


def test_three_branch_deposits_over_the_threshold_make_an_alert_a_ctr_and_a_filing(worker):
    # A transactional test database is emptied with TRUNCATE after each such test, data migrations' rows included:
    # write the default rule set (migration compliance.0003) again, as a fresh database has it.
    from django.apps import apps as django_apps

    from apps.compliance.monitoring.defaults import create_default_rules

    create_default_rules(django_apps, None)
    branches = [make_client(["transactions:write"], f"branch-{n}") for n in range(1, 7)]
    officer_1, officer_2 = (
        make_client(["compliance:read", "compliance:write"], "aml-officer-1"),
        make_client(["compliance:read", "compliance:write"], "aml-officer-2"),
    )
    customer = "cust-scenario-4"
    checking = account_open(owner_id=customer, account_type="CHECKING", currency="USD", name="Maria Lopez")
    savings = account_open(owner_id=customer, account_type="SAVINGS", currency="USD", name="Maria Lopez")

    # Morning, branch 1 and branch 2: 7,100.00 in all, under the threshold; the worker finds nothing.
    first = cash_deposit(branches[0], checking, "3500.00")
    second = cash_deposit(branches[1], savings, "3600.00")
    drained(worker)
    assert alerts(customer, "cash_over_threshold") == []

    # Afternoon, branch 3: 10,500.00 in the day over both accounts -> the alert, raised by the worker.
    third = cash_deposit(branches[2], checking, "3400.00")
    [alert] = wait_for(lambda: alerts(customer, "cash_over_threshold"))
    assert alert.transactions == [first, second, third]
    assert alert.figures["total"] == "10500.00" and alert.figures["threshold"] == "10000.00"
    assert alert.rule.code == "ctr-cash" and alert.rule_version.version == 1  # the default rule set
    case = AmlCase.objects.get(owner_id=customer)
    assert alert.case == case and case.status == "OPEN"

    # End of day: the CTR task (beat's daily job) drafts the CTR, in the worker.
    assert settings.CELERY_BEAT_SCHEDULE["aml-generate-ctrs"]["task"] == "apps.compliance.tasks.generate_ctrs"
    result = app.send_task(
        "apps.compliance.tasks.generate_ctrs", kwargs={"day": timezone.localdate().isoformat()}, queue=worker
    )
    assert result.get(timeout=60) == 1
    [ctr] = officer_1.get("/api/v1/compliance/reports", {"type": "CTR", "owner_id": customer}).json()["results"]
    xml = officer_1.get(f"/api/v1/compliance/reports/{ctr['id']}/xml").content
    fincen.validate("CTRX", xml)
    document = etree.fromstring(xml)
    assert document.findtext(".//{www.fincen.gov/base}TotalCashInReceiveAmountText") == "10500"
    assert document.findtext(".//{www.fincen.gov/base}TransactionDateText") == timezone.localdate().strftime("%Y%m%d")

    # Review, approval by a second officer, filing with the BSA id.
    assert officer_1.post(f"/api/v1/compliance/reports/{ctr['id']}/review").json()["status"] == "REVIEWED"
    assert officer_1.post(f"/api/v1/compliance/reports/{ctr['id']}/approve").status_code == 403  # four eyes
    assert officer_2.post(f"/api/v1/compliance/reports/{ctr['id']}/approve").json()["status"] == "APPROVED"
    filed = officer_1.post(
        f"/api/v1/compliance/reports/{ctr['id']}/file", {"bsa_id": "31000123450001"}, format="json"
    ).json()
    assert (filed["status"], filed["bsa_id"]) == ("FILED", "31000123450001")

    # Structuring: another customer, three deposits each just under the threshold, at three more branches.
    other = "cust-scenario-4-structuring"
    account = account_open(owner_id=other, account_type="CHECKING", currency="USD", name="Tom Reed")
    deposits = [
        cash_deposit(branch, account, amount)
        for branch, amount in zip(branches[3:], ("9500.00", "9800.00", "9700.00"), strict=True)
    ]
    [structuring] = wait_for(lambda: alerts(other, "structuring"))
    assert structuring.transactions == deposits
    assert structuring.figures["amounts"] == ["9500.00", "9800.00", "9700.00"]

    actions = set(AuditRecord.objects.values_list("action", flat=True))
    assert {
        "aml.alert_raised",
        "aml.report_generated",
        "aml.report_reviewed",
        "aml.report_approved",
        "aml.report_filed",
    } <= actions
    call_command("verify_audit")  # raises CommandError if the chain does not verify
