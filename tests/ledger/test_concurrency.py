"""Concurrent postings on PostgreSQL: many threads, each with its own connection, against real row locks."""

from __future__ import annotations

import random
import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum

from apps.accounts.models import Account
from apps.accounts.services import account_set_overdraft_limit
from apps.core.errors import DomainError
from apps.ledger import selectors, services
from apps.ledger.models import AccountBalance, JournalEntry, Posting
from apps.ledger.services import account_open

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

THREADS = 8
TRANSFERS_PER_THREAD = 40


@pytest.fixture(autouse=True)
def _pg(on_postgresql):
    pass


def _run_threads(worker, count: int) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def target(index: int) -> None:
        try:
            barrier.wait()
            worker(index)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_random_concurrent_transfers_conserve_money_and_respect_limits():
    accounts = [
        account_open(owner_id=f"c{i}", account_type="CHECKING", currency="USD", initial_balance="100.00")
        for i in range(5)
    ]
    account_set_overdraft_limit(public_id=accounts[0].public_id, limit="50.00")
    ids = [a.public_id for a in accounts]
    start_total = AccountBalance.objects.filter(account__in=accounts).aggregate(s=Sum("ledger_minor"))["s"]
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(index: int) -> None:
        rng = random.Random(index)
        for _ in range(TRANSFERS_PER_THREAD):
            src, dst = rng.sample(ids, 2)
            amount = Decimal(rng.randint(1, 4000)) / 100
            try:
                services.post_transfer(from_account=src, to_account=dst, amount=str(amount), currency="USD")
                result = "posted"
            except DomainError as exc:
                result = exc.code
            with lock:
                outcomes[result] += 1

    errors = _run_threads(worker, THREADS)
    assert errors == [], errors  # no deadlock or serialization error ever reached a caller
    assert set(outcomes) <= {"posted", "insufficient_funds"}
    assert outcomes["posted"] > THREADS * TRANSFERS_PER_THREAD // 4

    end_total = AccountBalance.objects.filter(account__in=accounts).aggregate(s=Sum("ledger_minor"))["s"]
    assert end_total == start_total
    for account in Account.objects.filter(pk__in=[a.pk for a in accounts]):
        bal = selectors.balance_get(account=account)
        assert bal.ledger_minor >= -account.overdraft_limit_minor
        assert bal.ledger_minor == selectors.postings_sum(account=account)
        last = Posting.objects.filter(account=account).order_by("-id").first()
        assert last.balance_after_minor == bal.ledger_minor
    transfers = JournalEntry.objects.filter(entry_type="TRANSFER", postings__account__in=accounts).distinct()
    assert transfers.count() == outcomes["posted"]


def test_same_idempotency_key_submitted_concurrently_posts_exactly_once():
    src = account_open(owner_id="a", account_type="CHECKING", currency="USD", initial_balance="1000.00")
    dst = account_open(owner_id="b", account_type="CHECKING", currency="USD")
    results = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        r = services.post_transfer(
            from_account=src.public_id,
            to_account=dst.public_id,
            amount="10.00",
            currency="USD",
            idempotency_key="race-1",
        )
        with lock:
            results.append((r.entry.public_id, r.replayed))

    errors = _run_threads(worker, THREADS)
    assert errors == []
    assert len({entry for entry, _ in results}) == 1
    assert sorted(replayed for _, replayed in results) == [False] + [True] * (THREADS - 1)
    assert selectors.balance_get(account=src).ledger_minor == 99000
    assert JournalEntry.objects.filter(entry_type="TRANSFER").count() == 1


def test_same_key_with_different_bodies_concurrently_posts_once_and_conflicts_the_rest():
    src = account_open(owner_id="a", account_type="CHECKING", currency="USD", initial_balance="1000.00")
    targets = [account_open(owner_id=f"t{i}", account_type="CHECKING", currency="USD") for i in range(4)]
    codes: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            services.post_transfer(
                from_account=src.public_id,
                to_account=targets[index].public_id,
                amount="1.00",
                currency="USD",
                idempotency_key="race-2",
            )
            code = "posted"
        except DomainError as exc:
            code = exc.code
        with lock:
            codes.append(code)

    errors = _run_threads(worker, 4)
    assert errors == []
    assert sorted(codes) == ["idempotency_key_reused"] * 3 + ["posted"]
    assert JournalEntry.objects.filter(entry_type="TRANSFER").count() == 1


def test_opposite_direction_transfers_do_not_deadlock():
    a = account_open(owner_id="a", account_type="CHECKING", currency="USD", initial_balance="500.00")
    b = account_open(owner_id="b", account_type="CHECKING", currency="USD", initial_balance="500.00")

    def worker(index: int) -> None:
        src, dst = (a, b) if index % 2 else (b, a)
        for _ in range(30):
            services.post_transfer(from_account=src.public_id, to_account=dst.public_id, amount="1.00", currency="USD")

    errors = _run_threads(worker, 6)
    assert errors == []
    assert selectors.balance_get(account=a).ledger_minor + selectors.balance_get(account=b).ledger_minor == 100000
    assert connection.vendor == "postgresql"


def test_concurrent_postings_through_a_hot_account_and_batches_stay_exact():
    """8 threads deposit and withdraw through the bank's hot CASH account while batches move money between the
    same customers: every balance (row + slots) equals its postings, USD sums to zero, no customer overdrawn."""
    from apps.accounts.models import AccountType
    from apps.ledger.services.gl import gl_account

    customers = [
        account_open(owner_id=f"hot{i}", account_type="CHECKING", currency="USD", initial_balance="50.00")
        for i in range(6)
    ]
    cash = gl_account(account_type=AccountType.CASH, currency="USD")
    services.account_set_hot(public_id=cash.public_id, slots=4)
    ids = [a.public_id for a in customers]
    refused = Counter()

    def worker(index: int) -> None:
        rng = random.Random(index)
        for n in range(25):
            key = f"hot-{index}-{n}"
            try:
                if index % 3 == 0:
                    entries = [
                        {
                            "type": "TRANSFER",
                            "from_account": a,
                            "to_account": b,
                            "amount": f"{rng.randint(1, 900) / 100}",
                            "currency": "USD",
                            "idempotency_key": f"{key}-{i}",
                        }
                        for i, (a, b) in enumerate(rng.sample(ids, 2) for _ in range(5))
                    ]
                    services.post_batch(entries=entries, mode="independent")
                elif index % 3 == 1:
                    services.post_deposit(
                        to_account=rng.choice(ids), amount="3.00", currency="USD", idempotency_key=key
                    )
                else:
                    services.post_withdrawal(
                        from_account=rng.choice(ids), amount="4.00", currency="USD", idempotency_key=key
                    )
            except DomainError as exc:
                refused[exc.code] += 1

    assert _run_threads(worker, THREADS) == []
    assert set(refused) <= {"insufficient_funds"}
    usd = 0
    for balance in AccountBalance.objects.filter(currency="USD"):
        postings = Posting.objects.filter(account_id=balance.account_id).aggregate(t=Sum("amount_minor"))["t"] or 0
        assert selectors.ledger_minor(balance.account_id) == postings
        usd += postings
    assert usd == 0
    assert all(selectors.balance_get(account=a).available_minor >= 0 for a in customers)
    # the hot account's postings went to its slots, not its balance row
    assert AccountBalance.objects.get(account=cash).hot_slots == 4
    assert Posting.objects.filter(account=cash, balance_after_minor__isnull=True).exists()
