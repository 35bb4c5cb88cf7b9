"""Batch posting: atomic and independent modes, replays, limits, and the API."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from apps.accounts.models import AccountType
from apps.audit.models import AuditRecord
from apps.core.errors import DomainError
from apps.ledger import selectors, services
from apps.ledger.models import AccountBalance, JournalEntry, Posting
from tests.conftest import make_client
from tests.factories import funded_account

pytestmark = pytest.mark.django_db


def _transfer(src, dst, amount, key, **extra):
    return {
        "type": "TRANSFER",
        "from_account": src.public_id,
        "to_account": dst.public_id,
        "amount": amount,
        "currency": "USD",
        "idempotency_key": key,
        **extra,
    }


def _assert_ledger_exact():
    """Each cached balance (row + slots) equals the sum of its postings, and USD sums to zero."""
    usd = 0
    for balance in AccountBalance.objects.all():
        total = Posting.objects.filter(account_id=balance.account_id).aggregate(t=Sum("amount_minor"))["t"] or 0
        assert selectors.ledger_minor(balance.account_id) == total
        usd += total if balance.currency == "USD" else 0
    assert usd == 0


def test_atomic_batch_posts_every_entry_with_running_balances():
    a, b = funded_account("100.00"), funded_account("0")
    entries = [_transfer(a, b, "10.00", f"k{i}") for i in range(5)]
    entries.append(
        {"type": "DEPOSIT", "to_account": b.public_id, "amount": "1.00", "currency": "USD", "idempotency_key": "dep"}
    )
    entries.append(
        {"type": "FEE", "from_account": a.public_id, "amount": "0.50", "currency": "USD", "idempotency_key": "fee"}
    )
    result = services.post_batch(entries=entries, mode="atomic")
    assert [i.status for i in result.items] == ["posted"] * 7
    assert selectors.balance_get(account=a).ledger_minor == 10000 - 5000 - 50
    assert selectors.balance_get(account=b).ledger_minor == 5000 + 100
    # running balances follow the order of the batch
    lines = list(Posting.objects.filter(account=a).order_by("id").values_list("amount_minor", "balance_after_minor"))
    assert lines[-6:] == [(-1000, 9000), (-1000, 8000), (-1000, 7000), (-1000, 6000), (-1000, 5000), (-50, 4950)]
    assert AuditRecord.objects.filter(action="ledger.batch_posted").count() == 1
    _assert_ledger_exact()


def test_atomic_batch_refuses_everything_naming_the_entry():
    a, b = funded_account("30.00"), funded_account("0")
    entries = [_transfer(a, b, "20.00", "x1"), _transfer(a, b, "20.00", "x2")]
    before = JournalEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        services.post_batch(entries=entries, mode="atomic")
    assert refused.value.code == "insufficient_funds"
    assert refused.value.field == "entries[1].from_account"
    assert JournalEntry.objects.count() == before


def test_independent_batch_posts_what_it_can_and_codes_the_rest():
    a, b = funded_account("30.00"), funded_account("0")
    entries = [
        _transfer(a, b, "20.00", "i1"),
        _transfer(a, b, "20.00", "i2"),  # only 10.00 left
        _transfer(a, b, "5.00", "i3"),
        {
            "type": "TRANSFER",
            "from_account": a.public_id,
            "to_account": "acc_missing",
            "amount": "1",
            "currency": "USD",
            "idempotency_key": "i4",
        },
        _transfer(a, b, "1.001", "i5"),  # more decimals than USD has
        _transfer(a, b, "1.00", "i1"),  # key used twice in one batch
        {"type": "WITHDRAWAL", "to_account": a.public_id, "amount": "1", "currency": "USD", "idempotency_key": "i7"},
    ]
    result = services.post_batch(entries=entries, mode="independent")
    assert [(i.status, i.code) for i in result.items] == [
        ("posted", None),
        ("refused", "insufficient_funds"),
        ("posted", None),
        ("refused", "account_not_found"),
        ("refused", "too_many_decimals"),
        ("refused", "duplicate_in_batch"),
        ("refused", "required"),
    ]
    assert selectors.balance_get(account=b).ledger_minor == 2500
    _assert_ledger_exact()


def test_replaying_a_batch_posts_nothing_twice_and_a_changed_entry_is_refused():
    a, b = funded_account("100.00"), funded_account("0")
    entries = [_transfer(a, b, "10.00", f"r{i}") for i in range(3)]
    first = services.post_batch(entries=entries, mode="atomic")
    count = JournalEntry.objects.count()
    again = services.post_batch(entries=entries, mode="atomic")
    assert [i.status for i in again.items] == ["replayed"] * 3
    assert [i.transaction for i in again.items] == [i.transaction for i in first.items]
    assert JournalEntry.objects.count() == count
    # a batch that extends an earlier one posts only the new entry
    more = services.post_batch(entries=[*entries, _transfer(a, b, "1.00", "r3")], mode="atomic")
    assert [i.status for i in more.items] == ["replayed"] * 3 + ["posted"]
    changed = [_transfer(a, b, "11.00", "r0")]
    with pytest.raises(DomainError) as refused:
        services.post_batch(entries=changed, mode="atomic")
    assert refused.value.code == "idempotency_key_reused"
    assert selectors.balance_get(account=b).ledger_minor == 3100


def test_batch_shape_is_checked():
    with pytest.raises(DomainError):
        services.post_batch(entries=[], mode="atomic")
    with pytest.raises(DomainError) as bad_mode:
        services.post_batch(entries=[{}], mode="sometimes")
    assert bad_mode.value.code == "invalid_choice"


def test_batch_api(settings):
    settings.QENEX_APPROVAL_THRESHOLD = "1000"
    a, b = funded_account("100.00"), funded_account("0")
    client = make_client(["transactions:write"])
    body = {"mode": "independent", "entries": [_transfer(a, b, "10.00", "api1"), _transfer(a, b, "5000", "api2")]}
    response = client.post("/api/v1/transactions/batch", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["posted"], data["refused"]) == (1, 1)
    assert data["results"][1]["code"] == "approval_required"
    assert data["results"][0]["transaction"].startswith("txn")
    replay = client.post(
        "/api/v1/transactions/batch", {"mode": "atomic", "entries": body["entries"][:1]}, format="json"
    )
    assert replay.status_code == 200 and replay.json()["replayed"] == 1
    refused = client.post(
        "/api/v1/transactions/batch", {"mode": "atomic", "entries": [_transfer(a, b, "500.00", "api3")]}, format="json"
    )
    assert refused.status_code == 422, refused.content
    assert refused.json()["error"]["code"] == "insufficient_funds"
    assert client.post("/api/v1/transactions/batch", {"entries": "nope"}, format="json").status_code == 400


def test_batch_api_keeps_clients_to_their_customers(settings):
    mine, theirs = funded_account("100.00", owner_id="mine"), funded_account("100.00", owner_id="theirs")
    client = make_client(["transactions:write"], owners=["mine"])
    body = {"mode": "atomic", "entries": [_transfer(theirs, mine, "1.00", "steal")]}
    response = client.post("/api/v1/transactions/batch", body, format="json")
    assert response.status_code == 404
    assert selectors.balance_get(account=theirs).ledger_minor == 10000


def test_hot_account_spreads_postings_and_keeps_balances_exact():
    from apps.ledger.services.gl import gl_account

    cash = gl_account(account_type=AccountType.CASH, currency="USD")
    customer = funded_account("0")
    services.account_set_hot(public_id=cash.public_id, slots=4)
    for i in range(12):
        services.post_deposit(to_account=customer.public_id, amount="1.00", currency="USD", idempotency_key=f"h{i}")
    assert AccountBalance.objects.get(account=cash).hot_slots == 4
    assert selectors.ledger_minor(cash.pk) == -1200
    assert selectors.balance_get(account=customer).ledger_minor == 1200
    # the hot account's postings carry no running balance; the customer's still do
    assert Posting.objects.filter(account=cash, balance_after_minor__isnull=True).count() == 12
    assert not Posting.objects.filter(account=customer, balance_after_minor__isnull=True).exists()
    assert selectors.balance_as_of(account=cash, at=Posting.objects.latest("id").posted_at) == -1200
    _assert_ledger_exact()
    with pytest.raises(DomainError) as refused:
        services.account_set_hot(public_id=customer.public_id, slots=4)
    assert refused.value.code == "not_internal"
