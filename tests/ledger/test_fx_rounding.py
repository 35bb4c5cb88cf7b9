"""FX conversion rounds toward the bank: the customer receives the floor of the exact converted amount.

Half-even rounding let a customer split 1.00 USD into 100 transfers of 0.01 and receive 200 JPY at 150 instead
of 150. With the floor, N small conversions never give more than one big one, and an amount whose converted
value is below one minor unit of the target is refused instead of rounded up or to nothing.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.core.money import active_currencies
from apps.ledger import selectors, services
from apps.ledger.conversion import convert_minor
from apps.ledger.errors import AmountBelowMinimum
from apps.ledger.models import JournalEntry
from apps.ledger.services import account_open
from tests.factories import funded_account

CURRENCIES = sorted(active_currencies())


def test_conversion_floors_to_the_target_minor_unit():
    assert convert_minor(1, base="USD", quote="JPY", rate=Decimal("150")) == 1  # 1.5 JPY -> 1
    assert convert_minor(1, base="USD", quote="JPY", rate=Decimal("199.99")) == 1
    assert convert_minor(100, base="USD", quote="JPY", rate=Decimal("150")) == 150
    assert convert_minor(100, base="USD", quote="KWD", rate=Decimal("0.30712")) == 307  # 0.30712 -> 0.307
    assert convert_minor(100, base="USD", quote="EUR", rate=Decimal("0.92999")) == 92


@pytest.mark.django_db
def test_hundred_cent_transfers_give_no_more_yen_than_one_dollar():
    usd = funded_account("2.00")
    small, big = (account_open(owner_id=o, account_type="CHECKING", currency="JPY") for o in ("small", "big"))
    services.fx_rate_set(base="USD", quote="JPY", rate="150")
    for _ in range(100):
        services.post_transfer(from_account=usd.public_id, to_account=small.public_id, amount="0.01", currency="USD")
    services.post_transfer(from_account=usd.public_id, to_account=big.public_id, amount="1.00", currency="USD")
    assert selectors.balance_get(account=small).ledger_minor == 100
    assert selectors.balance_get(account=big).ledger_minor == 150


@pytest.mark.django_db
def test_amount_below_one_target_minor_unit_is_refused_without_change():
    usd = funded_account("1.00")
    jpy = account_open(owner_id="p", account_type="CHECKING", currency="JPY")
    services.fx_rate_set(base="USD", quote="JPY", rate="50")  # 0.01 USD = 0.5 JPY
    entries = JournalEntry.objects.count()
    with pytest.raises(AmountBelowMinimum) as refused:
        services.post_transfer(from_account=usd.public_id, to_account=jpy.public_id, amount="0.01", currency="USD")
    assert (refused.value.code, refused.value.field, refused.value.http_status) == (
        "amount_below_minimum",
        "amount",
        422,
    )
    assert JournalEntry.objects.count() == entries
    assert selectors.balance_get(account=usd).ledger_minor == 100


@pytest.mark.django_db
def test_api_refuses_a_conversion_below_one_minor_unit(api):
    usd = funded_account("1.00")
    jpy = account_open(owner_id="p", account_type="CHECKING", currency="JPY")
    services.fx_rate_set(base="USD", quote="JPY", rate="50")
    body = {"type": "TRANSFER", "from_account": usd.public_id, "to_account": jpy.public_id, "amount": "0.01"}
    response = api.post("/api/v1/transactions", {**body, "currency": "USD"}, format="json", HTTP_IDEMPOTENCY_KEY="t")
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "amount_below_minimum"


rates = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("100000"), places=6, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=50),
    rate=rates,
    base=st.sampled_from(CURRENCIES),
    quote=st.sampled_from(CURRENCIES),
)
def test_n_small_conversions_never_give_more_than_one_big_one(parts, rate, base, quote):
    one_big = convert_minor(sum(parts), base=base, quote=quote, rate=rate)
    many_small = sum(convert_minor(p, base=base, quote=quote, rate=rate) for p in parts)
    assert many_small <= one_big
    # ... and no conversion ever gives more than the exact value at the rate.
    exact = Decimal(sum(parts)).scaleb(-active_currencies()[base]) * rate
    assert Decimal(one_big).scaleb(-active_currencies()[quote]) <= exact
