"""Scenario 6, "ACH day", as a worked example through real processes.

**The day.** Six US customers send thirty ACH credits (five each, 0.25 USD fee each) through the API. Routing picks
ACH (USD to an ABA routing number, ``standard``); each order is checked and its amount plus fee held on the
customer's account. ACH does not go out payment by payment: the orders wait in QUEUED for the cut-off.

**The cut-off.** The bank's processes come up: a Celery worker, beat and the network sandbox (the ACH operator).
Beat's ``ach_cutoff`` (``QENEX_PAYMENTS_ACH_CUTOFFS``; here ``*``, "at the next tick", standing for 16:30 New York)
writes every queued entry into ONE NACHA file and the worker sends it. The operator acknowledges the whole file
(a JSON acknowledgement: 30 entries, the credit total); beat reads it and every entry settles in one transaction
through the ledger's batch posting: each hold captured to the USD NOSTRO, each fee to FEE_INCOME.

**The next day.** The receiving banks answer about three entries, told to the sandbox over HTTP
(``POST /_sandbox/ach/answer``, by trace number): one comes back R01 (insufficient funds), one R03 (no account),
and one gets a NOC C01 (the account number is wrong; the right one is 123). The sandbox sends a return file with
the two returns and a COR file with the change notice; beat reads them from the inbound feed:

- each return reverses exactly its payment's capture (a REVERSAL of that entry): the two customers get their
  amounts back to the cent, the NOSTRO gives them back, every other balance is untouched, the fees stay posted;
- the NOC corrects the stored counterparty (a ``CounterpartyCorrection``): the next payment to that account
  number goes to account 123;
- the ledger's invariants hold (``apps.ledger.invariants``), every entry with its audit record;
- an operations officer, signed in to the portal (password and authenticator code), finds the two returns under
  the RETURNED filter, each with its reason code and return message, and the NOC on the corrected payment's page.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.test import Client

from apps.accounts.models import AccountType
from apps.accounts.selectors import internal_account_find
from apps.audit.models import AuditRecord
from apps.ledger.invariants import ledger_violations
from apps.ledger.models import AccountBalance, EntryType, JournalEntry
from apps.payments.models import AchFile, CounterpartyCorrection, PaymentOrder
from apps.payments.states import PaymentStatus
from tests.conftest import make_client
from tests.factories import funded_account
from tests.payments.gateway.payments import CHASE_ABA
from tests.staff import make_staff, otp_login

from .conftest import running_bank

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
S = PaymentStatus
FEE = "ach=0.25"
CUSTOMERS = 6
PER_CUSTOMER = 5


@pytest.fixture
def day(transactional_db, settings) -> dict:
    """Thirty ACH orders through the API, before the cut-off (the bank's processes are not running yet)."""
    settings.QENEX_PAYMENTS_FEES = FEE  # priced when the order is made, in this (the API's) process
    accounts = [
        funded_account("2000.00", "USD", owner_id=f"cust-ach-{n}", name=f"Customer {n}") for n in range(CUSTOMERS)
    ]
    owners = [account.owner_id for account in accounts]
    api = make_client(["payments:write", "payments:read"], name="ach-day", owners=owners)
    orders = []
    for number in range(CUSTOMERS * PER_CUSTOMER):
        account = accounts[number % CUSTOMERS]
        body = {
            "sender": {"account": account.public_id, "name": f"Customer {number % CUSTOMERS}", "country": "US"},
            "receiver": {"aba": CHASE_ABA, "account": f"4400{number:04d}", "name": f"Payee {number}", "country": "US"},
            "amount": f"{10 + number}.{number:02d}",  # a different amount each: 10.00, 11.01, ... 39.29
            "currency": "USD",
            "reference": f"ACHDAY-{number:02d}",
            "speed": "standard",
        }
        response = api.post("/api/v1/payments/send", body, format="json", HTTP_IDEMPOTENCY_KEY=f"ach-day-{number}")
        assert response.status_code == 201, response.json()
        orders.append(response.json())
    assert not AchFile.objects.exists()  # nothing leaves before the cut-off
    return {"accounts": accounts, "api": api, "orders": orders}


@pytest.fixture
def bank(day, tmp_path) -> Iterator[dict]:
    # The inbound feed (returns, NOCs) is read every 0.3 s, like the answers feed.
    with running_bank(tmp_path, QENEX_PAYMENTS_FEES=FEE, QENEX_INBOUND_POLL_SECONDS="0.3") as running:
        yield running


def minor(amount: str) -> int:
    return int(Decimal(amount) * 100)


def balances() -> dict[int, int]:
    """Every account's ledger balance, in minor units."""
    return dict(AccountBalance.objects.values_list("account_id", "ledger_minor"))


def wait_until(condition, bank: dict, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    log = bank["logs"]["worker"].read_text()[-3000:]
    raise AssertionError(f"{what} not reached after {timeout}s; worker log:\n{log}")


def test_an_ach_day_one_file_at_the_cutoff_two_returns_and_a_noc_the_next_day(day, bank):
    orders, accounts = day["orders"], day["accounts"]
    ids = [order["id"] for order in orders]

    # 1. The day: thirty ACH orders, funds and fees held, all waiting for the cut-off; no file yet.
    assert {(o["rail"], o["status"], o["fee"]) for o in orders} == {("ach", "QUEUED", "0.25")}

    # 2. The cut-off: one file with every entry, acknowledged, every entry settled.
    payments = wait_until(
        lambda: (
            (ps := list(PaymentOrder.objects.filter(public_id__in=ids)))
            and all(p.status == S.SETTLED for p in ps)
            and ps
        ),
        bank,
        "all thirty SETTLED",
    )
    [ach_file] = AchFile.objects.all()
    total = sum(minor(o["amount"]) for o in orders)
    assert (ach_file.status, ach_file.entry_count, ach_file.total_credit_minor) == ("ACCEPTED", 30, total)
    assert {p.ach_file_id for p in payments} == {ach_file.pk}
    assert len({p.trace_number for p in payments}) == 30
    assert bank["sandbox"].seen(ach_file.network_key) == 1  # the operator got the file once
    [ack] = [a for a in ach_file.answers.all() if a.kind == "file_ack"]
    assert ack.status == "ACCEPTED"
    # The entries posted through batch posting: one audited batch holding the thirty captures.
    [batch] = AuditRecord.objects.filter(
        action="ledger.batch_posted", after__reference=f"ach_file:{ach_file.public_id}"
    )
    posted = {row[0] for row in batch.after["transactions"]}
    assert posted == {p.capture_transaction_id for p in payments} | {p.fee_transaction_id for p in payments}
    assert len(posted) == 60  # thirty captures, thirty fees

    nostro = internal_account_find(account_type=AccountType.NOSTRO, currency="USD")
    fee_income = internal_account_find(account_type=AccountType.FEE_INCOME, currency="USD")
    settled = balances()
    for account in accounts:
        mine = [o for o in orders if o["sender_account"] == account.public_id]
        assert settled[account.pk] == 200000 - sum(minor(o["amount"]) + 25 for o in mine)
    assert settled[nostro.pk] == total and settled[fee_income.pk] == 30 * 25

    # 3. The next day: the receiving banks return two entries and correct a third.
    by_id = {p.public_id: p for p in payments}
    r01, r03, noc = by_id[ids[3]], by_id[ids[17]], by_id[ids[25]]
    given = bank["sandbox"].answer(
        {"trace_number": r01.trace_number, "return": "R01"},
        {"trace_number": r03.trace_number, "return": "R03"},
        {"trace_number": noc.trace_number, "noc": "C01", "corrected_data": "123"},
    )
    assert {a["status"] for a in given} == {"answered"}  # the entries had settled: the files are on their way

    def answered():
        r01.refresh_from_db(), r03.refresh_from_db()
        corrected = CounterpartyCorrection.objects.filter(payment=noc).first()
        return r01.status == r03.status == S.RETURNED and corrected

    correction = wait_until(answered, bank, "two returns and the NOC applied")

    # 4. The returns reversed exactly their captures; nothing else moved; the fees stay.
    for payment, code in ((r01, "R01"), (r03, "R03")):
        assert payment.reason_code == code
        reversal = JournalEntry.objects.get(public_id=payment.return_transaction_id)
        capture = JournalEntry.objects.get(public_id=payment.capture_transaction_id)
        assert reversal.entry_type == EntryType.REVERSAL and reversal.reverses_id == capture.pk
        assert sorted((p.account_id, -p.amount_minor) for p in reversal.postings.all()) == sorted(
            (p.account_id, p.amount_minor) for p in capture.postings.all()
        )
    expected = dict(settled)
    for payment in (r01, r03):
        expected[payment.debtor_account_id] += payment.amount_minor
        expected[nostro.pk] -= payment.amount_minor
    assert balances() == expected  # to the minor unit, every account
    assert PaymentOrder.objects.filter(public_id__in=ids, status=S.SETTLED).count() == 28
    assert ledger_violations(with_audit=True) == {}

    # 5. The NOC corrected the stored counterparty; the next payment to it goes to account 123.
    noc.refresh_from_db()
    assert (noc.status, noc.creditor_identifier) == (S.SETTLED, "123")
    assert (correction.change_code, correction.corrected_identifier, correction.creditor_identifier) == (
        "C01",
        "123",
        "44000025",
    )
    again = day["api"].post(
        "/api/v1/payments/send",
        {**_body_of(orders[25], accounts), "reference": "ACHDAY-NEXT"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="ach-day-next",
    )
    assert again.status_code == 201, again.json()
    assert PaymentOrder.objects.get(public_id=again.json()["id"]).creditor_identifier == "123"
    assert any("NOC C01" in reason for reason in again.json()["routing_reasons"])

    # 6. The portal, as an operations officer: the returns under RETURNED, the NOC on its payment.
    officer = otp_login(Client(), make_staff("ops", "operations"))
    returned = officer.get("/payments/", {"status": "RETURNED", "rail": "ach"}).content.decode()
    assert r01.public_id in returned and r03.public_id in returned
    assert all(public_id not in returned for public_id in ids if public_id not in (r01.public_id, r03.public_id))
    page = officer.get(f"/payments/{r01.public_id}/").content.decode()
    assert "RETURNED" in page and "R01" in page and "ACH return" in page
    page = officer.get(f"/payments/{noc.public_id}/").content.decode()
    assert "ACH notification of change · CORRECTED (C01)" in page  # the COR entry, among the payment's messages
    assert "Payee 25 · 123" in page  # the counterparty as the NOC corrected it


def _body_of(order: dict, accounts) -> dict:
    """The API body of ``order`` again (what the customer sends for the next payment to the same payee)."""
    return {
        "sender": {"account": order["sender_account"], "name": "Customer", "country": "US"},
        "receiver": {"aba": CHASE_ABA, "account": "44000025", "name": "Payee 25", "country": "US"},
        "amount": "5.00",
        "currency": "USD",
        "speed": "standard",
    }
