"""Four-eyes cannot be bypassed: every path that moves or commits money, every maker, no splitting.

The threshold is the default 10,000 in every currency unless a test says otherwise. The makers are API clients
(machine makers) and staff users; the checker is always a staff user.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Account
from apps.approvals.models import ApprovalKind, ApprovalRequest, ApprovalStatus
from apps.approvals.policy import VELOCITY, approval_reason, velocity_window
from apps.approvals.services import approval_approve
from apps.iam.models import SCOPES
from apps.ledger.models import Hold, JournalEntry
from apps.ledger.movements import posting_movements
from apps.ledger.selectors import balance_get
from apps.ledger.services import fx_rate_set
from tests.conftest import make_client
from tests.factories import funded_account
from tests.staff import make_staff, otp_login

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def checker():
    return make_staff("boss", "administrator")


@pytest.fixture
def rich():
    return funded_account("50000.00", owner_id="rich")


@pytest.fixture
def payee():
    return funded_account("0.00", owner_id="payee")


def txn(client, body, key, **extra):
    return client.post("/api/v1/transactions", body, format="json", HTTP_IDEMPOTENCY_KEY=key, **extra)


def transfer(client, source, target, amount, key):
    body = {"type": "TRANSFER", "from_account": source.public_id, "to_account": target.public_id, "amount": amount}
    return txn(client, {**body, "currency": source.currency}, key)


def assert_pending(response, kind):
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["kind"], body["status"]) == (kind, "PENDING")
    return body["id"]


# --- opening an account --------------------------------------------------------------------------------


def test_opening_deposit_above_the_threshold_is_an_approval_request(api, checker):
    body = {"owner_id": "whale", "account_type": "CHECKING", "currency": "USD", "initial_balance": "250000.00"}
    approval_id = assert_pending(api.post("/api/v1/accounts", body, format="json"), "ACCOUNT_OPEN")
    assert not Account.objects.filter(owner_id="whale").exists() and not JournalEntry.objects.exists()
    approval = approval_approve(public_id=approval_id, checker=checker)
    assert approval.status == ApprovalStatus.EXECUTED, approval.error_message
    account = Account.objects.get(public_id=approval.result_ref)
    assert balance_get(account=account).ledger_minor == 25_000_000


def test_opening_with_an_overdraft_limit_always_needs_a_second_person(api, checker):
    body = {"owner_id": "o1", "account_type": "CHECKING", "currency": "USD", "overdraft_limit": "50.00"}
    approval_id = assert_pending(api.post("/api/v1/accounts", body, format="json"), "ACCOUNT_OPEN")
    assert not Account.objects.filter(owner_id="o1").exists()
    account = Account.objects.get(public_id=approval_approve(public_id=approval_id, checker=checker).result_ref)
    assert account.overdraft_limit_minor == 5000
    # without a limit and with a small deposit it opens at once
    assert api.post("/api/v1/accounts", {**body, "overdraft_limit": "0"}, format="json").status_code == 201


def test_staff_opening_with_an_overdraft_limit_needs_a_second_person():
    teller = otp_login(Client(), make_staff("tel", "teller"))
    body = {"owner_id": "o2", "account_type": "CHECKING", "currency": "USD", "overdraft_limit": "50.00"}
    response = teller.post("/api/v1/accounts", body, content_type=JSON)
    assert_pending(response, "ACCOUNT_OPEN")
    assert response.json()["maker"] == "tel" and not Account.objects.filter(owner_id="o2").exists()


def test_an_api_clients_overdraft_change_is_an_approval_request(api, rich):
    response = api.post(f"/api/v1/accounts/{rich.public_id}/overdraft", {"overdraft_limit": "900.00"}, format="json")
    assert_pending(response, "OVERDRAFT_LIMIT")
    rich.refresh_from_db()
    assert rich.overdraft_limit_minor == 0


# --- holds and captures --------------------------------------------------------------------------------


def test_a_large_hold_and_its_capture_each_need_a_second_person(api, rich, payee, checker):
    hold_body = {"account": rich.public_id, "amount": "20000.00", "currency": "USD"}
    approval_id = assert_pending(api.post("/api/v1/holds", hold_body, format="json", HTTP_IDEMPOTENCY_KEY="h"), "HOLD")
    assert not Hold.objects.exists()
    hold_id = approval_approve(public_id=approval_id, checker=checker).result_ref
    assert Hold.objects.get(public_id=hold_id).amount_minor == 2_000_000
    capture = api.post(
        f"/api/v1/holds/{hold_id}/capture", {"to_account": payee.public_id}, format="json", HTTP_IDEMPOTENCY_KEY="c"
    )
    capture_id = assert_pending(capture, "HOLD_CAPTURE")
    assert balance_get(account=payee).ledger_minor == 0
    assert approval_approve(public_id=capture_id, checker=checker).status == ApprovalStatus.EXECUTED
    assert balance_get(account=payee).ledger_minor == 2_000_000
    assert Hold.objects.get(public_id=hold_id).status == "CAPTURED"


def test_a_small_hold_is_placed_at_once(api, rich):
    body = {"account": rich.public_id, "amount": "50.00", "currency": "USD"}
    assert api.post("/api/v1/holds", body, format="json", HTTP_IDEMPOTENCY_KEY="h").status_code == 201


# --- splitting (velocity) ------------------------------------------------------------------------------


def test_splitting_a_transfer_below_the_threshold_is_caught(api, rich, payee):
    assert transfer(api, rich, payee, "4000.00", "s1").status_code == 201
    assert transfer(api, rich, payee, "4000.00", "s2").status_code == 201
    assert_pending(transfer(api, rich, payee, "4000.00", "s3"), "POSTING")  # 12,000 in the window
    assert balance_get(account=payee).ledger_minor == 800_000


def test_splitting_across_sources_into_one_account_is_caught(api, payee):
    sources = [funded_account("5000.00", owner_id=f"s{i}") for i in range(3)]
    assert transfer(api, sources[0], payee, "4000.00", "a").status_code == 201
    assert transfer(api, sources[1], payee, "4000.00", "b").status_code == 201
    assert_pending(transfer(api, sources[2], payee, "4000.00", "c"), "POSTING")


def test_many_small_opening_deposits_add_up_on_the_banks_cash_account(api):
    body = {"account_type": "CHECKING", "currency": "USD", "initial_balance": "4000.00"}
    for i in range(2):
        assert api.post("/api/v1/accounts", {**body, "owner_id": f"n{i}"}, format="json").status_code == 201
    assert_pending(api.post("/api/v1/accounts", {**body, "owner_id": "n2"}, format="json"), "ACCOUNT_OPEN")


def test_velocity_is_per_maker(rich, payee):
    first, second = make_client(sorted(SCOPES), name="one"), make_client(sorted(SCOPES), name="two")
    assert transfer(first, rich, payee, "6000.00", "k").status_code == 201
    assert transfer(second, rich, payee, "6000.00", "k").status_code == 201
    assert_pending(transfer(first, rich, payee, "6000.00", "k2"), "POSTING")


def test_what_was_approved_does_not_count_again(api, rich, payee, checker):
    approval_id = assert_pending(transfer(api, rich, payee, "15000.00", "big"), "POSTING")
    approval_approve(public_id=approval_id, checker=checker)
    assert transfer(api, rich, payee, "9000.00", "after").status_code == 201


def test_the_window_is_configurable_and_zero_turns_velocity_off(api, rich, payee, settings):
    settings.QENEX_APPROVAL_VELOCITY_WINDOW = "0"
    for i in range(3):
        assert transfer(api, rich, payee, "6000.00", f"w{i}").status_code == 201
    settings.QENEX_APPROVAL_VELOCITY_WINDOW = "1h"
    assert_pending(transfer(api, rich, payee, "6000.00", "w3"), "POSTING")
    # two hours later the same postings are out of the window and no longer count
    moves = posting_movements(entry_type="TRANSFER", amount_minor=600_000, currency="USD", source=rich, target=payee)
    actor = api.api_key.client.actor_name
    assert approval_reason(actor=actor, movements=moves) == VELOCITY
    assert approval_reason(actor=actor, movements=moves, now=timezone.now() + timedelta(hours=2)) is None


@pytest.mark.parametrize(("raw", "seconds"), [("90", 90), ("30m", 1800), ("24h", 86400), ("1d", 86400), ("0", 0)])
def test_velocity_window_format(settings, raw, seconds):
    settings.QENEX_APPROVAL_VELOCITY_WINDOW = raw
    assert velocity_window() == timedelta(seconds=seconds)


@pytest.mark.parametrize("raw", ["soon", "-5", "1w", "1.5h"])
def test_a_bad_velocity_window_is_refused(settings, raw):
    settings.QENEX_APPROVAL_VELOCITY_WINDOW = raw
    with pytest.raises(ImproperlyConfigured, match="QENEX_APPROVAL_VELOCITY_WINDOW"):
        velocity_window()


def test_a_retry_keeps_its_first_route_when_the_velocity_sum_moved(api, rich, payee):
    first = transfer(api, rich, payee, "6000.00", "r1")
    assert first.status_code == 201
    assert_pending(transfer(api, rich, payee, "6000.00", "r2"), "POSTING")
    replay = transfer(api, rich, payee, "6000.00", "r1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    assert transfer(api, rich, payee, "6000.00", "r2").status_code == 202
    assert ApprovalRequest.objects.count() == 1


def test_staff_splitting_is_caught_too(rich, payee):
    teller = otp_login(Client(), make_staff("tel", "teller"))
    body = {"type": "TRANSFER", "from_account": rich.public_id, "to_account": payee.public_id, "currency": "USD"}
    for key in ("t1", "t2"):
        response = teller.post(
            "/api/v1/transactions", {**body, "amount": "5000.00"}, content_type=JSON, HTTP_IDEMPOTENCY_KEY=key
        )
        assert response.status_code == 201, response.content
    response = teller.post(
        "/api/v1/transactions", {**body, "amount": "5000.00"}, content_type=JSON, HTTP_IDEMPOTENCY_KEY="t3"
    )
    assert_pending(response, "POSTING")


# --- FX, reversals, bad input --------------------------------------------------------------------------


def test_fx_transfer_is_weighed_in_the_target_currency_too(api, rich, settings):
    settings.QENEX_APPROVAL_THRESHOLD = "USD=10000,JPY=1000000"
    yen = funded_account("0", currency="JPY", owner_id="yen")
    fx_rate_set(base="USD", quote="JPY", rate="150")
    # 9,000 USD is below the USD threshold, but 1,350,000 JPY is above the JPY one
    assert_pending(transfer(api, rich, yen, "9000.00", "fx"), "POSTING")
    assert balance_get(account=yen).ledger_minor == 0


def test_reversing_a_large_entry_needs_a_second_person(api, rich, payee, checker):
    approval_id = assert_pending(transfer(api, rich, payee, "20000.00", "big"), "POSTING")
    entry_id = approval_approve(public_id=approval_id, checker=checker).result_ref
    reverse = api.post(f"/api/v1/transactions/{entry_id}/reverse", {}, format="json", HTTP_IDEMPOTENCY_KEY="rev")
    reversal_id = assert_pending(reverse, "POSTING")
    assert balance_get(account=payee).ledger_minor == 2_000_000
    assert approval_approve(public_id=reversal_id, checker=checker).status == ApprovalStatus.EXECUTED
    assert balance_get(account=payee).ledger_minor == 0


def test_bad_input_above_the_threshold_is_a_4xx_not_an_approval(api, rich, payee):
    for change, code in [
        ({"amount": "20000.001"}, "too_many_decimals"),
        ({"currency": "EUR"}, "currency_mismatch"),
        ({"to_account": rich.public_id}, "same_account"),
    ]:
        body = {"type": "TRANSFER", "from_account": rich.public_id, "to_account": payee.public_id}
        body.update({"amount": "20000.00", "currency": "USD", **change})
        response = txn(api, body, f"bad-{code}")
        assert response.status_code == 400 and response.json()["error"]["code"] == code, response.content
    bad_open = {"owner_id": "x", "account_type": "NOSTRO", "currency": "USD", "initial_balance": "20000"}
    assert api.post("/api/v1/accounts", bad_open, format="json").status_code == 400
    assert not ApprovalRequest.objects.exists()


def test_an_api_client_maker_is_recorded_and_cannot_decide(api, rich, payee):
    approval_id = assert_pending(transfer(api, rich, payee, "20000.00", "big"), "POSTING")
    approval = ApprovalRequest.objects.get(public_id=approval_id)
    assert approval.maker_id is None and approval.maker_client_id == api.api_key.client_id
    assert api.post(f"/api/v1/approvals/{approval_id}/approve", {}, format="json").status_code == 403
    assert approval.kind == ApprovalKind.POSTING


# --- concurrency ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_of_one_maker_cannot_all_slip_under_the_velocity_sum():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (advisory locks, concurrent connections)")
    source = funded_account("50000.00", owner_id="rich")
    target = funded_account("0.00", owner_id="payee")
    api = make_client(sorted(SCOPES), name="burst")
    token = api._credentials["HTTP_AUTHORIZATION"]
    statuses: list[int] = []
    start = threading.Barrier(8)

    def worker(i: int) -> None:
        client = Client(HTTP_AUTHORIZATION=token)
        body = {"type": "TRANSFER", "from_account": source.public_id, "to_account": target.public_id}
        body.update(amount="2000.00", currency="USD")
        try:
            start.wait()
            response = client.post("/api/v1/transactions", body, content_type=JSON, HTTP_IDEMPOTENCY_KEY=f"b{i}")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 8 x 2,000 = 16,000: five fit under 10,000 and go through at once, the other three wait for a checker
    assert sorted(statuses) == [201] * 5 + [202] * 3
    assert balance_get(account=target).ledger_minor == 1_000_000
