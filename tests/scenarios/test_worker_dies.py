"""Scenario 7, "A worker dies", as a worked example through real processes.

A customer sends a SEPA instant payment through the API (SCT Inst runs every day: no value date to wait for).
A real Celery worker marks it SUBMITTING, commits, and sends the pacs.008 to the network, which takes it and
holds the HTTP request open (the sandbox's ``stall`` outcome, through a relay that forces it for this one
submission). While the request is open the worker is killed with SIGKILL: no
clean-up, the task neither finished nor acknowledged, the payment left in SUBMITTING. A new worker is started;
beat finds the payment stale (``QENEX_PAYMENTS_STALE_SECONDS``) and hands it to the new worker, which sends the
same message under the same UETR. The network sees one payment (the second submission is a duplicate of the
first, the same network reference) and the ledger posts it once: one capture, one debit of the customer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from apps.ledger.models import JournalEntry
from apps.ledger.selectors import balance_get
from apps.payments.models import PaymentOrder
from apps.payments.selectors import payment_get
from tests.conftest import make_client
from tests.factories import funded_account
from tests.network_sandbox import NetworkSandbox
from tests.payments.gateway.network_link import NetworkLink
from tests.payments.gateway.payments import sct_body
from tests.payments.gateway.test_worker import _stop, _worker, finished

from .conftest import running_bank

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
STALL_SECONDS = 6


@pytest.fixture
def network(tmp_path_factory) -> Iterator[tuple[NetworkSandbox, NetworkLink]]:
    """The sandbox, and a relay in front of it through which the test forces the next submission's outcome."""
    workdir = tmp_path_factory.mktemp("worker-dies-network")
    with NetworkSandbox(workdir, rail="all", delay=0.1, args=("--stall-seconds", str(STALL_SECONDS))) as sandbox:
        link = NetworkLink(sandbox.url)
        yield sandbox, link
        link.close()


def test_a_worker_killed_mid_submission_sends_the_payment_once_and_posts_it_once(network, tmp_path, django_db_setup):
    sandbox, link = network
    with running_bank(
        tmp_path,
        network_url=link.url,
        QENEX_PAYMENTS_HTTP_TIMEOUT="30",  # longer than the stall: the worker is inside the call when it dies
        QENEX_PAYMENTS_STALE_SECONDS="2",
    ) as bank:
        customer = funded_account("500.00", "EUR", owner_id="cust-worker-dies")
        payer = make_client(["payments:write", "payments:read"], name="payer", owners=["cust-worker-dies"])

        # 1. The payment is sent; the network will take it and hold our request open.
        link.force_next("accept,stall")
        body = sct_body(customer.public_id, speed="instant")
        response = payer.post("/api/v1/payments/send", body, format="json", HTTP_IDEMPOTENCY_KEY="wd-1")
        assert response.status_code == 201, response.json()
        payment = payment_get(public_id=response.json()["id"])

        # 2. The worker is inside the network call (SUBMITTING committed) when it is killed with SIGKILL.
        deadline = time.monotonic() + 60
        while PaymentOrder.objects.get(pk=payment.pk).status != "SUBMITTING":
            log = bank["logs"]["worker"].read_text()
            assert time.monotonic() < deadline, (PaymentOrder.objects.get(pk=payment.pk).status, log[:3000])
            time.sleep(0.05)
        bank["worker"].kill()
        bank["worker"].wait()
        assert PaymentOrder.objects.get(pk=payment.pk).status == "SUBMITTING"  # nobody finished it

        # 3. A new worker; beat finds the stale payment and hands it over; it settles.
        successor = _worker(bank["queue"], bank["env"], tmp_path / "successor.log")
        try:
            payment = finished(payment, {"worker": tmp_path / "successor.log"}, timeout=90)
        finally:
            _stop(successor)
    assert payment.status == "SETTLED", payment.reason

    # 4. Sent once: every submission the network saw carries the one UETR; all but the first were duplicates,
    #    answered with the first one's network reference. (The new worker may find the payment settled already,
    #    from the answers to the killed worker's submission that beat read, and send nothing more.)
    submissions = sandbox.get(f"/_sandbox/seen?id={payment.uetr}")[1]["submissions"]
    assert submissions and [s["duplicate"] for s in submissions] == [False] + [True] * (len(submissions) - 1)
    assert len({s["network_reference"] for s in submissions}) == 1
    assert payment.attempts >= len(submissions)

    # 5. Posted once: one capture of the hold, the customer debited 150.00 once.
    assert JournalEntry.objects.filter(metadata__hold=payment.hold_id).count() == 1
    balance = balance_get(account=customer)
    assert (balance.ledger_minor, balance.held_minor) == (50000 - 15000, 0)
    history = payer.get(f"/api/v1/payments/{payment.public_id}").json()["history"]
    assert [e["to_status"] for e in history].count("SETTLED") == 1
