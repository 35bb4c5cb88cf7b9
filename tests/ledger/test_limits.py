"""Amount and balance maxima: no posting can overflow a 64-bit balance, and no client can stop a currency.

Balances are PostgreSQL bigints. Repeated huge deposits used to drive the bank's CASH account (minus the sum of
every customer's deposits) past the bigint limit, after which every deposit in that currency answered 500
``bigint out of range``. Now each posting is capped (``QENEX_MAX_POSTING_AMOUNT``), each customer balance is
capped (``QENEX_MAX_ACCOUNT_BALANCE``), and if the bank's own accounts would ever overflow anyway the posting is
refused with 422 ``balance_limit_exceeded``, never a 500.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DataError, connection, transaction

from apps.accounts.models import BANK_OWNER_ID, Account, AccountType
from apps.core import limits
from apps.core.api.exception_handler import api_exception_handler
from apps.core.db import retry_on_conflict
from apps.core.errors import AmountTooLarge, BalanceLimitExceeded
from apps.core.money import active_currencies
from apps.ledger import selectors, services
from apps.ledger.models import AccountBalance, JournalEntry, Posting
from apps.ledger.services import account_open
from tests.factories import funded_account

pytestmark = pytest.mark.django_db

BIGINT_MAX = 2**63 - 1


def snapshot():
    return (
        JournalEntry.objects.count(),
        Posting.objects.count(),
        sorted(AccountBalance.objects.values_list("account_id", "ledger_minor")),
    )


def minor(account: Account) -> int:
    return selectors.balance_get(account=account).ledger_minor


# --- the reported defect: the bank's CASH account overflowing ----------------------------------------------


def test_deposits_that_would_overflow_the_bank_cash_account_are_refused_with_422_not_500(api, settings):
    # The largest limits the configuration accepts: 10**17 minor units per posting and per account, so 92 full
    # accounts bring the bank's CASH USD account to -9.2e18, a hair above the bigint minimum.
    settings.QENEX_MAX_POSTING_AMOUNT = settings.QENEX_MAX_ACCOUNT_BALANCE = "USD=1000000000000000"
    settings.QENEX_APPROVAL_THRESHOLD = "USD=10000000000000000"  # this test is about the limit, not four-eyes
    huge = "1000000000000000.00"
    for n in range(92):
        acc = account_open(owner_id=f"whale-{n}", account_type="CHECKING", currency="USD")
        services.post_deposit(to_account=acc.public_id, amount=huge, currency="USD")
    cash = Account.objects.get(owner_id=BANK_OWNER_ID, account_type=AccountType.CASH, currency="USD")
    assert minor(cash) == -92 * 10**17

    last = account_open(owner_id="whale-92", account_type="CHECKING", currency="USD")
    before = snapshot()
    body = {"type": "DEPOSIT", "to_account": last.public_id, "amount": huge, "currency": "USD"}
    response = api.post("/api/v1/transactions", body, format="json", HTTP_IDEMPOTENCY_KEY="overflow")
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "balance_limit_exceeded"
    assert snapshot() == before
    with pytest.raises(BalanceLimitExceeded):
        services.post_deposit(to_account=last.public_id, amount=huge, currency="USD")  # the SDK's path too

    # The currency keeps working: ordinary deposits still fit, and withdrawals make room again.
    services.post_deposit(to_account=last.public_id, amount="100.00", currency="USD")
    assert minor(last) == 10_000


def test_one_account_cannot_take_more_than_the_maximum_balance(settings):
    settings.QENEX_MAX_ACCOUNT_BALANCE = "USD=5000,*=1000000"
    acc = funded_account("4999.99")
    services.post_deposit(to_account=acc.public_id, amount="0.01", currency="USD")
    other = funded_account("10.00", owner_id="other")
    hold = services.hold_place(account=other.public_id, amount="1", currency="USD").hold
    before = snapshot()
    with pytest.raises(BalanceLimitExceeded) as refused:
        services.post_deposit(to_account=acc.public_id, amount="0.01", currency="USD")
    assert (refused.value.code, refused.value.field, refused.value.http_status) == (
        "balance_limit_exceeded",
        "to_account",
        422,
    )
    with pytest.raises(BalanceLimitExceeded) as refused:
        services.post_transfer(from_account=other.public_id, to_account=acc.public_id, amount="1", currency="USD")
    assert refused.value.field == "to_account"
    with pytest.raises(BalanceLimitExceeded):
        services.hold_capture(hold_id=hold.public_id, to_account=acc.public_id)
    assert snapshot() == before
    services.post_withdrawal(from_account=acc.public_id, amount="1", currency="USD")
    services.hold_capture(hold_id=hold.public_id, to_account=acc.public_id)
    assert minor(acc) == 500_000


@pytest.mark.parametrize("kind", ["DEPOSIT", "WITHDRAWAL", "FEE", "TRANSFER", "HOLD"])
def test_a_posting_above_the_maximum_is_refused_with_amount_too_large(api, settings, kind):
    settings.QENEX_MAX_POSTING_AMOUNT = "USD=1000,JPY=150000,*=1000000"
    acc = funded_account("1000.00")
    other = funded_account("0", owner_id="other")
    accounts = {
        "DEPOSIT": {"to_account": acc.public_id},
        "WITHDRAWAL": {"from_account": acc.public_id},
        "FEE": {"from_account": acc.public_id},
        "TRANSFER": {"from_account": acc.public_id, "to_account": other.public_id},
    }
    path = "/api/v1/holds" if kind == "HOLD" else "/api/v1/transactions"
    if kind == "HOLD":
        body = {"account": acc.public_id, "currency": "USD"}
    else:
        body = {"type": kind, "currency": "USD", **accounts[kind]}
    before = snapshot()
    response = api.post(path, {**body, "amount": "1000.01"}, format="json", HTTP_IDEMPOTENCY_KEY=f"{kind}-big")
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("amount_too_large", "amount")
    assert "1000.00 USD" in error["message"]
    assert snapshot() == before
    response = api.post(path, {**body, "amount": "1000.00"}, format="json", HTTP_IDEMPOTENCY_KEY=f"{kind}-max")
    assert response.status_code == 201, response.content


def test_maxima_are_per_currency_in_major_units(settings):
    settings.QENEX_MAX_POSTING_AMOUNT = "USD=1000,JPY=150000,*=20"
    settings.QENEX_MAX_ACCOUNT_BALANCE = "3000000"
    assert limits.max_posting_minor("USD") == 100_000
    assert limits.max_posting_minor("JPY") == 150_000
    assert limits.max_posting_minor("KWD") == 20_000
    assert limits.max_balance_minor("USD") == 300_000_000 and limits.max_balance_minor("JPY") == 3_000_000
    jpy = account_open(owner_id="taro", account_type="CHECKING", currency="JPY")
    services.post_deposit(to_account=jpy.public_id, amount="150000", currency="JPY")
    with pytest.raises(AmountTooLarge):
        services.post_deposit(to_account=jpy.public_id, amount="150001", currency="JPY")


def test_opening_balance_and_overdraft_limit_are_capped_naming_their_fields(settings):
    settings.QENEX_MAX_POSTING_AMOUNT = "1000"
    settings.QENEX_MAX_ACCOUNT_BALANCE = "5000"
    accounts = Account.objects.count()
    with pytest.raises(AmountTooLarge) as refused:
        account_open(owner_id="o", account_type="CHECKING", currency="USD", initial_balance="1000.01")
    assert refused.value.field == "initial_balance"
    with pytest.raises(AmountTooLarge) as refused:
        account_open(owner_id="o", account_type="CHECKING", currency="USD", overdraft_limit="5000.01")
    assert refused.value.field == "overdraft_limit"
    assert Account.objects.count() == accounts
    acc = account_open(owner_id="o", account_type="CHECKING", currency="USD", overdraft_limit="5000")
    from apps.accounts.services import account_set_overdraft_limit

    with pytest.raises(AmountTooLarge) as refused:
        account_set_overdraft_limit(public_id=acc.public_id, limit="5000.01")
    assert refused.value.field == "overdraft_limit"


def test_fx_conversion_whose_result_exceeds_the_target_maximum_is_refused_not_500():
    # Default limits; an extreme but valid rate makes the converted amount larger than a bigint can hold.
    usd = funded_account("1000000000.00")
    jpy = account_open(owner_id="taro", account_type="CHECKING", currency="JPY")
    services.fx_rate_set(base="USD", quote="JPY", rate="9999999999999999")
    before = snapshot()
    with pytest.raises(AmountTooLarge) as refused:
        services.post_transfer(from_account=usd.public_id, to_account=jpy.public_id, amount="1000000", currency="USD")
    assert refused.value.field == "amount"
    assert snapshot() == before


# --- a database-level numeric overflow is a coded 4xx wherever it comes from ------------------------------


def _real_bigint_overflow() -> DataError:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT CAST(%s AS BIGINT) + 1", [BIGINT_MAX])
    except DataError as exc:
        return exc
    raise AssertionError("PostgreSQL did not overflow")  # pragma: no cover


def test_a_database_numeric_overflow_maps_to_a_coded_422_in_the_api(on_postgresql):
    response = api_exception_handler(_real_bigint_overflow(), {})
    assert response.status_code == 422
    assert response.data["error"]["code"] == "amount_too_large"


def test_a_database_numeric_overflow_in_a_service_is_a_domain_error(on_postgresql):
    @retry_on_conflict()
    def overflowing_service() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT CAST(%s AS BIGINT) + 1", [BIGINT_MAX])

    with pytest.raises(AmountTooLarge):
        overflowing_service()
    with connection.cursor() as cursor:  # the connection is still usable
        cursor.execute("SELECT 1")


# --- configuration ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["", "lots", "USD=-1", "USD=0", "USD=1e999", "XYZ=10", "USD=1000000000000001", "USD=NaN"],
)
def test_bad_limit_settings_stop_with_a_message(settings, raw):
    settings.QENEX_MAX_POSTING_AMOUNT = raw
    with pytest.raises(ImproperlyConfigured, match="QENEX_MAX_POSTING_AMOUNT"):
        limits.max_posting_minor("USD")


def test_default_maxima_leave_the_bank_accounts_room_in_every_currency():
    """With the defaults a currency's CASH account overflows only after this many accounts hold the maximum."""
    full_accounts = {code: BIGINT_MAX // limits.max_balance_minor(code) for code in active_currencies()}
    assert min(full_accounts.values()) >= 900  # the 4-decimal units of account (CLF, UYW)
    assert full_accounts["USD"] >= 90_000 and full_accounts["JPY"] >= 9_000_000
    for code in active_currencies():
        assert limits.max_posting_minor(code) <= limits.max_balance_minor(code)
    assert limits.max_posting_minor("USD") == 100_000_000_000 * 100
    assert Decimal(limits.max_balance_minor("USD")).scaleb(-2) == Decimal("1000000000000")
