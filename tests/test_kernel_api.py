"""The SDK in-process: each method against the test database."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from apps.core.errors import InvalidInput
from apps.ledger.errors import InsufficientFunds
from qenex.config import ConfigError
from qenex.kernel import FinancialKernel, KernelNotInitialized, TransactionType

pytestmark = pytest.mark.django_db(transaction=True)


def run(coro):
    return asyncio.run(coro)


def test_kernel_methods_post_through_the_ledger():
    kernel = FinancialKernel()
    run(kernel.initialize(migrate=False))
    a = run(kernel.create_account("k1", "CHECKING", "EUR", initial_balance=Decimal("50.00")))
    b = run(kernel.create_account("k2", "SAVINGS", "EUR"))
    t = run(
        kernel.process_transaction(
            TransactionType.TRANSFER,
            from_account=a.id,
            to_account=b.id,
            amount=Decimal("20.00"),
            currency="EUR",
            idempotency_key="once",
        )
    )
    again = run(
        kernel.process_transaction(
            "TRANSFER",
            from_account=a.id,
            to_account=b.id,
            amount=Decimal("20.00"),
            currency="EUR",
            idempotency_key="once",
        )
    )
    assert t == again
    run(kernel.process_transaction(TransactionType.FEE, from_account=a.id, amount="1.00", currency="EUR"))
    w = run(kernel.process_transaction(TransactionType.WITHDRAWAL, from_account=a.id, amount=5, currency="EUR"))
    run(kernel.process_transaction(TransactionType.REVERSAL, original_transaction=w))
    run(kernel.process_transaction(TransactionType.DEPOSIT, to_account=b.id, amount="0.50", currency="EUR"))
    assert run(kernel.get_account_balance(a.id)) == Decimal("29.00")
    assert run(kernel.get_account_balance(b.id)) == Decimal("20.50")
    with pytest.raises(InsufficientFunds):
        run(
            kernel.process_transaction(
                TransactionType.TRANSFER, from_account=a.id, to_account=b.id, amount="1000", currency="EUR"
            )
        )
    with pytest.raises(InvalidInput):
        run(kernel.process_transaction(TransactionType.REVERSAL))
    with pytest.raises(ValueError):
        run(kernel.process_transaction("PAYOUT", from_account=a.id, amount="1", currency="EUR"))
    run(kernel.shutdown())
    with pytest.raises(KernelNotInitialized):
        run(kernel.get_account_balance(a.id))


def test_kernel_rejects_bad_config():
    with pytest.raises(ConfigError, match="unknown key database.hostname"):
        FinancialKernel({"database": {"hostname": "x"}})
