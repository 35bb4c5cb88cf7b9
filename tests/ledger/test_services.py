"""The ledger's rules, as worked examples. Every refused request must leave every balance unchanged."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from apps.accounts.errors import AccountNotActive, AccountNotFound
from apps.accounts.models import BANK_OWNER_ID, Account, AccountType
from apps.accounts.services import account_set_overdraft_limit
from apps.core.errors import IdempotencyConflict, InvalidAmount, InvalidInput, UnknownCurrency
from apps.ledger import selectors, services
from apps.ledger.errors import (
    AlreadyReversed,
    CurrencyMismatch,
    FxRateNotFound,
    HoldNotActive,
    InsufficientFunds,
    SameAccount,
    TransactionNotFound,
)
from apps.ledger.models import AccountBalance, EntryType, HoldStatus, JournalEntry, Posting
from apps.ledger.services import account_change_status, account_open
from tests.factories import funded_account

pytestmark = pytest.mark.django_db


def balance(account: Account) -> Decimal:
    b = selectors.balance_get(account=account)
    exp = {"JPY": 0, "KWD": 3}.get(account.currency, 2)
    return Decimal(b.ledger_minor).scaleb(-exp)


def available(account: Account) -> int:
    return selectors.balance_get(account=account).available_minor


def ledger_snapshot() -> tuple[int, int, list[tuple[int, int]]]:
    return (
        JournalEntry.objects.count(),
        Posting.objects.count(),
        sorted(AccountBalance.objects.values_list("account_id", "ledger_minor")),
    )


# --- deposits, withdrawals, fees ----------------------------------------------------------------------


def test_deposit_credits_customer_and_debits_bank_cash():
    acc = account_open(owner_id="alice", account_type="CHECKING", currency="USD")
    result = services.post_deposit(to_account=acc.public_id, amount="250.75", currency="USD")
    assert balance(acc) == Decimal("250.75")
    cash = Account.objects.get(owner_id=BANK_OWNER_ID, account_type=AccountType.CASH, currency="USD")
    assert selectors.balance_get(account=cash).ledger_minor == -25075
    postings = list(result.entry.postings.order_by("id").values_list("account_id", "amount_minor"))
    assert postings == [(cash.pk, -25075), (acc.pk, 25075)]
    assert result.entry.entry_type == EntryType.DEPOSIT


def test_initial_balance_is_an_opening_deposit():
    acc = funded_account("10000.00")
    assert balance(acc) == Decimal("10000.00")
    assert JournalEntry.objects.get(to_account=acc).description == "Opening balance"


def test_withdrawal_and_fee_debit_the_customer():
    acc = funded_account("100.00")
    services.post_withdrawal(from_account=acc.public_id, amount="40", currency="USD")
    fee = services.post_fee(from_account=acc.public_id, amount="2.50", currency="USD", description="ATM fee")
    assert balance(acc) == Decimal("57.50")
    income = Account.objects.get(owner_id=BANK_OWNER_ID, account_type=AccountType.FEE_INCOME, currency="USD")
    assert selectors.balance_get(account=income).ledger_minor == 250
    assert fee.entry.entry_type == EntryType.FEE


def test_all_balances_in_a_currency_sum_to_zero():
    a, b = funded_account("500.00"), funded_account("70.00")
    services.post_transfer(from_account=a.public_id, to_account=b.public_id, amount="123.45", currency="USD")
    services.post_fee(from_account=b.public_id, amount="1.00", currency="USD")
    assert AccountBalance.objects.filter(currency="USD").aggregate(s=Sum("ledger_minor"))["s"] == 0


# --- transfers ------------------------------------------------------------------------------------------


def test_transfer_moves_exact_amount_and_records_running_balances():
    a, b = funded_account("1000.00"), funded_account("0.01")
    result = services.post_transfer(from_account=a.public_id, to_account=b.public_id, amount="999.99", currency="USD")
    assert (balance(a), balance(b)) == (Decimal("0.01"), Decimal("1000.00"))
    after = dict(result.entry.postings.values_list("account_id", "balance_after_minor"))
    assert after == {a.pk: 1, b.pk: 100000}


def test_cached_balance_equals_sum_of_postings():
    a, b = funded_account("300.00"), funded_account("300.00")
    for amount in ("10.00", "20.01", "0.99"):
        services.post_transfer(from_account=a.public_id, to_account=b.public_id, amount=amount, currency="USD")
    for acc in (a, b):
        assert selectors.balance_get(account=acc).ledger_minor == selectors.postings_sum(account=acc)


def test_transfer_beyond_balance_is_refused_and_changes_nothing():
    a, b = funded_account("100.00"), funded_account("0")
    before = ledger_snapshot()
    with pytest.raises(InsufficientFunds) as err:
        services.post_transfer(from_account=a.public_id, to_account=b.public_id, amount="100.01", currency="USD")
    assert err.value.field == "from_account"
    assert ledger_snapshot() == before


def test_overdraft_limit_lets_balance_go_negative_up_to_the_limit():
    a, b = funded_account("10.00"), funded_account("0")
    account_set_overdraft_limit(public_id=a.public_id, limit="50.00")
    services.post_transfer(from_account=a.public_id, to_account=b.public_id, amount="60.00", currency="USD")
    assert balance(a) == Decimal("-50.00")
    with pytest.raises(InsufficientFunds):
        services.post_transfer(from_account=a.public_id, to_account=b.public_id, amount="0.01", currency="USD")


@pytest.mark.parametrize(
    ("amount", "currency", "error", "code"),
    [
        ("0", "USD", InvalidAmount, "invalid_amount"),
        ("-5.00", "USD", InvalidAmount, "invalid_amount"),
        ("10.001", "USD", InvalidAmount, "too_many_decimals"),
        ("abc", "USD", InvalidAmount, "invalid_amount"),
        ("NaN", "USD", InvalidAmount, "invalid_amount"),
        ("1e3", "USD", InvalidAmount, "invalid_amount"),
        (10.5, "USD", InvalidAmount, "invalid_amount"),
        ("10.00", "XYZ", UnknownCurrency, "unknown_currency"),
        ("10.00", "usd", UnknownCurrency, "unknown_currency"),
    ],
)
def test_bad_amounts_and_currencies_are_refused_without_change(amount, currency, error, code):
    a, b = funded_account("100.00"), funded_account("0")
    before = ledger_snapshot()
    with pytest.raises(error) as err:
        services.post_transfer(from_account=a.public_id, to_account=b.public_id, amount=amount, currency=currency)
    assert err.value.code == code
    assert ledger_snapshot() == before


def test_currency_precision_follows_iso_4217():
    jpy = account_open(owner_id="tanaka", account_type="CHECKING", currency="JPY")
    kwd = account_open(owner_id="sabah", account_type="CHECKING", currency="KWD")
    services.post_deposit(to_account=jpy.public_id, amount="1500", currency="JPY")
    services.post_deposit(to_account=kwd.public_id, amount="1.125", currency="KWD")
    assert selectors.balance_get(account=jpy).ledger_minor == 1500
    assert selectors.balance_get(account=kwd).ledger_minor == 1125
    with pytest.raises(InvalidAmount, match="JPY has 0 decimal places"):
        services.post_deposit(to_account=jpy.public_id, amount="1.5", currency="JPY")
    with pytest.raises(InvalidAmount, match="KWD has 3 decimal places"):
        services.post_deposit(to_account=kwd.public_id, amount="1.1255", currency="KWD")


def test_trailing_zeros_beyond_minor_units_are_not_extra_precision():
    acc = account_open(owner_id="o", account_type="CHECKING", currency="JPY")
    services.post_deposit(to_account=acc.public_id, amount="100.000", currency="JPY")
    assert selectors.balance_get(account=acc).ledger_minor == 100


def test_transfer_to_same_account_is_refused():
    a = funded_account("100.00")
    with pytest.raises(SameAccount):
        services.post_transfer(from_account=a.public_id, to_account=a.public_id, amount="1.00", currency="USD")


def test_unknown_account_is_refused_naming_the_field():
    a = funded_account("100.00")
    with pytest.raises(AccountNotFound) as err:
        services.post_transfer(from_account=a.public_id, to_account="acc_doesnotexist", amount="1", currency="USD")
    assert err.value.field == "to_account"


def test_wrong_currency_for_account_is_refused():
    a, b = funded_account("100.00"), funded_account("0")
    with pytest.raises(CurrencyMismatch):
        services.post_transfer(from_account=a.public_id, to_account=b.public_id, amount="1.00", currency="EUR")


@pytest.mark.parametrize("status", ["FROZEN", "CLOSED"])
def test_frozen_or_closed_accounts_cannot_be_debited_or_credited(status):
    a, b = funded_account("100.00"), funded_account("0")
    if status == "CLOSED":
        account_change_status(public_id=b.public_id, status="CLOSED")
    else:
        account_change_status(public_id=b.public_id, status="FROZEN")
    before = ledger_snapshot()
    with pytest.raises(AccountNotActive) as err:
        services.post_transfer(from_account=a.public_id, to_account=b.public_id, amount="1.00", currency="USD")
    assert err.value.field == "to_account"
    assert ledger_snapshot() == before


def test_pending_account_cannot_receive_money_until_activated():
    acc = account_open(owner_id="new", account_type="SAVINGS", currency="USD", activate=False)
    with pytest.raises(AccountNotActive):
        services.post_deposit(to_account=acc.public_id, amount="5", currency="USD")
    account_change_status(public_id=acc.public_id, status="ACTIVE")
    services.post_deposit(to_account=acc.public_id, amount="5", currency="USD")
    assert balance(acc) == Decimal("5.00")


def test_description_and_metadata_are_validated():
    a, b = funded_account("100.00"), funded_account("0")
    with pytest.raises(InvalidInput, match="description"):
        services.post_transfer(
            from_account=a.public_id, to_account=b.public_id, amount="1", currency="USD", description="x" * 281
        )
    with pytest.raises(InvalidInput, match="metadata"):
        services.post_transfer(
            from_account=a.public_id, to_account=b.public_id, amount="1", currency="USD", metadata=["not", "a", "dict"]
        )


# --- idempotency ----------------------------------------------------------------------------------------


def test_same_key_same_request_returns_the_original_entry_once():
    a, b = funded_account("100.00"), funded_account("0")
    first = services.post_transfer(
        from_account=a.public_id, to_account=b.public_id, amount="30", currency="USD", idempotency_key="k-1"
    )
    again = services.post_transfer(
        from_account=a.public_id, to_account=b.public_id, amount="30", currency="USD", idempotency_key="k-1"
    )
    assert (first.replayed, again.replayed) == (False, True)
    assert again.entry.pk == first.entry.pk
    assert balance(a) == Decimal("70.00")


def test_same_key_different_request_is_a_conflict():
    a, b = funded_account("100.00"), funded_account("0")
    services.post_transfer(
        from_account=a.public_id, to_account=b.public_id, amount="30", currency="USD", idempotency_key="k-2"
    )
    with pytest.raises(IdempotencyConflict):
        services.post_transfer(
            from_account=a.public_id, to_account=b.public_id, amount="31", currency="USD", idempotency_key="k-2"
        )
    assert balance(a) == Decimal("70.00")


def test_replay_answers_even_after_the_account_changed():
    a = funded_account("100.00")
    services.post_withdrawal(from_account=a.public_id, amount="100", currency="USD", idempotency_key="w")
    again = services.post_withdrawal(from_account=a.public_id, amount="100", currency="USD", idempotency_key="w")
    assert again.replayed and balance(a) == Decimal("0.00")


def test_idempotent_account_opening():
    first = account_open(
        owner_id="o", account_type="CHECKING", currency="USD", initial_balance="5", idempotency_key="open-1"
    )
    again = account_open(
        owner_id="o", account_type="CHECKING", currency="USD", initial_balance="5", idempotency_key="open-1"
    )
    assert first.pk == again.pk and balance(first) == Decimal("5.00")
    with pytest.raises(IdempotencyConflict):
        account_open(owner_id="o", account_type="SAVINGS", currency="USD", idempotency_key="open-1")


# --- reversals ------------------------------------------------------------------------------------------


def test_reversal_restores_balances_and_links_both_entries():
    a, b = funded_account("100.00"), funded_account("0")
    t = services.post_transfer(from_account=a.public_id, to_account=b.public_id, amount="40", currency="USD")
    r = services.post_reversal(transaction_id=t.entry.public_id)
    assert (balance(a), balance(b)) == (Decimal("100.00"), Decimal("0.00"))
    assert r.entry.reverses_id == t.entry.pk and r.entry.entry_type == EntryType.REVERSAL
    with pytest.raises(AlreadyReversed):
        services.post_reversal(transaction_id=t.entry.public_id)
    with pytest.raises(InvalidInput, match="cannot itself be reversed"):
        services.post_reversal(transaction_id=r.entry.public_id)


def test_reversal_that_would_overdraw_is_refused():
    a, b = funded_account("100.00"), funded_account("0")
    t = services.post_transfer(from_account=a.public_id, to_account=b.public_id, amount="40", currency="USD")
    services.post_withdrawal(from_account=b.public_id, amount="40", currency="USD")
    with pytest.raises(InsufficientFunds):
        services.post_reversal(transaction_id=t.entry.public_id)


def test_reversal_of_unknown_transaction():
    with pytest.raises(TransactionNotFound):
        services.post_reversal(transaction_id="txn_nope")


# --- holds ----------------------------------------------------------------------------------------------


def test_hold_reduces_available_but_not_ledger_balance():
    acc = funded_account("100.00")
    services.hold_place(account=acc.public_id, amount="60.00", currency="USD")
    bal = selectors.balance_get(account=acc)
    assert (bal.ledger_minor, bal.held_minor, bal.available_minor) == (10000, 6000, 4000)
    with pytest.raises(InsufficientFunds):
        services.post_withdrawal(from_account=acc.public_id, amount="40.01", currency="USD")
    with pytest.raises(InsufficientFunds):
        services.hold_place(account=acc.public_id, amount="40.01", currency="USD")


def test_partial_capture_posts_and_releases_the_rest():
    acc, merchant = funded_account("100.00"), funded_account("0")
    hold = services.hold_place(account=acc.public_id, amount="60.00", currency="USD").hold
    capture = services.hold_capture(hold_id=hold.public_id, to_account=merchant.public_id, amount="45.00")
    hold.refresh_from_db()
    assert hold.status == HoldStatus.CAPTURED and hold.captured_minor == 4500
    assert capture.entry.entry_type == EntryType.HOLD_CAPTURE
    assert (balance(acc), balance(merchant), available(acc)) == (Decimal("55.00"), Decimal("45.00"), 5500)
    with pytest.raises(HoldNotActive):
        services.hold_capture(hold_id=hold.public_id, to_account=merchant.public_id)


def test_capture_can_use_the_held_funds_even_when_nothing_else_is_available():
    acc, merchant = funded_account("50.00"), funded_account("0")
    hold = services.hold_place(account=acc.public_id, amount="50.00", currency="USD").hold
    services.hold_capture(hold_id=hold.public_id, to_account=merchant.public_id)
    assert balance(acc) == Decimal("0.00")


def test_capture_more_than_held_is_refused():
    acc, merchant = funded_account("100.00"), funded_account("0")
    hold = services.hold_place(account=acc.public_id, amount="10.00", currency="USD").hold
    with pytest.raises(InvalidInput):
        services.hold_capture(hold_id=hold.public_id, to_account=merchant.public_id, amount="10.01")


def test_void_releases_and_expired_holds_stop_counting():
    acc = funded_account("100.00")
    hold = services.hold_place(account=acc.public_id, amount="30", currency="USD").hold
    services.hold_void(hold_id=hold.public_id)
    assert available(acc) == 10000
    soon = services.hold_place(
        account=acc.public_id, amount="30", currency="USD", expires_at=timezone.now() + timedelta(seconds=1)
    ).hold
    assert available(acc) == 7000
    assert services.holds_expire(now=timezone.now() + timedelta(seconds=2)) == 1
    soon.refresh_from_db()
    assert soon.status == HoldStatus.EXPIRED
    with pytest.raises(HoldNotActive):
        services.hold_capture(hold_id=soon.public_id, to_account=funded_account("0").public_id)


def test_hold_in_the_past_is_refused():
    acc = funded_account("100.00")
    with pytest.raises(InvalidInput):
        services.hold_place(
            account=acc.public_id, amount="1", currency="USD", expires_at=timezone.now() - timedelta(seconds=1)
        )


def test_account_with_open_hold_cannot_close():
    acc = account_open(owner_id="o", account_type="CHECKING", currency="USD")
    account_set_overdraft_limit(public_id=acc.public_id, limit="10")
    services.hold_place(account=acc.public_id, amount="5", currency="USD")
    from apps.accounts.errors import AccountNotEmpty

    with pytest.raises(AccountNotEmpty):
        account_change_status(public_id=acc.public_id, status="CLOSED")


# --- FX -------------------------------------------------------------------------------------------------


def test_fx_transfer_balances_each_currency_through_position_accounts():
    usd = funded_account("1000.00")
    eur = account_open(owner_id="pierre", account_type="CHECKING", currency="EUR")
    services.fx_rate_set(base="USD", quote="EUR", rate="0.9213")
    t = services.post_transfer(from_account=usd.public_id, to_account=eur.public_id, amount="100.00", currency="USD")
    assert balance(usd) == Decimal("900.00") and balance(eur) == Decimal("92.13")
    per_currency = dict(
        t.entry.postings.values("currency").annotate(s=Sum("amount_minor")).values_list("currency", "s")
    )
    assert per_currency == {"USD": 0, "EUR": 0}
    assert t.entry.metadata["fx"]["rate"] == "0.9213"


def test_latest_rate_in_force_is_used_and_future_rates_are_not():
    usd = funded_account("100.00")
    eur = account_open(owner_id="p", account_type="CHECKING", currency="EUR")
    services.fx_rate_set(base="USD", quote="EUR", rate="0.90", valid_from=timezone.now() - timedelta(hours=1))
    services.fx_rate_set(base="USD", quote="EUR", rate="0.95")
    services.fx_rate_set(base="USD", quote="EUR", rate="2.00", valid_from=timezone.now() + timedelta(days=1))
    services.post_transfer(from_account=usd.public_id, to_account=eur.public_id, amount="10.00", currency="USD")
    assert balance(eur) == Decimal("9.50")


def test_fx_without_rate_is_refused_without_change():
    usd = funded_account("100.00")
    gbp = account_open(owner_id="p", account_type="CHECKING", currency="GBP")
    before = ledger_snapshot()
    with pytest.raises(FxRateNotFound):
        services.post_transfer(from_account=usd.public_id, to_account=gbp.public_id, amount="1.00", currency="USD")
    assert ledger_snapshot() == before


@pytest.mark.parametrize(
    ("base", "quote", "rate"), [("USD", "USD", "1"), ("USD", "EUR", "0"), ("USD", "EUR", "-1"), ("USD", "EUR", "1e-13")]
)
def test_bad_fx_rates_are_refused(base, quote, rate):
    with pytest.raises(InvalidInput):
        services.fx_rate_set(base=base, quote=quote, rate=rate)


# --- balances over time ---------------------------------------------------------------------------------


def test_balance_as_of_and_statement_running_balance():
    acc = funded_account("100.00")
    other = funded_account("0")
    mid = timezone.now()
    services.post_transfer(from_account=acc.public_id, to_account=other.public_id, amount="25", currency="USD")
    services.post_deposit(to_account=acc.public_id, amount="5", currency="USD")
    assert selectors.balance_as_of(account=acc, at=mid) == 10000
    assert selectors.balance_as_of(account=acc, at=mid - timedelta(days=1)) == 0
    lines = list(selectors.statement_lines(account=acc).order_by("id"))
    assert [(p.amount_minor, p.balance_after_minor) for p in lines] == [(10000, 10000), (-2500, 7500), (500, 8000)]


def test_post_by_type_dispatches_each_type_and_refuses_unknown_ones():
    a, b = funded_account("100.00"), funded_account("0")
    moves = [("DEPOSIT", None, b), ("WITHDRAWAL", a, None), ("FEE", a, None), ("TRANSFER", a, b)]
    for kind, source, target in moves:
        result = services.post_by_type(
            entry_type=kind,
            from_account=source and source.public_id,
            to_account=target and target.public_id,
            amount="1.00",
            currency="USD",
        )
        assert result.entry.entry_type == kind
    assert (balance(a), balance(b)) == (Decimal("97.00"), Decimal("2.00"))
    before = ledger_snapshot()
    with pytest.raises(InvalidInput) as err:
        services.post_by_type(entry_type="PAYOUT", from_account=a.public_id, amount="1.00", currency="USD")
    assert err.value.code == "invalid_choice" and ledger_snapshot() == before
