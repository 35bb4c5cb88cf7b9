"""kyc_required: accounts open only for verified customers, and unverified customers move money only within limits."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.accounts.models import Account
from apps.accounts.services import OpeningRefused
from apps.customers.models import Customer
from apps.ledger.checks import RefusedByCheck
from apps.ledger.services import account_open, post_batch, post_deposit, post_withdrawal
from tests.conftest import make_client

from .conftest import person, verified

pytestmark = pytest.mark.django_db


def _open(owner_id: str, **kwargs) -> Account:
    return account_open(owner_id=owner_id, account_type="CHECKING", currency="EUR", **kwargs)


def test_an_account_opens_for_a_verified_customer(kyc_on):
    customer = verified()
    account = _open(customer.public_id, initial_balance="50.00")
    assert account.owner_id == customer.public_id


def test_an_account_for_an_unverified_customer_is_refused_with_a_code(kyc_on):
    customer = person()
    with pytest.raises(OpeningRefused) as refused:
        _open(customer.public_id)
    assert (refused.value.code, refused.value.http_status) == ("kyc_not_verified", 403)
    assert not Account.objects.filter(owner_id=customer.public_id).exists()


def test_an_account_for_an_owner_that_is_no_customer_is_refused(kyc_on):
    with pytest.raises(OpeningRefused) as refused:
        _open("somebody")
    assert refused.value.code == "unknown_customer"


def test_with_kyc_required_off_any_owner_id_still_opens_an_account():
    assert _open("legacy-owner").owner_id == "legacy-owner"


def test_the_api_answers_403_kyc_not_verified_and_opens_nothing(kyc_on):
    customer = person()
    client = make_client(["accounts:write", "accounts:read"])
    response = client.post(
        "/api/v1/accounts",
        {"owner_id": customer.public_id, "account_type": "CHECKING", "currency": "EUR"},
        format="json",
    )
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "kyc_not_verified"
    verified(customer)
    response = client.post(
        "/api/v1/accounts",
        {"owner_id": customer.public_id, "account_type": "CHECKING", "currency": "EUR"},
        format="json",
    )
    assert response.status_code == 201, response.content


def test_a_lapsed_customer_cannot_move_money_beyond_the_limit(kyc_on):
    customer = verified()
    account = _open(customer.public_id, initial_balance="500.00")
    Customer.objects.filter(pk=customer.pk).update(kyc_expires_on=dt.date.today() - dt.timedelta(days=1))
    with pytest.raises(RefusedByCheck) as refused:
        post_withdrawal(from_account=account.public_id, amount="10.00", currency="EUR")
    assert refused.value.code == "kyc_not_verified"
    kyc_on.QENEX_KYC_UNVERIFIED_POSTING_LIMIT_MINOR = 2000  # 20.00 per posting while the review is due
    post_withdrawal(from_account=account.public_id, amount="20.00", currency="EUR")
    with pytest.raises(RefusedByCheck):
        post_deposit(to_account=account.public_id, amount="20.01", currency="EUR")


def test_a_verified_customer_moves_money(kyc_on):
    account = _open(verified().public_id, initial_balance="100.00")
    assert post_withdrawal(from_account=account.public_id, amount="60.00", currency="EUR").entry is not None


def test_accounts_of_owners_that_are_no_customer_are_not_refused(kyc_on):
    kyc_on.QENEX = {**kyc_on.QENEX, "compliance": {**kyc_on.QENEX["compliance"], "kyc_required": False}}
    account = _open("legacy-owner", initial_balance="100.00")
    kyc_on.QENEX = {**kyc_on.QENEX, "compliance": {**kyc_on.QENEX["compliance"], "kyc_required": True}}
    post_withdrawal(from_account=account.public_id, amount="60.00", currency="EUR")


def test_a_batch_refuses_the_entries_of_an_unverified_customer_beyond_the_limit(kyc_on, django_assert_max_num_queries):
    good = _open(verified().public_id, initial_balance="100.00")
    lapsed_customer = verified()
    lapsed = _open(lapsed_customer.public_id, initial_balance="100.00")
    Customer.objects.filter(pk=lapsed_customer.pk).update(kyc_expires_on=dt.date.today() - dt.timedelta(days=1))
    kyc_on.QENEX_KYC_UNVERIFIED_POSTING_LIMIT_MINOR = 500
    entries = [
        {"type": "WITHDRAWAL", "from_account": good.public_id, "amount": "10.00", "currency": "EUR"},
        {"type": "WITHDRAWAL", "from_account": lapsed.public_id, "amount": "10.00", "currency": "EUR"},
        {"type": "WITHDRAWAL", "from_account": lapsed.public_id, "amount": "5.00", "currency": "EUR"},  # within
        {
            "type": "TRANSFER",
            "from_account": good.public_id,
            "to_account": lapsed.public_id,
            "amount": "6.00",
            "currency": "EUR",
        },  # the unverified customer is on the receiving side: refused too
    ]
    for i, entry in enumerate(entries):
        entry["idempotency_key"] = f"kyc-batch-{i}"
    with django_assert_max_num_queries(20) as captured:
        result = post_batch(entries=entries, mode="independent")
    assert [(item.status, item.code) for item in result.items] == [
        ("posted", None),
        ("refused", "kyc_not_verified"),
        ("posted", None),
        ("refused", "kyc_not_verified"),
    ]
    assert sum("customers_customer" in q["sql"] for q in captured.captured_queries) == 1
