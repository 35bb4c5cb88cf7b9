"""One idempotency key, one request: a key already used for a hold must not also post a transfer.

Holds and journal entries keep their keys in separate tables; the ledger treats them as one namespace (the engine
reads both), so a key spent on a hold answers a posting request with ``idempotency_key_reused``. Before, the
API's four-eyes gate counted a key spent on a small hold as "done before" and skipped the approval policy, so a
large transfer sent with that key posted without a second person.
"""

from __future__ import annotations

import pytest

from apps.core.errors import IdempotencyConflict
from apps.ledger import services
from apps.ledger.selectors import balance_get
from tests.factories import funded_account

pytestmark = pytest.mark.django_db


def test_a_key_used_for_a_hold_is_refused_for_a_transfer():
    source, target = funded_account("100.00", owner_id="payer"), funded_account("0.00", owner_id="payee")
    services.hold_place(account=source.public_id, amount="10.00", currency="USD", idempotency_key="k-1")
    with pytest.raises(IdempotencyConflict):
        services.post_transfer(
            from_account=source.public_id,
            to_account=target.public_id,
            amount="20.00",
            currency="USD",
            idempotency_key="k-1",
        )
    assert balance_get(account=target).ledger_minor == 0


def test_a_key_spent_on_a_small_hold_does_not_let_a_large_transfer_skip_four_eyes(api):
    rich, payee = funded_account("50000.00", owner_id="rich"), funded_account("0.00", owner_id="payee")
    hold = api.post(
        "/api/v1/holds",
        {"account": rich.public_id, "amount": "1.00", "currency": "USD"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="same-key",
    )
    assert hold.status_code == 201, hold.content
    body = {"type": "TRANSFER", "from_account": rich.public_id, "to_account": payee.public_id, "currency": "USD"}
    response = api.post(
        "/api/v1/transactions", {**body, "amount": "20000.00"}, format="json", HTTP_IDEMPOTENCY_KEY="same-key"
    )
    # Above the 10,000 threshold: an approval request (202) or a refused key (409), never a posting.
    assert response.status_code in (202, 409), response.content
    assert balance_get(account=payee).ledger_minor == 0
