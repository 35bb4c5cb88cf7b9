"""The posting check registry: compliance and fraud refuse a posting before it is made, and nothing is posted."""

from __future__ import annotations

import pytest

from apps.core import checks
from apps.ledger import checks as posting_checks
from apps.ledger import selectors, services
from apps.ledger.models import JournalEntry
from tests.conftest import make_client
from tests.factories import funded_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def seen():
    """A check that refuses amounts over 500.00 and records every subject it saw."""
    subjects = []

    def limit(subject: posting_checks.PostingSubject) -> checks.CheckResult:
        subjects.append(subject)
        if subject.amount_minor > 50000:
            return checks.CheckResult.hold("over the test limit", code="test_limit", limit=50000)
        return checks.CheckResult.passed()

    posting_checks.register("test.limit", limit)
    yield subjects
    posting_checks.unregister("test.limit")


def test_a_refused_transfer_posts_nothing_and_names_the_checks_code(seen):
    a, b = funded_account("1000.00", owner_id="alice"), funded_account("0", owner_id="bob")
    entries_before = JournalEntry.objects.count()
    with pytest.raises(posting_checks.RefusedByCheck) as refused:
        services.post_transfer(from_account=a.public_id, to_account=b.public_id, amount="600.00", currency="USD")
    assert refused.value.code == "test_limit"
    assert "test.limit: over the test limit" in str(refused.value)
    assert JournalEntry.objects.count() == entries_before
    assert selectors.balance_get(account=a).ledger_minor == 100000
    subject = seen[-1]
    assert (subject.debit_account, subject.credit_account, subject.amount_minor) == (a.public_id, b.public_id, 60000)
    assert subject.moves_money_out and subject.owner_ids == {a.public_id: "alice", b.public_id: "bob"}


def test_deposits_and_withdrawals_are_checked_fees_are_not(seen):
    a = funded_account("1000.00")
    seen.clear()
    services.post_deposit(to_account=a.public_id, amount="10.00", currency="USD")
    services.post_withdrawal(from_account=a.public_id, amount="5.00", currency="USD")
    services.post_fee(from_account=a.public_id, amount="700.00", currency="USD")  # the bank's own charge
    assert [(s.entry_type, s.debit_account, s.credit_account) for s in seen] == [
        ("DEPOSIT", None, a.public_id),
        ("WITHDRAWAL", a.public_id, None),
    ]
    assert not seen[0].moves_money_out
    with pytest.raises(posting_checks.RefusedByCheck):
        services.post_deposit(to_account=a.public_id, amount="500.01", currency="USD")


def test_a_batch_refuses_only_the_checked_entry_in_independent_mode_and_all_in_atomic(seen):
    a, b = funded_account("2000.00"), funded_account("0")

    def transfer(amount, key):
        return {
            "type": "TRANSFER",
            "from_account": a.public_id,
            "to_account": b.public_id,
            "amount": amount,
            "currency": "USD",
            "idempotency_key": key,
        }

    result = services.post_batch(entries=[transfer("1.00", "i1"), transfer("900.00", "i2")], mode="independent")
    assert [(i.status, i.code) for i in result.items] == [("posted", None), ("refused", "test_limit")]
    with pytest.raises(posting_checks.RefusedByCheck):
        services.post_batch(entries=[transfer("1.00", "a1"), transfer("900.00", "a2")], mode="atomic")
    assert not selectors.idempotency_key_used(key="a1")
    assert selectors.balance_get(account=b).ledger_minor == 100


def test_the_api_answers_403_with_the_code(seen):
    a, b = funded_account("1000.00"), funded_account("0")
    client = make_client(["transactions:write"])
    response = client.post(
        "/api/v1/transactions",
        {
            "type": "TRANSFER",
            "from_account": a.public_id,
            "to_account": b.public_id,
            "amount": "600.00",
            "currency": "USD",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="check-403",
    )
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "test_limit"


def test_without_checks_every_posting_passes_and_an_unknown_kind_is_an_error():
    assert checks.run("posting", object()).verdict == checks.Verdict.PASS
    with pytest.raises(ValueError):
        checks.register("postings", "typo", lambda s: checks.CheckResult.passed())


def test_run_many_answers_what_run_answers_asking_a_many_form_once():
    calls: list[int] = []

    def single(subject: posting_checks.PostingSubject) -> checks.CheckResult:
        odd = subject.amount_minor % 2
        return checks.CheckResult.reject("odd", code="odd") if odd else checks.CheckResult.passed()

    def many(subjects: list[posting_checks.PostingSubject]) -> list[checks.CheckResult]:
        calls.append(len(subjects))
        return [single(s) for s in subjects]

    checks.register("posting", "test.odd", single, many=many)
    checks.register(
        "posting",
        "test.big",
        lambda s: checks.CheckResult.hold("big", code="big") if s.amount_minor > 2 else checks.CheckResult.passed(),
    )
    try:
        subjects = [
            posting_checks.PostingSubject("DEPOSIT", amount, "EUR", None, "acc", known_owners={}) for amount in range(4)
        ]
        outcomes = checks.run_many("posting", subjects)
        assert calls == [4]
        assert [o.verdict for o in outcomes] == [checks.run("posting", s).verdict for s in subjects]
        assert [o.deciding[1].code if o.deciding else None for o in outcomes] == [None, "odd", None, "odd"]
        checks.register("posting", "test.odd", single, many=lambda subjects: [])
        with pytest.raises(RuntimeError):
            checks.run_many("posting", subjects)
    finally:
        checks.unregister("posting", "test.odd")
        checks.unregister("posting", "test.big")
