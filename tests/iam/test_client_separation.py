"""API clients are scoped to their customers; the bank's own GL accounts are in no client's scope.

A key reaches the accounts of its owners only; anything else answers exactly like an account that does not
exist (404 account_not_found), and a refused request changes nothing.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from apps.accounts.models import BANK_OWNER_ID, Account, AccountType
from apps.audit.models import AuditRecord
from apps.iam.models import SCOPES, ApiClient
from apps.ledger.models import AccountBalance, Hold, JournalEntry
from apps.ledger.services import hold_place, post_transfer
from tests.conftest import make_client
from tests.factories import funded_account
from tests.staff import make_staff, otp_login

pytestmark = pytest.mark.django_db

ALL = sorted(SCOPES)


@pytest.fixture
def alice():
    return funded_account("500.00", owner_id="alice")


@pytest.fixture
def bob():
    return funded_account("500.00", owner_id="bob")


@pytest.fixture
def cash(alice):
    """The bank's CASH USD account (alice's opening deposit created it)."""
    return Account.objects.get(owner_id=BANK_OWNER_ID, account_type=AccountType.CASH, currency="USD")


@pytest.fixture
def alice_key(db):
    return make_client(ALL, name="alice-app", owners=["alice"])


def snapshot():
    return (
        JournalEntry.objects.count(),
        Hold.objects.count(),
        sorted(AccountBalance.objects.values_list("account_id", "ledger_minor")),
        sorted(Account.objects.values_list("public_id", "status", "overdraft_limit_minor")),
    )


def assert_not_found(response, code="account_not_found"):
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == code


def txn(client, body, key):
    return client.post("/api/v1/transactions", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_key_reads_its_owners_accounts_and_nothing_else(alice_key, alice, bob):
    assert alice_key.get(f"/api/v1/accounts/{alice.public_id}").status_code == 200
    before = snapshot()
    for path in ("", "/balance", "/statement"):
        assert_not_found(alice_key.get(f"/api/v1/accounts/{bob.public_id}{path}"))
    assert_not_found(alice_key.get(f"/api/v1/transactions?account={bob.public_id}"))
    # the same answer as for an id that does not exist: nothing tells the key that bob's account exists
    assert alice_key.get("/api/v1/accounts/acc_nope").json()["error"] == {
        **alice_key.get(f"/api/v1/accounts/{bob.public_id}").json()["error"],
        "message": "no account acc_nope",
    }
    assert snapshot() == before


def test_listing_shows_only_the_keys_owners_and_never_the_bank(alice_key, alice, bob, cash):
    listed = [a["id"] for a in alice_key.get("/api/v1/accounts").json()["results"]]
    assert listed == [alice.public_id]
    assert alice_key.get("/api/v1/accounts?owner_id=bob").json()["results"] == []
    assert alice_key.get(f"/api/v1/accounts?owner_id={BANK_OWNER_ID}").json()["results"] == []
    everyone = make_client(ALL, name="backoffice", all_customers=True)
    ids = {a["id"] for a in everyone.get("/api/v1/accounts").json()["results"]}
    assert ids == {alice.public_id, bob.public_id} and cash.public_id not in ids
    assert everyone.get(f"/api/v1/accounts?owner_id={BANK_OWNER_ID}").json()["results"] == []


def test_a_key_opens_accounts_only_for_its_owners(alice_key):
    body = {"owner_id": "bob", "account_type": "CHECKING", "currency": "USD"}
    response = alice_key.post("/api/v1/accounts", body, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "owner_not_allowed"
    assert not Account.objects.filter(owner_id="bob").exists()
    assert alice_key.post("/api/v1/accounts", {**body, "owner_id": "alice"}, format="json").status_code == 201


def test_a_key_cannot_debit_another_owners_account(alice_key, alice, bob):
    before = snapshot()
    steal = {"type": "TRANSFER", "from_account": bob.public_id, "to_account": alice.public_id, "amount": "100.00"}
    assert_not_found(txn(alice_key, {**steal, "currency": "USD"}, "t1"))
    withdraw = {"type": "WITHDRAWAL", "from_account": bob.public_id, "amount": "1.00", "currency": "USD"}
    assert_not_found(txn(alice_key, withdraw, "w1"))
    assert_not_found(txn(alice_key, {**withdraw, "type": "FEE"}, "f1"))
    hold = {"account": bob.public_id, "amount": "1.00", "currency": "USD"}
    assert_not_found(alice_key.post("/api/v1/holds", hold, format="json", HTTP_IDEMPOTENCY_KEY="h1"))
    assert_not_found(alice_key.post(f"/api/v1/accounts/{bob.public_id}/status", {"status": "FROZEN"}, format="json"))
    overdraft = {"overdraft_limit": "100.00"}
    assert_not_found(alice_key.post(f"/api/v1/accounts/{bob.public_id}/overdraft", overdraft, format="json"))
    assert snapshot() == before


def test_paying_another_customer_needs_credit_any_customer(alice, bob):
    body = {"type": "TRANSFER", "from_account": alice.public_id, "to_account": bob.public_id, "amount": "10.00"}
    body["currency"] = "USD"
    scoped = make_client(ALL, name="scoped", owners=["alice"])
    before = snapshot()
    assert_not_found(txn(scoped, body, "p1"))
    assert snapshot() == before
    payer = make_client(ALL, name="payer", owners=["alice"], credit_any_customer=True)
    assert txn(payer, body, "p1").status_code == 201
    assert_not_found(payer.get(f"/api/v1/accounts/{bob.public_id}"))  # paying in is not reading
    assert_not_found(txn(payer, {**body, "from_account": bob.public_id, "to_account": alice.public_id}, "p2"))


def test_the_banks_gl_accounts_are_out_of_reach_even_for_an_all_customers_key(alice, cash):
    everyone = make_client(ALL, name="backoffice", all_customers=True, credit_any_customer=True)
    before = snapshot()
    assert_not_found(everyone.get(f"/api/v1/accounts/{cash.public_id}"))
    assert_not_found(everyone.get(f"/api/v1/accounts/{cash.public_id}/balance"))
    out_of_cash = {"type": "TRANSFER", "from_account": cash.public_id, "to_account": alice.public_id, "amount": "50"}
    assert_not_found(txn(everyone, {**out_of_cash, "currency": "USD"}, "c1"))
    into_cash = {"type": "TRANSFER", "from_account": alice.public_id, "to_account": cash.public_id, "amount": "5"}
    assert_not_found(txn(everyone, {**into_cash, "currency": "USD"}, "c2"))
    assert_not_found(
        txn(everyone, {"type": "WITHDRAWAL", "from_account": cash.public_id, "amount": "5", "currency": "USD"}, "c3")
    )
    assert_not_found(
        txn(everyone, {"type": "DEPOSIT", "to_account": cash.public_id, "amount": "5", "currency": "USD"}, "c4")
    )
    assert_not_found(everyone.post(f"/api/v1/accounts/{cash.public_id}/status", {"status": "FROZEN"}, format="json"))
    assert_not_found(
        everyone.post(f"/api/v1/accounts/{cash.public_id}/overdraft", {"overdraft_limit": "1"}, format="json")
    )
    hold = {"account": cash.public_id, "amount": "1.00", "currency": "USD"}
    assert_not_found(everyone.post("/api/v1/holds", hold, format="json", HTTP_IDEMPOTENCY_KEY="c5"))
    assert snapshot() == before
    # a deposit still debits CASH internally: that is what the service is for
    deposit = {"type": "DEPOSIT", "to_account": alice.public_id, "amount": "5.00", "currency": "USD"}
    assert txn(everyone, deposit, "d1").status_code == 201


def test_transactions_and_holds_of_other_owners_are_not_found(alice_key, alice, bob):
    carol = funded_account("0.00", owner_id="carol")
    theirs = post_transfer(from_account=bob.public_id, to_account=carol.public_id, amount="10", currency="USD")
    ours = post_transfer(from_account=alice.public_id, to_account=carol.public_id, amount="10", currency="USD")
    listed = {t["id"] for t in alice_key.get("/api/v1/transactions").json()["results"]}
    assert ours.entry.public_id in listed and theirs.entry.public_id not in listed
    assert alice_key.get(f"/api/v1/transactions/{ours.entry.public_id}").status_code == 200
    assert_not_found(alice_key.get(f"/api/v1/transactions/{theirs.entry.public_id}"), "transaction_not_found")
    before = snapshot()
    reverse = alice_key.post(
        f"/api/v1/transactions/{theirs.entry.public_id}/reverse", {}, format="json", HTTP_IDEMPOTENCY_KEY="r1"
    )
    assert_not_found(reverse, "transaction_not_found")
    # reversing alice's payment would debit carol, who is not alice's key's customer
    reverse = alice_key.post(
        f"/api/v1/transactions/{ours.entry.public_id}/reverse", {}, format="json", HTTP_IDEMPOTENCY_KEY="r2"
    )
    assert_not_found(reverse, "transaction_not_found")
    hold = hold_place(account=bob.public_id, amount="5", currency="USD").hold
    assert_not_found(alice_key.get(f"/api/v1/holds/{hold.public_id}"), "hold_not_found")
    assert_not_found(alice_key.post(f"/api/v1/holds/{hold.public_id}/void"), "hold_not_found")
    capture = {"to_account": alice.public_id}
    assert_not_found(
        alice_key.post(f"/api/v1/holds/{hold.public_id}/capture", capture, format="json", HTTP_IDEMPOTENCY_KEY="c"),
        "hold_not_found",
    )
    assert snapshot()[0] == before[0] and Hold.objects.get(pk=hold.pk).status == "AUTHORIZED"


def test_staff_read_gl_accounts_but_never_name_them_in_an_operation(alice, cash):
    ops = otp_login(Client(), make_staff("ops", "operations"))
    assert ops.get(f"/api/v1/accounts/{cash.public_id}").status_code == 200
    before = snapshot()
    body = {"type": "TRANSFER", "from_account": cash.public_id, "to_account": alice.public_id, "amount": "5"}
    response = ops.post(
        "/api/v1/transactions", {**body, "currency": "USD"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="s1"
    )
    assert_not_found(response)
    freeze = ops.post(
        f"/api/v1/accounts/{cash.public_id}/status", {"status": "FROZEN"}, content_type="application/json"
    )
    assert_not_found(freeze)
    assert snapshot() == before


def test_create_api_client_with_owners_gives_a_scoped_key(alice, bob):
    out = StringIO()
    call_command("create_api_client", "alice-app", "--owners", "alice", "--token-only", stdout=out)
    key = APIClient()
    key.credentials(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")
    assert [a["id"] for a in key.get("/api/v1/accounts").json()["results"]] == [alice.public_id]
    assert_not_found(key.get(f"/api/v1/accounts/{bob.public_id}"))
    with pytest.raises(Exception, match="never in an API client's scope"):
        call_command("create_api_client", "bank-app", "--owners", BANK_OWNER_ID, stdout=StringIO())


def test_changing_a_clients_scope_is_audited_and_takes_effect(alice_key, bob):
    assert_not_found(alice_key.get(f"/api/v1/accounts/{bob.public_id}"))
    call_command(
        "set_api_client_scope", "alice-app", "--owners", "alice,bob", "--actor", "sec-officer", stdout=StringIO()
    )
    assert alice_key.get(f"/api/v1/accounts/{bob.public_id}").status_code == 200
    record = AuditRecord.objects.filter(action="iam.api_client_scope_changed").get()
    assert record.actor == "sec-officer"
    assert (record.before["owner_ids"], record.after["owner_ids"]) == (["alice"], ["alice", "bob"])


def test_demo_key_reaches_every_customer_and_the_readme_examples_work(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("load_demo", stdout=StringIO())
    ApiClient.objects.filter(name="demo").update(all_customers=False)  # e.g. a database from before scopes
    call_command("load_demo", stdout=StringIO())  # run again: the demo key is made an all-customers key again
    demo = APIClient()
    demo.credentials(HTTP_AUTHORIZATION=f"Bearer {(tmp_path / 'demo-token').read_text().strip()}")
    owners = {a["owner_id"] for a in demo.get("/api/v1/accounts").json()["results"]}
    assert owners == {"demo-alice", "demo-bob", "demo-claire"}
    seed = {"owner_id": "user123", "account_type": "CHECKING", "currency": "USD", "initial_balance": "10000.00"}
    first = demo.post("/api/v1/accounts", seed, format="json")
    assert first.status_code == 201 and first.json()["balance"] == "10000.00"
    second = demo.post("/api/v1/accounts", {**seed, "initial_balance": "0"}, format="json").json()
    body = {"type": "TRANSFER", "from_account": first.json()["id"], "to_account": second["id"], "amount": "1000.00"}
    assert txn(demo, {**body, "currency": "USD"}, "5f0c7a1e-transfer-1").status_code == 201
