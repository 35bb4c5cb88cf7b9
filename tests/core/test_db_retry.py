"""Deadlocks and serialization failures are retried inside the service, never shown to the caller.

The deadlock here is a real one: two threads, each with its own PostgreSQL connection, lock the same two
rows in opposite orders; PostgreSQL detects the cycle and aborts one transaction, which must then run again.
"""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, OperationalError, connection, connections, transaction

from apps.core.db import is_retryable, retry_on_conflict
from tests.factories import funded_account

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _pg(on_postgresql):
    pass


def _lock_in_order(first: int, second: int, barrier: threading.Barrier, attempts: list[int]) -> str:
    attempts.append(1)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL deadlock_timeout = '100ms'")
        cursor.execute("SELECT id FROM accounts_account WHERE id = %s FOR UPDATE", [first])
        if len(attempts) == 1:
            barrier.wait(timeout=10)  # both threads hold their first row before asking for the second
        cursor.execute("SELECT id FROM accounts_account WHERE id = %s FOR UPDATE", [second])
    return "done"


def test_a_real_deadlock_is_retried_and_both_transactions_complete():
    a, b = funded_account("1.00"), funded_account("1.00")
    barrier = threading.Barrier(2)
    attempts: dict[str, list[int]] = {"ab": [], "ba": []}
    results: dict[str, object] = {}

    @retry_on_conflict()
    def worker(name: str, first: int, second: int) -> str:
        return _lock_in_order(first, second, barrier, attempts[name])

    def run(name: str, first: int, second: int) -> None:
        try:
            results[name] = worker(name, first, second)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            results[name] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=("ab", a.pk, b.pk)),
        threading.Thread(target=run, args=("ba", b.pk, a.pk)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == {"ab": "done", "ba": "done"}
    # PostgreSQL aborted at least one of them (a real deadlock) and the wrapper ran it again. On a loaded machine
    # the retried victim can deadlock once more with the other, so "exactly one retry" would be flaky.
    assert len(attempts["ab"]) + len(attempts["ba"]) >= 3
    assert max(len(attempts["ab"]), len(attempts["ba"])) >= 2


def test_serialization_failure_sqlstate_is_retryable_and_others_are_not():
    def raise_sqlstate(code: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DO $$ BEGIN RAISE EXCEPTION 'simulated by the server' USING ERRCODE = '{code}'; END $$;")

    for code in ("40001", "40P01"):
        with pytest.raises(OperationalError) as err:
            raise_sqlstate(code)
        assert is_retryable(err.value)
    with pytest.raises(IntegrityError) as err:
        raise_sqlstate("23505")
    assert not is_retryable(err.value)


def test_retry_is_not_attempted_inside_an_outer_transaction():
    calls: list[int] = []

    @retry_on_conflict()
    def fails_once() -> None:
        calls.append(1)
        with connection.cursor() as cursor:
            cursor.execute("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$;")

    with pytest.raises(OperationalError), transaction.atomic():
        fails_once()  # the outer transaction is already broken: retrying inside it cannot succeed
    assert calls == [1]

    with pytest.raises(OperationalError):
        fails_once()  # outside a transaction it is retried, up to the limit, then surfaces
    assert len(calls) == 1 + 8


@pytest.mark.django_db(transaction=True)
def test_a_failing_robust_after_commit_callback_is_logged_and_the_next_ones_still_run(caplog):
    """With ``on_commit(partial(...), robust=True)`` Django's own logging of the failure raised AttributeError out
    of the commit (a partial has no ``__qualname__``) and skipped the callbacks after it."""
    from functools import partial

    from apps.core.db import on_commit_robust

    ran: list[str] = []

    def alert_write(*, payment: str) -> None:
        raise RuntimeError(f"the database went away writing the alert of {payment}")

    with caplog.at_level("ERROR", logger="django.db.backends.base"):
        with transaction.atomic():
            on_commit_robust(alert_write, payment="p-1")
            transaction.on_commit(partial(ran.append, "next"))
    assert ran == ["next"]
    assert "alert_write (after commit)" in caplog.text and "writing the alert of p-1" in caplog.text
