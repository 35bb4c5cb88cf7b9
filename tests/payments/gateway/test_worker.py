"""End to end through real processes: this process sends payments (API services, committed), a real Celery
worker submits them over HTTP to a real network sandbox process, real beat reads the answers feed, and the
ledger captures or voids the hold. PostgreSQL and Redis are the real ones."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from apps.accounts.models import AccountType
from apps.accounts.selectors import internal_account_find
from apps.ledger.models import Hold, HoldStatus, JournalEntry
from apps.ledger.selectors import balance_get
from apps.payments import services
from apps.payments.models import PaymentOrder
from apps.payments.states import FINAL, PaymentStatus
from qenex.celery import app
from tests.factories import funded_account

from .conftest import STALL_SECONDS
from .payments import ach_body, request_from, sct_body, seed_body

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
S = PaymentStatus


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = open(log, "wb")  # noqa: SIM115 - the process owns it until it ends
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "qenex", *args],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def stop_and_forget_feeds(db_blocker, *processes: subprocess.Popen) -> None:
    """Stop a module's worker and beat, then delete the feed cursors they recorded.

    Processes a module-scoped fixture starts outlive every test's flush: a beat tick after the module's last flush
    records how far it read *this* module's network's feeds (AckCursor, InboundCursor). Left behind, those positions
    are the next module's starting point on its own network, a sandbox numbering its feeds from 1, whose first
    answers its beat then skips (an ACH file acknowledged at cursor 3 while the cursor says 4: never settled).
    """
    from apps.inbound.models import InboundCursor
    from apps.payments.models import AckCursor

    for process in processes:
        process.terminate()  # all at once: each takes a moment to shut down
    for process in processes:
        _stop(process)
    with db_blocker.unblock():
        AckCursor.objects.all().delete()
        InboundCursor.objects.all().delete()


def _env(queue: str, network_url: str, **overrides: str) -> dict[str, str]:
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "qenex.settings",
        "QENEX_ENV": "test",
        "QENEX_VAR_DIR": str(settings.VAR_DIR),  # the same data keys as this process, to read what it encrypted
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "QENEX_CELERY_EAGER": "false",
        "QENEX_CELERY_QUEUE": queue,
        "QENEX_PAYMENTS_NETWORK_URLS": f"*={network_url}",
        "QENEX_PAYMENTS_HTTP_TIMEOUT": str(STALL_SECONDS / 3),
        "QENEX_PAYMENTS_RETRY_SECONDS": "0.5",
        "QENEX_PAYMENTS_POLL_SECONDS": "0.3",
        "QENEX_PAYMENTS_ACH_CUTOFFS": "*",  # a file at every beat tick
        # The session's sandbox also holds other tests' inbound messages: this module's beat must not credit them.
        "QENEX_INBOUND_POLL_SECONDS": "86400",
        **overrides,
    }


def _worker(queue: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    args = ["worker", "--pool=solo", "-Q", queue, "-l", "info", "--without-heartbeat", "--without-gossip"]
    return _start([*args, "--without-mingle"], env, log)


def _beat(env: dict[str, str], workdir: Path) -> subprocess.Popen:
    args = ["beat", "-l", "info", "--scheduler", "celery.beat:PersistentScheduler", "-s", str(workdir / "beat")]
    return _start([*args, "--max-interval", "1"], env, workdir / "beat.log")


@pytest.fixture(scope="module")
def processes(django_db_setup, django_db_blocker, session_link, tmp_path_factory) -> Iterator[dict]:
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)")
    workdir = tmp_path_factory.mktemp("payments-worker")
    queue = f"test-payments-{os.getpid()}"
    env = _env(queue, session_link.url)
    worker, beat = _worker(queue, env, workdir / "worker.log"), _beat(env, workdir)
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    urls, settings.QENEX_PAYMENTS_NETWORK_URLS = (
        settings.QENEX_PAYMENTS_NETWORK_URLS,
        env["QENEX_PAYMENTS_NETWORK_URLS"],
    )
    yield {"worker": workdir / "worker.log", "beat": workdir / "beat.log", "queue": queue}
    settings.QENEX_PAYMENTS_NETWORK_URLS = urls
    app.conf.task_always_eager, app.conf.task_default_queue = True, "celery"
    stop_and_forget_feeds(django_db_blocker, beat, worker)


def send(body, account) -> PaymentOrder:
    return services.payment_send(request=request_from(body), debtor_account=account.public_id).payment


def finished(payment: PaymentOrder, logs: dict, timeout: float = 90.0) -> PaymentOrder:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        payment.refresh_from_db()
        if payment.status in FINAL:
            return payment
        time.sleep(0.2)
    raise AssertionError(f"{payment} not final after {timeout}s; worker log:\n{logs['worker'].read_text()[-3000:]}")


def nostro_minor(currency: str) -> int:
    account = internal_account_find(account_type=AccountType.NOSTRO, currency=currency)
    return balance_get(account=account).ledger_minor if account else 0


def test_sct_and_mt103_settle_through_worker_beat_and_sandbox(processes):
    eur, usd = funded_account("500.00", "EUR"), funded_account("60000.00", "USD")
    before = {"EUR": nostro_minor("EUR"), "USD": nostro_minor("USD")}
    sct, mt103 = send(sct_body(eur.public_id), eur), send(seed_body(usd.public_id), usd)
    for payment, account, paid, currency in ((sct, eur, 15000, "EUR"), (mt103, usd, 5_000_000, "USD")):
        payment = finished(payment, processes)
        assert payment.status == S.SETTLED, payment.reason
        entry = JournalEntry.objects.get(public_id=payment.capture_transaction_id)
        legs = sorted((p.account.public_id, p.amount_minor) for p in entry.postings.select_related("account"))
        nostro = internal_account_find(account_type=AccountType.NOSTRO, currency=currency)
        assert legs == sorted([(account.public_id, -paid), (nostro.public_id, paid)])
        balance = balance_get(account=account)
        assert (balance.held_minor, balance.ledger_minor) == (0, {"EUR": 50000, "USD": 6_000_000}[currency] - paid)
    assert nostro_minor("EUR") - before["EUR"] == 15000 and nostro_minor("USD") - before["USD"] == 5_000_000


def test_ach_payments_go_out_in_a_file_at_the_cutoff_and_settle_through_beat(processes):
    accounts = [funded_account("1000.00", "USD") for _ in range(3)]
    before = nostro_minor("USD")
    payments = [send(ach_body(a.public_id, amount=f"{10 * (i + 1)}.00"), a) for i, a in enumerate(accounts)]
    payments = [finished(p, processes) for p in payments]
    assert {p.status for p in payments} == {S.SETTLED}, [p.reason for p in payments]
    assert all(p.ach_file_id and p.trace_number for p in payments)
    assert nostro_minor("USD") - before == 6000
    for payment, account in zip(payments, accounts, strict=True):
        assert balance_get(account=account).ledger_minor == 100000 - payment.amount_minor


def test_a_forced_rejection_releases_the_hold(processes, session_link):
    account = funded_account("500.00", "EUR")
    session_link.force_next("reject:AM04")
    payment = finished(send(sct_body(account.public_id), account), processes)
    assert (payment.status, payment.reason_code) == (S.REJECTED, "AM04")
    assert Hold.objects.get(public_id=payment.hold_id).status == HoldStatus.VOIDED
    assert balance_get(account=account).available_minor == 50000


def test_a_timeout_is_retried_and_the_network_sees_the_payment_once(processes, session_link, gateway_sandbox):
    account = funded_account("500.00", "EUR")
    session_link.force_next("accept,stall")
    payment = finished(send(sct_body(account.public_id), account), processes)
    assert payment.status == S.SETTLED
    # The first attempt timed out and a resend was scheduled. Either the answers to the first attempt came first
    # (beat matched them; the resend found the payment settled and sent nothing) or the resend reached the
    # network, which knew the UETR: in both cases the network has one payment and the ledger one capture.
    assert payment.events.filter(to_status=S.QUEUED, reason_code="retry").exists()
    seen = gateway_sandbox.get(f"/_sandbox/seen?id={payment.uetr}")[1]["submissions"]
    assert [s["duplicate"] for s in seen] == [False] + [True] * (len(seen) - 1)
    assert len(seen) == payment.attempts
    assert len({s["network_reference"] for s in seen}) == 1
    assert JournalEntry.objects.filter(metadata__hold=payment.hold_id).count() == 1
    assert balance_get(account=account).ledger_minor == 50000 - 15000


def test_a_worker_killed_mid_submission_is_replaced_and_the_payment_settles_once(
    processes, session_link, gateway_sandbox, tmp_path
):
    """kill -9 the worker while the network holds its HTTP request; a new worker and beat finish the payment."""
    queue = f"{processes['queue']}-crash"
    env = _env(queue, session_link.url, QENEX_PAYMENTS_HTTP_TIMEOUT="30", QENEX_PAYMENTS_STALE_SECONDS="2")
    doomed, beat = _worker(queue, env, tmp_path / "doomed.log"), _beat(env, tmp_path)
    app.conf.task_default_queue = queue
    try:
        account = funded_account("500.00", "EUR")
        session_link.force_next("accept,stall")  # the network takes it and holds our request for a while
        payment = send(sct_body(account.public_id), account)
        deadline = time.monotonic() + 60
        while PaymentOrder.objects.get(pk=payment.pk).status != S.SUBMITTING:
            assert time.monotonic() < deadline, (tmp_path / "doomed.log").read_text()[-3000:]
            time.sleep(0.05)
        doomed.kill()  # SIGKILL: no clean-up, the task is neither finished nor acknowledged
        doomed.wait()
        successor = _worker(queue, env, tmp_path / "successor.log")
        try:
            payment = finished(payment, {"worker": tmp_path / "successor.log"})
        finally:
            _stop(successor)
    finally:
        app.conf.task_default_queue = processes["queue"]
        _stop(beat)
        if doomed.poll() is None:
            _stop(doomed)
    assert payment.status == S.SETTLED
    seen = gateway_sandbox.get(f"/_sandbox/seen?id={payment.uetr}")[1]["submissions"]
    assert seen and [s["duplicate"] for s in seen] == [False] + [True] * (len(seen) - 1)
    assert len({s["network_reference"] for s in seen}) == 1
    assert JournalEntry.objects.filter(metadata__hold=payment.hold_id).count() == 1
    assert balance_get(account=account).ledger_minor == 50000 - 15000

