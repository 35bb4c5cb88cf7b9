"""Synthetic history at scale and period closing, on PostgreSQL (COPY, triggers, table locks).

These tests commit for real (generate_history and period_close are durable transactions), so they use
``transactional_db``; the database is emptied with TRUNCATE after each.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

import psycopg
import pytest
from django.db import IntegrityError, connection
from django.db.models import Count, Sum
from django.utils import timezone

from apps.accounts.models import Account, AccountType
from apps.audit.models import AuditRecord
from apps.audit.verification import audit_chain_verify
from apps.core.db import domain_error_for
from apps.core.errors import PeriodClosed
from apps.core.money import format_amount
from apps.iam.models import SCOPES
from apps.ledger import selectors
from apps.ledger.closing import period_close, trial_balance_problems
from apps.ledger.errors import LedgerNotEmpty, PeriodNotClosable, TrialBalanceNotZero
from apps.ledger.history import generate_history
from apps.ledger.models import (
    AccountBalance,
    JournalEntry,
    PeriodClose,
    PeriodCloseBalance,
    PeriodCloseCurrency,
    Posting,
)
from tests.conftest import make_client
from tests.factories import funded_account

pytestmark = [pytest.mark.django_db(transaction=True)]

# Fixed so the tests do not depend on today's date: history in 2025, all of it in the past.
HISTORY_END = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _pg(on_postgresql):
    pass


@pytest.fixture
def history():
    return generate_history(accounts=40, postings=4_000, years=1, seed=7, end=HISTORY_END)


def _sql(query: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def _raw_connection() -> psycopg.Connection:
    """A second session on the test database, outside Django (to hold a transaction open)."""
    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"], password=s["PASSWORD"], dbname=s["NAME"]
    )


def _brute_balance(account_id: int, *, before: datetime | None = None, at_or_before: datetime | None = None) -> int:
    qs = Posting.objects.filter(account_id=account_id)
    if before is not None:
        qs = qs.filter(posted_at__lt=before)
    if at_or_before is not None:
        qs = qs.filter(posted_at__lte=at_or_before)
    return qs.aggregate(t=Sum("amount_minor"))["t"] or 0


def test_generated_history_is_a_balanced_ledger(history):
    assert history.postings == 4_000 and history.entries == 2_000 and history.accounts == 40
    assert Posting.objects.count() == 4_000 and JournalEntry.objects.count() == 2_000
    # Every currency sums to zero, and each cached balance is the sum of its postings.
    assert (
        _sql("SELECT currency, sum(ledger_minor) FROM ledger_accountbalance GROUP BY 1 HAVING sum(ledger_minor) <> 0")
        == []
    )
    assert (
        _sql(
            "SELECT b.account_id FROM ledger_accountbalance b LEFT JOIN"
            " (SELECT account_id, sum(amount_minor) s FROM ledger_posting GROUP BY 1) p USING (account_id)"
            " WHERE b.ledger_minor <> COALESCE(p.s, 0)"
        )
        == []
    )
    assert not Posting.objects.exclude(account__in=AccountBalance.objects.values("account")).exists()
    # Each posting's balance_after is the running sum of the account's postings in (posted_at, id) order.
    assert (
        _sql(
            "SELECT id FROM (SELECT id, balance_after_minor, sum(amount_minor) OVER"
            " (PARTITION BY account_id ORDER BY posted_at, id) AS running FROM ledger_posting) x"
            " WHERE balance_after_minor <> running"
        )
        == []
    )
    # No customer ever went below minus its overdraft limit.
    assert (
        _sql(
            "SELECT p.id FROM ledger_posting p JOIN accounts_account a ON a.id = p.account_id"
            " WHERE a.owner_id <> '__bank__' AND p.balance_after_minor < -a.overdraft_limit_minor"
        )
        == []
    )
    # Entries balance per currency, in their accounts' currency, on business days within business hours.
    assert (
        _sql("SELECT entry_id FROM ledger_posting GROUP BY entry_id HAVING sum(amount_minor) <> 0 OR count(*) <> 2")
        == []
    )
    stamps = list(JournalEntry.objects.values_list("posted_at", flat=True))
    assert all(s.weekday() < 5 and 8 <= s.hour < 18 and s < HISTORY_END for s in stamps)
    assert min(stamps) >= HISTORY_END - timedelta(days=366)
    kinds = set(JournalEntry.objects.values_list("entry_type", flat=True))
    assert kinds == {"DEPOSIT", "WITHDRAWAL", "TRANSFER", "FEE"}
    assert set(Account.objects.exclude(owner_id="__bank__").values_list("currency", flat=True)) <= {"EUR", "USD", "GBP"}
    # One audit record for the whole run, and the chain still verifies.
    record = AuditRecord.objects.get(action="ledger.history_generated")
    assert record.after["postings"] == 4_000
    assert audit_chain_verify().ok


def test_generate_history_refuses_a_ledger_that_has_entries():
    funded_account("10.00")
    with pytest.raises(LedgerNotEmpty):
        generate_history(accounts=10, postings=100, years=1, end=HISTORY_END)
    assert Posting.objects.count() == 2  # the opening deposit only; nothing was added


def test_statement_pages_follow_the_postings_across_pages(history):
    busiest = (
        Posting.objects.exclude(account__owner_id="__bank__")
        .values("account_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("account_id", flat=True)[0]
    )
    account = Account.objects.get(pk=busiest)
    start, end = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 10, 1, tzinfo=UTC)
    expected = list(
        Posting.objects.filter(account=account, posted_at__gte=start, posted_at__lt=end)
        .order_by("posted_at", "id")
        .values_list("amount_minor", "balance_after_minor")
    )
    assert len(expected) > 120  # several pages of 50
    api = make_client(sorted(SCOPES))
    query = urlencode({"from": start.isoformat(), "to": end.isoformat(), "limit": 50})
    url = f"/api/v1/accounts/{account.public_id}/statement?{query}"
    pages, lines, opening = 0, [], None
    while url:
        page = api.get(url).json()
        opening = opening or page["opening_balance"]
        lines += page["results"]
        url, pages = page["next"], pages + 1
    assert pages == -(-len(expected) // 50)
    assert [line["balance_after"] for line in lines] == [format_amount(b, account.currency) for _, b in expected]
    opening_minor = _brute_balance(account.pk, before=start)
    assert opening_minor + expected[0][0] == expected[0][1]
    assert selectors.balance_as_of(account=account, at=start, inclusive=False) == opening_minor


def test_balance_as_of_equals_the_sum_of_postings_up_to_then(history):
    rng = random.Random(3)
    accounts = list(Account.objects.all())
    for _ in range(60):
        account = rng.choice(accounts)
        at = HISTORY_END - timedelta(seconds=rng.randrange(400 * 86400))
        assert selectors.balance_as_of(account=account, at=at) == _brute_balance(account.pk, at_or_before=at)
    # At a posting's own instant, inclusive counts it and exclusive does not.
    p = Posting.objects.order_by("?").first()
    assert selectors.balance_as_of(account=p.account, at=p.posted_at) == p.balance_after_minor
    assert selectors.balance_as_of(account=p.account, at=p.posted_at, inclusive=False) == (
        p.balance_after_minor - p.amount_minor
    )


def test_month_close_freezes_a_zero_trial_balance_and_the_next_close_builds_on_it(history):
    first = period_close(granularity="MONTH", day=date(2025, 6, 15), actor="officer")
    assert not first.replayed
    close = first.close
    assert (close.period_start, close.period_end) == (
        datetime(2025, 6, 1, tzinfo=UTC),
        datetime(2025, 7, 1, tzinfo=UTC),
    )
    for row in PeriodCloseCurrency.objects.filter(period_close=close):
        assert row.debit_minor == row.credit_minor > 0
    for balance in PeriodCloseBalance.objects.filter(period_close=close):
        assert balance.closing_minor == _brute_balance(balance.account_id, before=close.period_end)
    # The next month starts from June's balances (incremental) and still equals the brute-force sums.
    second = period_close(granularity="MONTH", day=date(2025, 7, 1)).close
    stored = dict(PeriodCloseBalance.objects.filter(period_close=second).values_list("account_id", "closing_minor"))
    brute = {a: _brute_balance(a, before=second.period_end) for a in Account.objects.values_list("pk", flat=True)}
    assert stored == {a: v for a, v in brute.items() if a in stored}
    assert all(v == 0 for a, v in brute.items() if a not in stored)  # accounts never posted to by then
    # Idempotent: closing June again answers the existing close and writes nothing.
    records = AuditRecord.objects.filter(action="ledger.period_closed").count()
    again = period_close(granularity="MONTH", day=date(2025, 6, 30))
    assert again.replayed and again.close.pk == close.pk
    assert AuditRecord.objects.filter(action="ledger.period_closed").count() == records == 2
    assert audit_chain_verify().ok


def test_only_a_period_that_has_ended_can_be_closed():
    with pytest.raises(PeriodNotClosable):
        period_close(granularity="DAY", day=timezone.now().date())
    with pytest.raises(PeriodNotClosable):
        period_close(granularity="MONTH", day=timezone.now().date())
    assert not PeriodClose.objects.exists()


def test_a_back_dated_posting_into_a_closed_period_is_refused_by_the_database():
    a, b = funded_account("50.00"), funded_account("0")
    yesterday = (timezone.now() - timedelta(days=1)).date()
    period_close(granularity="DAY", day=yesterday)
    back_dated = datetime(yesterday.year, yesterday.month, yesterday.day, 12, tzinfo=UTC)
    with pytest.raises(IntegrityError) as raised, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_journalentry (public_id, entry_type, amount_minor, currency, description, metadata,"
            " request_fingerprint, actor, posted_at) VALUES ('txn_back', 'TRANSFER', 1, 'USD', '', '{}', '', 't', %s)",
            [back_dated],
        )
    refusal = domain_error_for(raised.value)
    assert isinstance(refusal, PeriodClosed) and refusal.code == "period_closed" and refusal.http_status == 409
    with pytest.raises(IntegrityError, match="period closed"), connection.cursor() as cursor:
        entry = JournalEntry.objects.first()
        cursor.execute(
            "INSERT INTO ledger_posting (entry_id, account_id, currency, amount_minor, balance_after_minor, posted_at)"
            " VALUES (%s, %s, 'USD', 1, 1, %s)",
            [entry.pk, b.pk, back_dated],
        )
    # Postings stamped now still go through.
    from apps.ledger.services import post_transfer

    post_transfer(from_account=a.public_id, to_account=b.public_id, amount="1.00", currency="USD")
    # The close itself cannot be deleted (that would reopen the period).
    with pytest.raises(IntegrityError, match="append-only"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_periodclose")


def test_copy_into_a_closed_period_is_refused_too():
    """generate_history writes with COPY; the trigger covers it (the run rolls back whole)."""
    period_close(granularity="MONTH", day=date(2025, 12, 1))  # on an empty ledger: an empty trial balance
    with pytest.raises(PeriodClosed, match="period closed"):
        generate_history(accounts=10, postings=200, years=1, end=HISTORY_END)
    assert not Posting.objects.exists() and not JournalEntry.objects.exists()


def test_a_close_refuses_a_trial_balance_that_does_not_sum_to_zero():
    a = funded_account("10.00")
    # Forge an unbalanced entry with the triggers off for this session (only possible as a superuser in a test
    # database): one posting of +1.00 and no counter-leg.
    when = timezone.now() - timedelta(days=2)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(
                "INSERT INTO ledger_journalentry (public_id, entry_type, amount_minor, currency, description,"
                " metadata, request_fingerprint, actor, posted_at)"
                " VALUES ('txn_forged', 'DEPOSIT', 100, 'USD', '', '{}', '', 't', %s) RETURNING id",
                [when],
            )
            (entry_id,) = cursor.fetchone()
            cursor.execute(
                "INSERT INTO ledger_posting (entry_id, account_id, currency, amount_minor, balance_after_minor,"
                " posted_at) VALUES (%s, %s, 'USD', 100, 100, %s)",
                [entry_id, a.pk, when],
            )
        finally:
            cursor.execute("SET session_replication_role = origin")
    with pytest.raises(TrialBalanceNotZero, match="USD"):
        period_close(granularity="DAY", day=when.date())
    assert not PeriodClose.objects.exists() and not PeriodCloseBalance.objects.exists()
    # The arithmetic, and the database's own CHECK on a stored trial balance.
    assert trial_balance_problems([("EUR", 5, 5, 2), ("USD", 100, 0, 1)]) == ["USD"]
    close = PeriodClose.objects.create(
        granularity="DAY", period_start=when - timedelta(days=9), period_end=when - timedelta(days=8), accounts=1
    )
    with pytest.raises(IntegrityError, match="trial_balance_zero"):
        PeriodCloseCurrency.objects.create(
            period_close=close, currency="USD", debit_minor=1, credit_minor=0, accounts=1
        )


def _insert_transfer(conn: psycopg.Connection, *, source: int, target: int, amount: int, at: datetime) -> None:
    """A balanced two-posting entry written by hand in ``conn``'s open transaction (running balances ignored)."""
    entry_id = conn.execute(
        "INSERT INTO ledger_journalentry (public_id, entry_type, amount_minor, currency, description, metadata,"
        " request_fingerprint, actor, posted_at)"
        " VALUES (%s, 'TRANSFER', %s, 'USD', '', '{}', '', 't', %s) RETURNING id",
        [f"txn_race{time.monotonic_ns()}", amount, at],
    ).fetchone()[0]
    for account, minor in ((source, -amount), (target, amount)):
        conn.execute(
            "INSERT INTO ledger_posting (entry_id, account_id, currency, amount_minor, balance_after_minor, posted_at)"
            " VALUES (%s, %s, 'USD', %s, 0, %s)",
            [entry_id, account, minor, at],
        )


def _wait_until_blocked(conn: psycopg.Connection, pid: int) -> None:
    for _ in range(200):
        if conn.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0] == "Lock":
            return
        time.sleep(0.02)
    raise AssertionError(f"backend {pid} never waited for a lock")


def test_a_close_racing_postings_is_exact():
    """In flight before the close: counted. Blocked behind the close: refused. Nothing dated before the end slips in."""
    a, b = funded_account("100.00"), funded_account("0")
    bank = Account.objects.get(owner_id="__bank__", account_type=AccountType.CASH, currency="USD")
    day = (timezone.now() - timedelta(days=1)).date()
    inside = datetime(day.year, day.month, day.day, 15, tzinfo=UTC)
    in_flight, late, observer = _raw_connection(), _raw_connection(), _raw_connection()
    observer.autocommit = True
    results: dict[str, object] = {}
    try:
        # 1. A posting dated inside the day has inserted its rows but not committed.
        _insert_transfer(in_flight, source=a.pk, target=b.pk, amount=700, at=inside)
        # 2. The close starts: it must wait for that transaction.
        closer = threading.Thread(target=lambda: results.update(close=_close_in_thread(day)))
        closer.start()
        closer_pid = _backend_waiting(observer, "LOCK TABLE ledger_journalentry")
        _wait_until_blocked(observer, closer_pid)
        # 3. Another posting dated inside the day arrives now: it queues behind the close's lock.
        late_thread = threading.Thread(target=lambda: results.update(late=_late_insert(late, a.pk, b.pk, inside)))
        late_thread.start()
        _wait_until_blocked(observer, late.info.backend_pid)
        # 4. The in-flight posting commits; the close proceeds and commits; the late posting then meets the trigger.
        in_flight.commit()
        closer.join(10)
        late_thread.join(10)
    finally:
        for conn in (in_flight, late, observer):
            conn.close()
    close = results["close"]
    assert isinstance(close, PeriodClose), close
    frozen = dict(PeriodCloseBalance.objects.filter(period_close=close).values_list("account_id", "closing_minor"))
    # The in-flight transfer is in the trial balance (a's opening deposit was made today, after the day).
    assert frozen == {a.pk: -700, b.pk: 700}
    assert isinstance(results["late"], psycopg.errors.IntegrityError) and "period closed" in str(results["late"])
    assert Posting.objects.filter(posted_at__lt=close.period_end).aggregate(t=Sum("amount_minor"))["t"] == 0
    assert Posting.objects.filter(posted_at__lt=close.period_end).count() == 2
    assert bank.pk not in frozen


def _close_in_thread(day: date):
    try:
        return period_close(granularity="DAY", day=day).close
    except Exception as exc:  # reported to the test, which asserts on it
        return exc
    finally:
        connection.close()


def _late_insert(conn: psycopg.Connection, source: int, target: int, at: datetime):
    try:
        _insert_transfer(conn, source=source, target=target, amount=300, at=at)
        conn.commit()
        return "committed"
    except psycopg.Error as exc:
        conn.rollback()
        return exc


def _backend_waiting(observer: psycopg.Connection, query_prefix: str) -> int:
    for _ in range(200):
        row = observer.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE %s AND pid <> %s",
            [query_prefix + "%", observer.info.backend_pid],
        ).fetchone()
        if row:
            return row[0]
        time.sleep(0.02)
    raise AssertionError(f"no backend is running {query_prefix!r}")


def test_officers_close_periods_through_the_api_and_machine_keys_cannot(client):
    from tests.staff import make_staff, otp_login

    funded_account("10.00")
    api_key = make_client(sorted(SCOPES))
    assert api_key.get("/api/v1/ledger/periods").status_code == 403
    assert api_key.post("/api/v1/ledger/periods", {"granularity": "DAY", "date": "2025-01-02"}).status_code == 403
    otp_login(client, make_staff("closer", superuser=True))
    created = client.post(
        "/api/v1/ledger/periods", {"granularity": "MONTH", "date": "2025-01-31"}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["period_end"].startswith("2025-02-01") and created.json()["trial_balance"] == []
    again = client.post(
        "/api/v1/ledger/periods", {"granularity": "MONTH", "date": "2025-01-01"}, content_type="application/json"
    )
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    future = client.post(
        "/api/v1/ledger/periods", {"granularity": "DAY", "date": "2999-01-01"}, content_type="application/json"
    )
    assert future.status_code == 400 and future.json()["error"]["code"] == "period_not_closable"
    listed = client.get("/api/v1/ledger/periods").json()["results"]
    assert [p["granularity"] for p in listed] == ["MONTH"]


def test_the_commands_generate_and_close(capsys):
    from django.core.management import call_command

    call_command("generate_history", "--accounts", "20", "--postings", "400", "--years", "1")
    out = capsys.readouterr().out
    assert "done: 20 accounts, 200 entries, 400 postings" in out
    call_command("close_period", "--month", f"{(timezone.now() - timedelta(days=40)):%Y-%m}")
    out = capsys.readouterr().out
    assert out.startswith("closed: MONTH") and " = credit " in out
    with pytest.raises(Exception, match="ledger_not_empty|already has entries"):
        call_command("generate_history", "--size", "small")
